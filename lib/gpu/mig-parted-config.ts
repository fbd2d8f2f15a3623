import { throwIfMessages } from './errors';
import { MigSliceCount } from './mig-layout';

/** One named config of a mig-parted config file. */
export interface MigPartedConfigEntry {
  /** Config name, the value of the node label `nvidia.com/mig.config`. */
  readonly name: string;
  /** Whether MIG mode is switched on. */
  readonly migEnabled: boolean;
  /** Instances per GPU; must be empty when MIG is disabled. */
  readonly slices: MigSliceCount[];
  /**
   * PCI ids (e.g. `0x233010DE`) the entry is limited to. Lets entries of the same name carry
   * different content for different GPU models, as the operator's default config does.
   * @default - every GPU model
   */
  readonly deviceFilter?: string[];
}

const NAME = /^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$/;
const PROFILE = /^[A-Za-z0-9.+-]+$/;
const PCI_ID = /^0x[0-9A-Fa-f]{8}$/;

/** Entries and content are compared in this form so key and list order do not matter. */
function canonical(e: MigPartedConfigEntry): string {
  const merged = mergedCounts(e.slices);
  const slices = [...merged.keys()].sort(cmp).map((p) => `${p}=${merged.get(p)}`);
  const filter = [...(e.deviceFilter ?? [])].map((d) => d.toUpperCase().replace(/^0X/, '0x')).sort(cmp);
  return JSON.stringify([e.migEnabled, slices, filter]);
}

/** Repeated profiles in one entry add up, as they would on the GPU. */
function mergedCounts(slices: MigSliceCount[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const s of slices) counts.set(s.profile, (counts.get(s.profile) ?? 0) + s.count);
  return counts;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Problems with a set of mig-parted entries, as `<prop> <value> <problem>; <fix>` messages.
 * Empty when `renderMigPartedConfig` would accept them.
 */
export function validateMigPartedConfigEntries(entries: MigPartedConfigEntry[]): string[] {
  const out: string[] = [];
  entries.forEach((e, i) => {
    if (!NAME.test(e.name ?? '')) {
      out.push(
        `entries[${i}].name '${e.name}' is not a mig-parted config name; use letters, digits, '.', '_' or '-', starting and ending with a letter or digit`,
      );
    }
    if (e.name === 'all-disabled' && e.migEnabled) {
      out.push(
        `entries[${i}].migEnabled true under 'all-disabled' would enable MIG on every unlabeled node; set migEnabled: false or use another name`,
      );
    }
    if (!e.migEnabled && e.slices.length > 0) {
      out.push(`entries[${i}].slices for '${e.name}' are set while migEnabled is false; remove the slices or set migEnabled: true`);
    }
    e.slices.forEach((s, j) => {
      if (!PROFILE.test(s.profile ?? ''))
        out.push(`entries[${i}].slices[${j}].profile '${s.profile}' is not a MIG profile name; use a name such as '1g.10gb'`);
      if (!Number.isInteger(s.count) || s.count < 1)
        out.push(`entries[${i}].slices[${j}].count ${s.count} is not a whole number >= 1; use a positive integer`);
    });
    (e.deviceFilter ?? []).forEach((d, j) => {
      if (!PCI_ID.test(d))
        out.push(`entries[${i}].deviceFilter[${j}] '${d}' is not a PCI id; use the form 0x233010DE (device id then vendor id)`);
    });
  });
  for (const [name, group] of groupByName(withDisabled(entries))) {
    if (group.length < 2) continue;
    const filtered = group.every((e) => (e.deviceFilter ?? []).length > 0);
    const seen = new Set<string>();
    let overlap = false;
    for (const e of group) {
      for (const d of e.deviceFilter ?? []) {
        const id = d.toUpperCase();
        if (seen.has(id)) overlap = true;
        seen.add(id);
      }
    }
    if (!filtered || overlap) {
      out.push(
        `entries '${name}' is given ${group.length} times with different content; give each layout its own name, or a disjoint deviceFilter per GPU model`,
      );
    }
  }
  return out;
}

/** Distinct entries per name, in name order; identical duplicates are dropped. */
function groupByName(entries: MigPartedConfigEntry[]): Array<[string, MigPartedConfigEntry[]]> {
  const groups = new Map<string, Map<string, MigPartedConfigEntry>>();
  for (const e of entries) {
    const g = groups.get(e.name) ?? new Map<string, MigPartedConfigEntry>();
    g.set(canonical(e), e);
    groups.set(e.name, g);
  }
  return [...groups.keys()].sort(cmp).map((name): [string, MigPartedConfigEntry[]] => {
    const g = groups.get(name)!;
    return [name, [...g.keys()].sort(cmp).map((k) => g.get(k)!)];
  });
}

/** The MIG manager falls back to `all-disabled` for unlabeled nodes, so the config must define it. */
function withDisabled(entries: MigPartedConfigEntry[]): MigPartedConfigEntry[] {
  if (entries.some((e) => e.name === 'all-disabled')) return entries;
  return [{ name: 'all-disabled', migEnabled: false, slices: [] }, ...entries];
}

function quote(s: string): string {
  return JSON.stringify(s);
}

/**
 * Renders a mig-parted config file (the `config.yaml` key of the MIG manager's ConfigMap).
 *
 * Output is byte-for-byte stable for the same set of entries, whatever their order, so plans show
 * no spurious diffs: config names and profiles are sorted, identical duplicates collapse to one.
 * `all-disabled` is always present.
 *
 * @throws GpuDomainError when entries are malformed or one name has conflicting content
 */
export function renderMigPartedConfig(entries: MigPartedConfigEntry[]): string {
  throwIfMessages(validateMigPartedConfigEntries(entries));
  const lines = ['version: v1', 'mig-configs:'];
  for (const [name, group] of groupByName(withDisabled(entries))) {
    lines.push(`  ${name}:`);
    for (const e of group) {
      const filter = [...(e.deviceFilter ?? [])].sort(cmp);
      let lead = '    - ';
      if (filter.length > 0) {
        lines.push(`${lead}device-filter: [${filter.map(quote).join(', ')}]`);
        lead = '      ';
      }
      lines.push(`${lead}devices: all`);
      lines.push(`      mig-enabled: ${e.migEnabled ? 'true' : 'false'}`);
      if (!e.migEnabled) continue;
      if (e.slices.length === 0) {
        lines.push('      mig-devices: {}');
        continue;
      }
      lines.push('      mig-devices:');
      const counts = mergedCounts(e.slices);
      for (const profile of [...counts.keys()].sort(cmp)) lines.push(`        ${quote(profile)}: ${counts.get(profile)}`);
    }
  }
  return lines.join('\n') + '\n';
}
