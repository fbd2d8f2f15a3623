import { Token } from 'cdktf';
import { AcceleratorKind, Gpu } from '../gpu/accelerator';

/** How much of one accelerator a tenant is guaranteed: whole GPUs, or slices of one MIG profile. */
export interface GpuQuotaOptions {
  /**
   * Whole accelerators, counted as the pool advertises them: `nvidia.com/gpu` units (one per share on a
   * time-sliced pool, one per MIG instance on a pool under the single MIG strategy) or Neuron devices.
   * Give either `gpus` or `migProfile` with `slices`.
   * @default - none: give `migProfile` and `slices`
   */
  readonly gpus?: number;
  /**
   * MIG profile of the slices, e.g. `1g.10gb` (it must exist on the GPU).
   * @default - whole GPUs (`gpus`)
   */
  readonly migProfile?: string;
  /**
   * MIG instances of `migProfile`.
   * @default - none: give `gpus`
   */
  readonly slices?: number;
  /**
   * The pool to take the quota on, when several pools carry the GPU (and profile).
   * @default - the one pool that offers it
   */
  readonly pool?: string;
  /**
   * Whether tenants of the cohort may borrow this quota while it is idle (the owner reclaims it by
   * preemption when it needs it).
   * @default - false on inference pools (serving capacity stays reserved), true on every other pool
   */
  readonly lendable?: boolean;
}

/**
 * A tenant's guaranteed share of one accelerator, resolved at synth to a Kueue ResourceFlavor (one per
 * pool, or per pool and MIG profile under the mixed strategy) and the resource its nodes advertise.
 *
 * ```ts
 * GpuQuota.of(Gpu.H100_80GB, { migProfile: '1g.10gb', slices: 14 })
 * GpuQuota.of(Gpu.L4, { gpus: 4 })
 * ```
 */
export class GpuQuota {
  /** A quota of whole GPUs (`gpus`) or of MIG slices (`migProfile` and `slices`) of `gpu`. */
  public static of(gpu: Gpu, options: GpuQuotaOptions): GpuQuota {
    return new GpuQuota(gpu, options);
  }

  /** The accelerator. */
  public readonly gpu: Gpu;
  /** Whole accelerators, when the quota is of whole GPUs. */
  public readonly gpus?: number;
  /** MIG profile, when the quota is of slices. */
  public readonly migProfile?: string;
  /** MIG instances, when the quota is of slices. */
  public readonly slices?: number;
  /** The pool asked for, if any. */
  public readonly pool?: string;
  /** Lending asked for, if any. */
  public readonly lendable?: boolean;

  private constructor(gpu: Gpu, options: GpuQuotaOptions) {
    this.gpu = gpu;
    this.gpus = options.gpus;
    this.migProfile = options.migProfile;
    this.slices = options.slices;
    this.pool = options.pool;
    this.lendable = options.lendable;
  }

  /** Units asked for: `gpus` or `slices`. */
  public get count(): number {
    return this.migProfile !== undefined ? (this.slices ?? 0) : (this.gpus ?? 0);
  }

  /** A short description for messages, e.g. `H100_80GB 1g.10gb` or `L4`. */
  public get description(): string {
    return this.migProfile !== undefined ? `${this.gpu.name} ${this.migProfile}` : this.gpu.name;
  }

  /**
   * Problems of the quota itself (whatever the cluster), as `<prop> <value> <problem>; <fix>` with props
   * relative to the quota (`.slices`, `.migProfile`, ...).
   */
  public validate(): string[] {
    const out: string[] = [];
    const whole = (prop: string, v: number | undefined, fix: string) => {
      if (v === undefined || Token.isUnresolved(v)) return;
      if (!Number.isInteger(v) || v < 1) out.push(`.${prop} ${v} is not a whole number > 0; ${fix}`);
    };
    const hasGpus = this.gpus !== undefined;
    const hasSlices = this.slices !== undefined || this.migProfile !== undefined;
    if (hasGpus && hasSlices) {
      out.push(
        `.gpus ${this.gpus} cannot be combined with migProfile/slices; a quota is of whole GPUs or of MIG slices: use two GpuQuota.of(...) entries`,
      );
    } else if (!hasGpus && !hasSlices) {
      out.push(`.gpus undefined gives no quota; pass { gpus: n } or { migProfile: '<profile>', slices: n }`);
    }
    whole('gpus', this.gpus, 'give the number of whole accelerators, e.g. 4');
    whole('slices', this.slices, 'give the number of MIG instances, e.g. 7');
    if (this.migProfile !== undefined && this.slices === undefined && !hasGpus)
      out.push(`.slices undefined with migProfile '${this.migProfile}' gives no quota; pass slices: n`);
    if (this.slices !== undefined && this.migProfile === undefined && !hasGpus)
      out.push(`.migProfile undefined with slices ${this.slices} names no MIG profile; pass migProfile, e.g. '1g.10gb'`);
    if (this.migProfile !== undefined && !Token.isUnresolved(this.migProfile)) {
      if (this.gpu.kind !== AcceleratorKind.NVIDIA_GPU || !this.gpu.migCapable) {
        out.push(`.migProfile '${this.migProfile}' cannot be used: ${this.gpu.displayName} does not support MIG; use { gpus: n }`);
      } else if (!this.gpu.migProfiles.some((p) => p.name === this.migProfile)) {
        out.push(
          `.migProfile '${this.migProfile}' is not offered by ${this.gpu.displayName}; allowed: ${this.gpu.migProfiles.map((p) => p.name).join(', ')}`,
        );
      }
    }
    if (this.pool !== undefined && !Token.isUnresolved(this.pool) && this.pool.trim() === '')
      out.push(`.pool '' is empty; name a pool of the cluster or leave it unset`);
    return out;
  }
}
