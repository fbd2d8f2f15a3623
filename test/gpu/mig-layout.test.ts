import * as fs from 'fs';
import * as path from 'path';
import { Gpu, GpuDomainError, MigLayout, MigLayoutKind, acceptedNamedConfigs } from '../../lib/gpu';

const DEFAULT_CONFIG = path.join(__dirname, '..', 'fixtures', 'nvidia', 'default-mig-parted-config.yaml');
/** Config names of the operator's default mig-parted config: two-space-indented keys under mig-configs. */
const defaultConfigNames = new Set(
  fs
    .readFileSync(DEFAULT_CONFIG, 'utf8')
    .split('\n')
    .map((l) => /^ {2}([A-Za-z0-9][A-Za-z0-9._-]*):\s*$/.exec(l)?.[1])
    .filter((n): n is string => !!n),
);

const MIG_GPUS = Gpu.all().filter((g) => g.migCapable);

describe('MigLayout.uniform', () => {
  test('config name, strategy and slices', () => {
    const l = MigLayout.uniform('1g.10gb');
    expect(l.kind).toBe(MigLayoutKind.UNIFORM);
    expect(l.strategy).toBe('single');
    expect(l.configName('pool')).toBe('all-1g.10gb');
    expect(l.slicesPerGpu(Gpu.H100_80GB)).toEqual([{ profile: '1g.10gb', count: 7 }]);
    expect(l.slicesPerGpu(Gpu.A100_40GB)).toEqual([{ profile: '1g.10gb', count: 4 }]);
    expect(l.smallestSliceMemoryGb(Gpu.H100_80GB)).toBe(10);
    expect(l.validate(Gpu.H100_80GB)).toEqual([]);
  });

  test('+me is written .me in the config name', () => {
    expect(MigLayout.uniform('1g.10gb+me').configName('x')).toBe('all-1g.10gb.me');
    expect(MigLayout.uniform('1g.10gb+me').slicesPerGpu(Gpu.A100_80GB)).toEqual([{ profile: '1g.10gb+me', count: 1 }]);
  });

  test('profile not offered', () => {
    expect(MigLayout.uniform('2g.10gb').validate(Gpu.H100_80GB)).toEqual([
      expect.stringMatching(
        /^profile '2g.10gb' is not offered by NVIDIA H100 80GB; allowed: 1g.10gb, 1g.10gb\+me, 1g.20gb, 2g.20gb, 3g.40gb, 4g.40gb, 7g.80gb$/,
      ),
    ]);
    expect(() => MigLayout.uniform('2g.10gb').slicesPerGpu(Gpu.H100_80GB)).toThrow(GpuDomainError);
  });

  test('GPU without MIG', () => {
    expect(MigLayout.uniform('1g.10gb').validate(Gpu.L4)).toEqual([
      expect.stringMatching(
        /^uniform\('1g.10gb'\) needs a MIG-capable GPU but GPU L4 does not support MIG; MIG-capable: A100_40GB, A100_80GB, H100_80GB, H100_NVL_94GB, H200_141GB; use timeSlicing instead/,
      ),
    ]);
    expect(MigLayout.named('all-balanced').validate(Gpu.T4)).toEqual([expect.stringMatching(/GPU T4 does not support MIG/)]);
    expect(MigLayout.mixed([{ profile: '1g.10gb', count: 1 }]).validate(Gpu.INFERENTIA2)).toEqual([
      expect.stringMatching(/GPU INFERENTIA2 does not support MIG/),
    ]);
  });

  test('every profile of every GPU has its uniform config in the operator default config', () => {
    for (const g of MIG_GPUS) {
      for (const p of g.migProfiles) expect(defaultConfigNames.has(MigLayout.uniform(p.name).configName('x'))).toBe(true);
      for (const n of acceptedNamedConfigs(g)) expect(defaultConfigNames.has(n)).toBe(true);
    }
  });
});

describe('MigLayout.named', () => {
  test('all-balanced uses the mixed strategy and the default config mix', () => {
    const l = MigLayout.named('all-balanced');
    expect(l.kind).toBe(MigLayoutKind.NAMED);
    expect(l.strategy).toBe('mixed');
    expect(l.configName('pool')).toBe('all-balanced');
    expect(l.slicesPerGpu(Gpu.A100_40GB)).toEqual([
      { profile: '1g.5gb', count: 2 },
      { profile: '2g.10gb', count: 1 },
      { profile: '3g.20gb', count: 1 },
    ]);
    expect(l.slicesPerGpu(Gpu.H200_141GB)).toEqual([
      { profile: '1g.18gb', count: 2 },
      { profile: '2g.35gb', count: 1 },
      { profile: '3g.71gb', count: 1 },
    ]);
    expect(l.smallestSliceMemoryGb(Gpu.H100_NVL_94GB)).toBe(12);
  });

  test('all-balanced fits every MIG-capable GPU and passes mixed validation', () => {
    for (const g of MIG_GPUS) {
      const slices = MigLayout.named('all-balanced').slicesPerGpu(g);
      const compute = slices.reduce((s, x) => s + g.migProfile(x.profile).computeSlices * x.count, 0);
      const memory = slices.reduce((s, x) => s + g.migProfile(x.profile).memorySlices * x.count, 0);
      expect(compute).toBeLessThanOrEqual(7);
      expect(memory).toBeLessThanOrEqual(8);
      expect(MigLayout.mixed(slices).validate(g)).toEqual([]);
      expect(MigLayout.named('all-balanced').validate(g)).toEqual([]);
    }
  });

  test('all-disabled, all-enabled and all-<profile>', () => {
    expect(MigLayout.named('all-disabled').strategy).toBe('single');
    expect(MigLayout.named('all-disabled').slicesPerGpu(Gpu.H100_80GB)).toEqual([]);
    expect(MigLayout.named('all-disabled').smallestSliceMemoryGb(Gpu.H100_80GB)).toBe(80);
    expect(MigLayout.named('all-disabled').migPartedEntry(Gpu.H100_80GB).migEnabled).toBe(false);
    expect(MigLayout.named('all-enabled').slicesPerGpu(Gpu.H100_80GB)).toEqual([]);
    expect(MigLayout.named('all-enabled').smallestSliceMemoryGb(Gpu.H100_80GB)).toBe(0);
    expect(MigLayout.named('all-3g.40gb').strategy).toBe('single');
    expect(MigLayout.named('all-3g.40gb').slicesPerGpu(Gpu.A100_80GB)).toEqual([{ profile: '3g.40gb', count: 2 }]);
    expect(MigLayout.named('all-1g.18gb.me').validate(Gpu.H200_141GB)).toEqual([]);
  });

  test('unknown config lists the accepted names for the GPU', () => {
    expect(MigLayout.named('all-1g.5gb').validate(Gpu.H100_80GB)).toEqual([
      expect.stringMatching(
        /^config 'all-1g.5gb' is not in the GPU operator's default mig-parted config for H100_80GB; use one of all-disabled, all-enabled, all-balanced, all-1g.10gb, all-1g.10gb.me, .*all-7g.80gb$/,
      ),
    ]);
    expect(() => MigLayout.named('all-1g.5gb').slicesPerGpu(Gpu.H100_80GB)).toThrow(/mig config 'all-1g.5gb' is not in/);
  });
});

describe('MigLayout.mixed', () => {
  const mix = [
    { profile: '3g.40gb', count: 1 },
    { profile: '2g.20gb', count: 1 },
    { profile: '1g.10gb', count: 2 },
  ];

  test('valid mix', () => {
    const l = MigLayout.mixed(mix);
    expect(l.kind).toBe(MigLayoutKind.MIXED);
    expect(l.strategy).toBe('mixed');
    expect(l.validate(Gpu.H100_80GB)).toEqual([]);
    expect(l.slicesPerGpu(Gpu.H100_80GB)).toEqual(mix);
    expect(l.smallestSliceMemoryGb(Gpu.H100_80GB)).toBe(10);
    expect(l.migPartedEntry(Gpu.H100_80GB)).toEqual({
      devices: 'all',
      migEnabled: true,
      slices: mix,
      deviceFilter: ['0x233010DE', '0x233110DE', '0x232210DE', '0x232410DE'],
    });
  });

  test('config name is custom-<pool>, sanitised', () => {
    expect(MigLayout.mixed(mix).configName('llm')).toBe('custom-llm');
    expect(MigLayout.mixed(mix).configName('LLM_Pool 1')).toBe('custom-llm-pool-1');
  });

  test('empty list', () => {
    expect(MigLayout.mixed([]).validate(Gpu.A100_80GB)).toEqual([expect.stringMatching(/^slices \[\] is empty; list at least one/)]);
  });

  test('counts must be whole numbers >= 1', () => {
    expect(
      MigLayout.mixed([
        { profile: '1g.10gb', count: 0 },
        { profile: '2g.20gb', count: 1.5 },
      ]).validate(Gpu.A100_80GB),
    ).toEqual([
      expect.stringMatching(/^slices\[0\]\.count 0 is not a whole number >= 1; use a positive integer/),
      expect.stringMatching(/^slices\[1\]\.count 1.5 is not a whole number >= 1/),
    ]);
  });

  test('profile not offered', () => {
    expect(MigLayout.mixed([{ profile: '1g.5gb', count: 1 }]).validate(Gpu.A100_80GB)).toEqual([
      expect.stringMatching(/^slices\[0\]\.profile '1g.5gb' is not offered by NVIDIA A100 80GB; allowed: 1g.10gb, /),
    ]);
  });

  test('per-profile count above max instances', () => {
    expect(
      MigLayout.mixed([
        { profile: '1g.20gb', count: 3 },
        { profile: '1g.20gb', count: 2 },
      ]).validate(Gpu.A100_80GB),
    ).toEqual([
      expect.stringMatching(/ask for 5 '1g.20gb' instances but NVIDIA A100 80GB fits at most 4; use a count <= 4$/),
      expect.stringMatching(/use 10 memory slices .* has 8/),
    ]);
  });

  test('compute slices above 7', () => {
    expect(
      MigLayout.mixed([
        { profile: '4g.40gb', count: 1 },
        { profile: '2g.20gb', count: 2 },
      ]).validate(Gpu.H100_80GB),
    ).toEqual([
      expect.stringMatching(
        /^slices \[4g.40gbx1, 2g.20gbx2\] use 8 compute slices but NVIDIA H100 80GB has 7; remove instances until compute slices total <= 7$/,
      ),
    ]);
  });

  test('memory slices above 8', () => {
    expect(
      MigLayout.mixed([
        { profile: '3g.40gb', count: 2 },
        { profile: '1g.10gb', count: 1 },
      ]).validate(Gpu.H100_80GB),
    ).toEqual([
      expect.stringMatching(
        /use 9 memory slices \(eighths of 80 GB\) but NVIDIA H100 80GB has 8; remove instances until memory slices total <= 8$/,
      ),
    ]);
  });

  test('at most one +me instance', () => {
    expect(MigLayout.mixed([{ profile: '1g.10gb+me', count: 2 }]).validate(Gpu.H100_80GB)).toEqual([
      expect.stringMatching(/ask for 2 '1g.10gb\+me' instances but NVIDIA H100 80GB fits at most 1/),
      expect.stringMatching(/ask for 2 media-extension \(\+me\) instances; .* use at most one \+me instance$/),
    ]);
  });
});
