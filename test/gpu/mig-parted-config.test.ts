import * as fs from 'fs';
import * as path from 'path';
import {
  Gpu,
  GpuDomainError,
  MigLayout,
  MigPartedConfigEntry,
  acceptedNamedConfigs,
  renderMigPartedConfig,
  validateMigPartedConfigEntries,
} from '../../lib/gpu';

const DEFAULT_CONFIG = path.join(__dirname, '..', 'fixtures', 'nvidia', 'default-mig-parted-config.yaml');

interface Item {
  filter: string[];
  enabled: boolean;
  devices: { [profile: string]: number };
}

/** Reads just enough of a mig-parted file (the shape this module and NVIDIA write) to compare content. */
function parseMigParted(text: string): Map<string, Item[]> {
  const configs = new Map<string, Item[]>();
  let items: Item[] = [];
  for (const line of text.split('\n')) {
    const name = /^ {2}([A-Za-z0-9][A-Za-z0-9._-]*):\s*$/.exec(line);
    if (name) {
      items = [];
      configs.set(name[1], items);
      continue;
    }
    if (/^ {4}- /.test(line)) items.push({ filter: [], enabled: false, devices: {} });
    const item = items[items.length - 1];
    if (!item) continue;
    if (/device-filter:/.test(line)) item.filter = line.match(/0x[0-9A-Fa-f]{8}/g) ?? [];
    const enabled = /mig-enabled: (true|false)/.exec(line);
    if (enabled) item.enabled = enabled[1] === 'true';
    const dev = /^ {8}"([^"]+)": (\d+)\s*$/.exec(line);
    if (dev) item.devices[dev[1]] = Number(dev[2]);
  }
  return configs;
}

function itemFor(configs: Map<string, Item[]>, name: string, gpu: Gpu): Item | undefined {
  const items = configs.get(name) ?? [];
  return (
    items.find((i) => i.filter.some((f) => gpu.pciDeviceIds.includes(f.toUpperCase().replace('0X', '0x')))) ??
    items.find((i) => i.filter.length === 0)
  );
}

const defaults = parseMigParted(fs.readFileSync(DEFAULT_CONFIG, 'utf8'));

describe('layouts agree with the operator default mig-parted config', () => {
  test('every accepted named config has the same instances per GPU', () => {
    for (const g of Gpu.all().filter((x) => x.migCapable)) {
      for (const name of acceptedNamedConfigs(g)) {
        const item = itemFor(defaults, name, g);
        expect({ name, gpu: g.name, found: item !== undefined }).toEqual({ name, gpu: g.name, found: true });
        const ours = Object.fromEntries(
          MigLayout.named(name)
            .slicesPerGpu(g)
            .map((s) => [s.profile, s.count]),
        );
        expect({ name, gpu: g.name, devices: item!.devices, enabled: item!.enabled }).toEqual({
          name,
          gpu: g.name,
          devices: ours,
          enabled: name !== 'all-disabled',
        });
      }
    }
  });
});

describe('renderMigPartedConfig', () => {
  const mixed: MigPartedConfigEntry = {
    name: 'custom-llm',
    migEnabled: true,
    slices: [
      { profile: '3g.40gb', count: 1 },
      { profile: '1g.10gb', count: 2 },
      { profile: '2g.20gb', count: 1 },
    ],
  };
  const uniform: MigPartedConfigEntry = { name: 'all-1g.10gb', migEnabled: true, slices: [{ profile: '1g.10gb', count: 7 }] };

  test('exact text: sorted names and profiles, all-disabled always present', () => {
    expect(renderMigPartedConfig([mixed, uniform])).toBe(
      [
        'version: v1',
        'mig-configs:',
        '  all-1g.10gb:',
        '    - devices: all',
        '      mig-enabled: true',
        '      mig-devices:',
        '        "1g.10gb": 7',
        '  all-disabled:',
        '    - devices: all',
        '      mig-enabled: false',
        '  custom-llm:',
        '    - devices: all',
        '      mig-enabled: true',
        '      mig-devices:',
        '        "1g.10gb": 2',
        '        "2g.20gb": 1',
        '        "3g.40gb": 1',
        '',
      ].join('\n'),
    );
  });

  test('deterministic whatever the input order; identical duplicates collapse', () => {
    const a = renderMigPartedConfig([mixed, uniform, uniform]);
    const b = renderMigPartedConfig([uniform, { ...mixed, slices: [...mixed.slices].reverse() }]);
    expect(a).toBe(b);
    expect(renderMigPartedConfig([])).toBe('version: v1\nmig-configs:\n  all-disabled:\n    - devices: all\n      mig-enabled: false\n');
    expect(renderMigPartedConfig([{ name: 'all-disabled', migEnabled: false, slices: [] }])).toBe(renderMigPartedConfig([]));
  });

  test('looks like YAML: two-space indentation, no tabs, parses back to the input', () => {
    const text = renderMigPartedConfig([mixed, uniform, { name: 'all-enabled', migEnabled: true, slices: [] }]);
    for (const line of text.trimEnd().split('\n')) expect(line).toMatch(/^( {2})*(- )?[^\s]/);
    expect(text).toContain('  all-enabled:\n    - devices: all\n      mig-enabled: true\n      mig-devices: {}\n');
    const parsed = parseMigParted(text);
    expect([...parsed.keys()]).toEqual(['all-1g.10gb', 'all-disabled', 'all-enabled', 'custom-llm']);
    expect(parsed.get('custom-llm')).toEqual([{ filter: [], enabled: true, devices: { '1g.10gb': 2, '2g.20gb': 1, '3g.40gb': 1 } }]);
  });

  test('same name with different content is an error', () => {
    const other = { ...uniform, slices: [{ profile: '1g.10gb', count: 4 }] };
    expect(() => renderMigPartedConfig([uniform, other])).toThrow(GpuDomainError);
    expect(validateMigPartedConfigEntries([uniform, other])).toEqual([
      expect.stringMatching(
        /^entries 'all-1g.10gb' is given 2 times with different content; give each layout its own name, or a disjoint deviceFilter per GPU model$/,
      ),
    ]);
    expect(() => renderMigPartedConfig([{ name: 'all-disabled', migEnabled: true, slices: [] }])).toThrow(
      /^entries\[0\]\.migEnabled true under 'all-disabled' would enable MIG on every unlabeled node; set migEnabled: false/,
    );
  });

  test('same name with disjoint device filters renders one item per GPU model', () => {
    const entries = [Gpu.H100_80GB, Gpu.A100_40GB].map((g): MigPartedConfigEntry => {
      const e = MigLayout.uniform('1g.10gb').migPartedEntry(g);
      return { name: 'all-1g.10gb', migEnabled: e.migEnabled, slices: e.slices, deviceFilter: e.deviceFilter };
    });
    const text = renderMigPartedConfig(entries);
    expect(text).toContain('    - device-filter: ["0x20B010DE", "0x20B110DE", "0x20F110DE", "0x20F610DE"]\n      devices: all\n');
    const parsed = parseMigParted(text);
    expect(itemFor(parsed, 'all-1g.10gb', Gpu.H100_80GB)!.devices).toEqual({ '1g.10gb': 7 });
    expect(itemFor(parsed, 'all-1g.10gb', Gpu.A100_40GB)!.devices).toEqual({ '1g.10gb': 4 });
    expect(renderMigPartedConfig([...entries].reverse())).toBe(text);
    const overlapping = [entries[0], { ...entries[1], deviceFilter: ['0x233010DE'] }];
    expect(validateMigPartedConfigEntries(overlapping)).toEqual([expect.stringMatching(/given 2 times with different content/)]);
  });

  test('malformed entries', () => {
    expect(
      validateMigPartedConfigEntries([
        { name: 'bad name', migEnabled: true, slices: [{ profile: '1g.10gb', count: 0 }] },
        { name: 'off', migEnabled: false, slices: [{ profile: '1g "x"', count: 1 }], deviceFilter: ['2330'] },
      ]),
    ).toEqual([
      expect.stringMatching(/^entries\[0\]\.name 'bad name' is not a mig-parted config name; use letters/),
      expect.stringMatching(/^entries\[0\]\.slices\[0\]\.count 0 is not a whole number >= 1/),
      expect.stringMatching(/^entries\[1\]\.slices for 'off' are set while migEnabled is false; remove the slices/),
      expect.stringMatching(/^entries\[1\]\.slices\[0\]\.profile '1g "x"' is not a MIG profile name/),
      expect.stringMatching(/^entries\[1\]\.deviceFilter\[0\] '2330' is not a PCI id; use the form 0x233010DE/),
    ]);
  });
});
