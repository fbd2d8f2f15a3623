import { Gpu, migCapableNames } from './accelerator';
import { GpuDomainError } from './errors';

/** How a MIG layout was described. */
export enum MigLayoutKind {
  /** Every GPU cut into the most instances of one profile. */
  UNIFORM = 'UNIFORM',
  /** A config of the GPU operator's default mig-parted config, by name. */
  NAMED = 'NAMED',
  /** The same mix of profiles on every GPU, rendered as a custom mig-parted config. */
  MIXED = 'MIXED',
}

/** A number of MIG instances of one profile on one GPU. */
export interface MigSliceCount {
  /** MIG profile name, e.g. `1g.10gb`. */
  readonly profile: string;
  /** Instances of the profile on each GPU. */
  readonly count: number;
}

/** One `mig-configs` list item of mig-parted: what to do with the matching devices. */
export interface MigPartedDevice {
  /** Which devices of the node the item applies to; the platform always partitions every GPU alike. */
  readonly devices: string;
  /** Whether MIG mode is switched on. */
  readonly migEnabled: boolean;
  /** Instances to create on each device. */
  readonly slices: MigSliceCount[];
  /**
   * PCI ids the item is limited to, so one config name can serve several GPU models.
   * @default - every GPU model
   */
  readonly deviceFilter?: string[];
}

/** Compute and memory slices of a whole GPU: the budget every MIG mix must fit in. */
const GPU_COMPUTE_SLICES = 7;
const GPU_MEMORY_SLICES = 8;

/** Configs of the default mig-parted config that exist for every MIG-capable GPU, besides `all-<profile>`. */
const COMMON_NAMED = ['all-disabled', 'all-enabled', 'all-balanced'];

/**
 * `all-balanced` of the GPU operator's default mig-parted config, per product: two small, one
 * medium and one large instance, which leaves one compute slice idle by design.
 */
const BALANCED: Array<[string, MigSliceCount[]]> = [
  [
    'A100-SXM4-40GB',
    [
      { profile: '1g.5gb', count: 2 },
      { profile: '2g.10gb', count: 1 },
      { profile: '3g.20gb', count: 1 },
    ],
  ],
  [
    'A100-SXM4-80GB',
    [
      { profile: '1g.10gb', count: 2 },
      { profile: '2g.20gb', count: 1 },
      { profile: '3g.40gb', count: 1 },
    ],
  ],
  [
    'H100-SXM5-80GB',
    [
      { profile: '1g.10gb', count: 2 },
      { profile: '2g.20gb', count: 1 },
      { profile: '3g.40gb', count: 1 },
    ],
  ],
  [
    'H100-NVL-94GB',
    [
      { profile: '1g.12gb', count: 2 },
      { profile: '2g.24gb', count: 1 },
      { profile: '3g.47gb', count: 1 },
    ],
  ],
  [
    'H200-141GB',
    [
      { profile: '1g.18gb', count: 2 },
      { profile: '2g.35gb', count: 1 },
      { profile: '3g.71gb', count: 1 },
    ],
  ],
];

/** mig-parted config names cannot contain '+', so the default config writes `+me` as `.me`. */
function uniformConfigName(profile: string): string {
  return `all-${profile.replace(/\+/g, '.')}`;
}

function describeSlices(slices: MigSliceCount[]): string {
  return `[${slices.map((s) => `${s.profile}x${s.count}`).join(', ')}]`;
}

/**
 * How every GPU of a node pool is partitioned with Multi-Instance GPU.
 *
 * The GPU operator's MIG manager applies the mig-parted config named by the node label
 * `nvidia.com/mig.config`; this class produces that name and the config content.
 */
export class MigLayout {
  /**
   * Every GPU cut into the most instances of one profile, e.g. 7 × `1g.10gb` on an H100 80GB.
   * The config name matches the operator's default config (`all-1g.10gb`, `all-1g.10gb.me`).
   */
  public static uniform(profile: string): MigLayout {
    return new MigLayout(MigLayoutKind.UNIFORM, profile, uniformConfigName(profile), []);
  }

  /** A config of the operator's default mig-parted config: `all-disabled`, `all-enabled`, `all-balanced` or `all-<profile>`. */
  public static named(configName: string): MigLayout {
    return new MigLayout(MigLayoutKind.NAMED, undefined, configName, []);
  }

  /** The same mix of instances on every GPU, e.g. one 3g.40gb, one 2g.20gb and two 1g.10gb. */
  public static mixed(slices: MigSliceCount[]): MigLayout {
    return new MigLayout(
      MigLayoutKind.MIXED,
      undefined,
      undefined,
      slices.map((s) => ({ profile: s.profile, count: s.count })),
    );
  }

  /** How the layout was described. */
  public readonly kind: MigLayoutKind;
  /**
   * Device-plugin MIG strategy the layout needs: `single` when every instance on a node is the same
   * profile (advertised as `nvidia.com/gpu`), `mixed` when profiles differ (advertised per profile,
   * e.g. `nvidia.com/mig-1g.10gb`).
   */
  public readonly strategy: string;
  /** The profile of a UNIFORM layout; undefined otherwise. */
  public readonly profile?: string;
  /** The instances of a MIXED layout; empty otherwise. */
  public readonly slices: MigSliceCount[];
  private readonly fixedConfigName?: string;

  private constructor(kind: MigLayoutKind, profile: string | undefined, configName: string | undefined, slices: MigSliceCount[]) {
    this.kind = kind;
    this.profile = profile;
    this.fixedConfigName = configName;
    this.slices = slices;
    const mixed = kind === MigLayoutKind.MIXED || (kind === MigLayoutKind.NAMED && configName === 'all-balanced');
    this.strategy = mixed ? 'mixed' : 'single';
  }

  /**
   * The mig-parted config name for a pool: the given or default name for UNIFORM and NAMED, and
   * `custom-<pool>` for MIXED, since a mix is specific to the pool that declares it.
   */
  public configName(poolName: string): string {
    if (this.fixedConfigName !== undefined) return this.fixedConfigName;
    const safe = `custom-${poolName}`
      .toLowerCase()
      .replace(/[^a-z0-9.-]+/g, '-')
      .replace(/-+$/, '');
    return safe;
  }

  /**
   * Problems with using this layout on `gpu`, as `<prop> <value> <problem>; <fix>` messages without
   * the leading prop (the caller prefixes the path of its `mig` property). Empty when the layout is valid.
   */
  public validate(gpu: Gpu): string[] {
    if (!gpu.migCapable) {
      return [
        `${this.describe()} needs a MIG-capable GPU but GPU ${gpu.name} does not support MIG; MIG-capable: ${migCapableNames()}; use timeSlicing instead to share ${gpu.name}`,
      ];
    }
    const offered = gpu.migProfiles.map((p) => p.name).join(', ');
    const notOffered = (profile: string, prop: string) => `${prop} '${profile}' is not offered by ${gpu.displayName}; allowed: ${offered}`;
    switch (this.kind) {
      case MigLayoutKind.UNIFORM:
        return gpu.migProfiles.some((p) => p.name === this.profile) ? [] : [notOffered(this.profile!, 'profile')];
      case MigLayoutKind.NAMED: {
        const accepted = acceptedNamedConfigs(gpu);
        if (accepted.includes(this.fixedConfigName!)) return [];
        return [
          `config '${this.fixedConfigName}' is not in the GPU operator's default mig-parted config for ${gpu.name}; use one of ${accepted.join(', ')}`,
        ];
      }
      default:
        return this.validateMixed(gpu, notOffered);
    }
  }

  /** Instances created on each GPU; empty when MIG is disabled or enabled without instances. */
  public slicesPerGpu(gpu: Gpu): MigSliceCount[] {
    switch (this.kind) {
      case MigLayoutKind.UNIFORM:
        return [{ profile: this.profile!, count: gpu.migProfile(this.profile!).maxInstances }];
      case MigLayoutKind.MIXED:
        return this.slices.map((s) => ({ ...s }));
      default:
        return namedSlices(this.fixedConfigName!, gpu);
    }
  }

  /**
   * The mig-parted list item that realises the layout on `gpu`, limited to that GPU's PCI ids so
   * pools of different GPU models can share a config name (e.g. `all-1g.10gb` is 7 instances on an
   * H100 but 4 on an A100 40GB).
   */
  public migPartedEntry(gpu: Gpu): MigPartedDevice {
    const disabled = this.kind === MigLayoutKind.NAMED && this.fixedConfigName === 'all-disabled';
    return {
      devices: 'all',
      migEnabled: !disabled,
      slices: this.slicesPerGpu(gpu),
      deviceFilter: [...gpu.pciDeviceIds],
    };
  }

  /**
   * Memory in GB of the smallest instance on each GPU, i.e. the largest model every instance can host.
   * The whole GPU when MIG is disabled; 0 for `all-enabled`, which creates no instances.
   */
  public smallestSliceMemoryGb(gpu: Gpu): number {
    if (this.kind === MigLayoutKind.NAMED && this.fixedConfigName === 'all-disabled') return gpu.memoryGib;
    const slices = this.slicesPerGpu(gpu);
    if (slices.length === 0) return 0;
    return Math.min(...slices.map((s) => gpu.migProfile(s.profile).memoryGb));
  }

  private describe(): string {
    switch (this.kind) {
      case MigLayoutKind.UNIFORM:
        return `uniform('${this.profile}')`;
      case MigLayoutKind.NAMED:
        return `named('${this.fixedConfigName}')`;
      default:
        return `mixed(${describeSlices(this.slices)})`;
    }
  }

  private validateMixed(gpu: Gpu, notOffered: (profile: string, prop: string) => string): string[] {
    if (this.slices.length === 0) {
      return ["slices [] is empty; list at least one { profile, count }, e.g. [{ profile: '" + gpu.migProfiles[0].name + "', count: 1 }]"];
    }
    const out: string[] = [];
    const perProfile = new Map<string, number>();
    this.slices.forEach((s, i) => {
      if (!Number.isInteger(s.count) || s.count < 1) {
        out.push(`slices[${i}].count ${s.count} is not a whole number >= 1; use a positive integer count of '${s.profile}' instances`);
      }
      if (!gpu.migProfiles.some((p) => p.name === s.profile)) out.push(notOffered(s.profile, `slices[${i}].profile`));
      perProfile.set(s.profile, (perProfile.get(s.profile) ?? 0) + (Number.isFinite(s.count) ? s.count : 0));
    });
    if (out.length > 0) return out;

    let compute = 0;
    let memory = 0;
    let media = 0;
    for (const [name, count] of perProfile) {
      const p = gpu.migProfile(name);
      if (count > p.maxInstances) {
        out.push(
          `slices ${describeSlices(this.slices)} ask for ${count} '${name}' instances but ${gpu.displayName} fits at most ${p.maxInstances}; use a count <= ${p.maxInstances}`,
        );
      }
      compute += p.computeSlices * count;
      memory += p.memorySlices * count;
      if (p.mediaExtensions) media += count;
    }
    // Totals are necessary, not sufficient: the driver also enforces placement, which these checks approximate.
    if (compute > GPU_COMPUTE_SLICES) {
      out.push(
        `slices ${describeSlices(this.slices)} use ${compute} compute slices but ${gpu.displayName} has ${GPU_COMPUTE_SLICES}; remove instances until compute slices total <= ${GPU_COMPUTE_SLICES}`,
      );
    }
    if (memory > GPU_MEMORY_SLICES) {
      out.push(
        `slices ${describeSlices(this.slices)} use ${memory} memory slices (eighths of ${gpu.memoryGib} GB) but ${gpu.displayName} has ${GPU_MEMORY_SLICES}; remove instances until memory slices total <= ${GPU_MEMORY_SLICES}`,
      );
    }
    if (media > 1) {
      out.push(
        `slices ${describeSlices(this.slices)} ask for ${media} media-extension (+me) instances; a GPU has one set of media engines, use at most one +me instance`,
      );
    }
    return out;
  }
}

/** Config names of the operator's default mig-parted config that apply to `gpu`. */
export function acceptedNamedConfigs(gpu: Gpu): string[] {
  if (!gpu.migCapable) return [];
  return [...COMMON_NAMED, ...gpu.migProfiles.map((p) => uniformConfigName(p.name))];
}

function namedSlices(configName: string, gpu: Gpu): MigSliceCount[] {
  if (configName === 'all-disabled' || configName === 'all-enabled') return [];
  if (configName === 'all-balanced') {
    const row = BALANCED.find(([label]) => label === gpu.productLabel);
    if (!row)
      throw new GpuDomainError(
        `mig config 'all-balanced' is not defined for ${gpu.displayName}; use one of ${acceptedNamedConfigs(gpu).join(', ') || migCapableNames()}`,
      );
    return row[1].map((s) => ({ ...s }));
  }
  const profile = gpu.migProfiles.find((p) => uniformConfigName(p.name) === configName);
  if (!profile) {
    throw new GpuDomainError(
      `mig config '${configName}' is not in the GPU operator's default mig-parted config for ${gpu.name}; use one of ${acceptedNamedConfigs(gpu).join(', ') || 'a MIG-capable GPU: ' + migCapableNames()}`,
    );
  }
  return [{ profile: profile.name, count: profile.maxInstances }];
}
