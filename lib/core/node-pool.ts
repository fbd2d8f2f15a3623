import { Token } from 'cdktf';
import { AcceleratorKind, Gpu, MigLayout, MigLayoutKind, validateTimeSlicing } from '../gpu';
import type { AcceleratorPoolInfo } from './cluster';
import { CapacityReservation, CapacityReservationKind, reservedPoolProblems } from './capacity-reservation';
import { shown, validateLabels } from '../private/validation';
import { PoolMarket, PoolPricing } from './pool-pricing';

/** What a node pool is for; drives defaults, labels, taints and priority. */
export enum NodePoolRole {
  /** Latency-sensitive model serving. */
  INFERENCE = 'inference',
  /** Batch and training jobs, usually on spot capacity. */
  TRAINING = 'training',
  /** AWS Inferentia / Trainium nodes. */
  NEURON = 'neuron',
}

/** Effect of a node taint. */
export enum TaintEffect {
  /** Pods without a toleration are not scheduled. */
  NO_SCHEDULE = 'NoSchedule',
  /** The scheduler avoids the node for pods without a toleration. */
  PREFER_NO_SCHEDULE = 'PreferNoSchedule',
  /** Pods without a toleration are evicted. */
  NO_EXECUTE = 'NoExecute',
}

/** A Kubernetes node taint. */
export interface NodeTaint {
  /** Taint key. */
  readonly key: string;
  /** Taint value. */
  readonly value: string;
  /** Taint effect. */
  readonly effect: TaintEffect;
}

/** Label keys this library puts on nodes; workloads select pools with them. */
export class PlatformLabels {
  /** The node pool name. */
  public static readonly POOL = 'ai-platform.dev/pool';
  /** The pool role: inference, training, neuron or system. */
  public static readonly ROLE = 'ai-platform.dev/role';
  /** The accelerator catalog name, e.g. H100_80GB. */
  public static readonly ACCELERATOR = 'ai-platform.dev/accelerator';
  /** The MIG profile of a uniformly partitioned pool, e.g. 1g.10gb. */
  public static readonly MIG_PROFILE = 'ai-platform.dev/mig-profile';
  /** 'spot', 'on-demand', or 'reserved' on a pool every node of which runs on a capacity reservation. */
  public static readonly CAPACITY = 'ai-platform.dev/capacity';
  /** Read by the GPU operator's MIG manager: the mig-parted config to apply. */
  public static readonly MIG_CONFIG = 'nvidia.com/mig.config';
  /** Read by the GPU operator's device plugin: the named plugin config (time-slicing). */
  public static readonly DEVICE_PLUGIN_CONFIG = 'nvidia.com/device-plugin.config';
  /** Taint key on NVIDIA GPU nodes. */
  public static readonly GPU_TAINT = 'nvidia.com/gpu';
  /** Taint key on AWS Neuron nodes. */
  public static readonly NEURON_TAINT = 'aws.amazon.com/neuron';
  /** Taint key on spot training nodes. */
  public static readonly SPOT_TAINT = 'ai-platform.dev/spot';
}

/** Options shared by every pool kind. */
export interface NodePoolBaseOptions {
  /**
   * Fewest nodes; 0 lets the autoscaler remove every node when the pool is idle.
   * @default 0
   */
  readonly minNodes?: number;
  /** Most nodes the autoscaler may create. */
  readonly maxNodes: number;
  /**
   * Root volume size in GiB; model images and weights caches are large.
   * @default 200 for inference and Neuron pools, 500 for training pools
   */
  readonly diskSizeGib?: number;
  /**
   * Extra node labels.
   * @default - none
   */
  readonly labels?: { [key: string]: string };
  /**
   * What a node costs when it is not the catalog's public list price: a reserved or negotiated rate, or an
   * expected spot discount. Read by the platform report and the cost recording rules only.
   * @default - the on-demand list price of the library's catalog (spot pools: "varies", on-demand as ceiling)
   */
  readonly pricing?: PoolPricing;
  /**
   * Reserved capacity the pool runs on: an EC2 On-Demand Capacity Reservation or Capacity Block, or an
   * Azure capacity reservation group. Reserved capacity is On-Demand capacity: not with `spot`.
   * @default - no reservation
   */
  readonly capacityReservation?: CapacityReservation;
}

/** Options of an inference pool. */
export interface InferencePoolOptions extends NodePoolBaseOptions {
  /** The GPU model. */
  readonly gpu: Gpu;
  /**
   * MIG partitioning of every GPU in the pool (A100, H100, H200 only).
   * @default - whole GPUs
   */
  readonly mig?: MigLayout;
  /**
   * Time-slicing replicas per GPU, for GPUs without MIG (2-48).
   * @default - no sharing
   */
  readonly timeSlicing?: number;
  /**
   * Instance type (AWS) or VM size (Azure) carrying the GPU.
   * @default - the cloud's smallest offering of the GPU
   */
  readonly instanceType?: string;
  /**
   * Run on spot capacity. Needs `allowSpotInterruptions` because a reclaimed node drops in-flight requests.
   * @default false
   */
  readonly spot?: boolean;
  /**
   * Accept that spot reclaims interrupt serving.
   * @default false
   */
  readonly allowSpotInterruptions?: boolean;
}

/** Options of a training pool. */
export interface TrainingPoolOptions extends NodePoolBaseOptions {
  /** The GPU model. */
  readonly gpu: Gpu;
  /**
   * Run on spot capacity; the pool is tainted so only jobs that tolerate interruption land there.
   * @default false
   */
  readonly spot?: boolean;
  /**
   * Instance types (AWS) or one VM size (Azure). Spot pools spread over several types of the same GPU
   * and GPU count to find capacity.
   * @default - the cloud's largest offering of the GPU, plus same-size alternatives when spot
   */
  readonly instanceTypes?: string[];
}

/** Options of an AWS Neuron (Inferentia / Trainium) pool. */
export interface NeuronPoolOptions extends NodePoolBaseOptions {
  /** An inf2, trn1, trn1n or trn2 instance type. */
  readonly instanceType: string;
  /**
   * Run on spot capacity.
   * @default false
   */
  readonly spot?: boolean;
}

/**
 * A pool of accelerator nodes, described once and realised on either cloud.
 *
 * ```ts
 * GpuNodePool.inference('llm', { gpu: Gpu.H100_80GB, mig: MigLayout.uniform('1g.10gb'), maxNodes: 4 })
 * ```
 */
export class GpuNodePool {
  /** A pool for model serving. */
  public static inference(name: string, options: InferencePoolOptions): GpuNodePool {
    return new GpuNodePool(name, NodePoolRole.INFERENCE, options.gpu, options, {
      mig: options.mig,
      timeSlicing: options.timeSlicing,
      instanceTypes: options.instanceType ? [options.instanceType] : undefined,
      spot: options.spot ?? false,
      allowSpot: options.allowSpotInterruptions ?? false,
      diskSizeGib: options.diskSizeGib ?? 200,
    });
  }

  /** A pool for training and batch jobs. */
  public static training(name: string, options: TrainingPoolOptions): GpuNodePool {
    return new GpuNodePool(name, NodePoolRole.TRAINING, options.gpu, options, {
      instanceTypes: options.instanceTypes,
      spot: options.spot ?? false,
      allowSpot: true,
      diskSizeGib: options.diskSizeGib ?? 500,
    });
  }

  /** A pool of AWS Inferentia or Trainium nodes. */
  public static neuron(name: string, options: NeuronPoolOptions): GpuNodePool {
    const accelerator = Gpu.all().find((g) => g.kind === AcceleratorKind.AWS_NEURON && g.awsOffering(options.instanceType));
    return new GpuNodePool(name, NodePoolRole.NEURON, accelerator, options, {
      instanceTypes: [options.instanceType],
      spot: options.spot ?? false,
      allowSpot: true,
      diskSizeGib: options.diskSizeGib ?? 200,
    });
  }

  /** Pool name; names the node group and the pool label. */
  public readonly name: string;
  /** What the pool is for. */
  public readonly role: NodePoolRole;
  /** The accelerator; undefined only for a Neuron pool whose instance type is not a Neuron type (rejected at validation). */
  public readonly gpu?: Gpu;
  /** MIG layout, if any. */
  public readonly mig?: MigLayout;
  /** Time-slicing replicas, if any. */
  public readonly timeSlicing?: number;
  /** Requested instance types; undefined means the cloud picks from the catalog. */
  public readonly instanceTypes?: string[];
  /** Spot capacity. */
  public readonly spot: boolean;
  /** Fewest nodes. */
  public readonly minNodes: number;
  /** Most nodes. */
  public readonly maxNodes: number;
  /** Root volume GiB. */
  public readonly diskSizeGib: number;
  /** User labels. */
  public readonly extraLabels: { [key: string]: string };
  /** Price override, if any. */
  public readonly pricing?: PoolPricing;
  /** Reserved capacity, if any. */
  public readonly capacityReservation?: CapacityReservation;
  private readonly allowSpot: boolean;
  private readonly requestedInstanceType?: string;

  private constructor(
    name: string,
    role: NodePoolRole,
    gpu: Gpu | undefined,
    base: NodePoolBaseOptions,
    extra: {
      mig?: MigLayout;
      timeSlicing?: number;
      instanceTypes?: string[];
      spot: boolean;
      allowSpot: boolean;
      diskSizeGib: number;
    },
  ) {
    this.name = name;
    this.role = role;
    this.gpu = gpu;
    this.mig = extra.mig;
    this.timeSlicing = extra.timeSlicing;
    this.instanceTypes = extra.instanceTypes;
    this.requestedInstanceType = extra.instanceTypes?.[0];
    this.spot = extra.spot;
    this.allowSpot = extra.allowSpot;
    this.minNodes = base.minNodes ?? 0;
    this.maxNodes = base.maxNodes;
    this.diskSizeGib = extra.diskSizeGib;
    this.extraLabels = { ...(base.labels ?? {}) };
    this.pricing = base.pricing;
    this.capacityReservation = base.capacityReservation;
  }

  /**
   * How the pool's nodes are bought: reserved when its pricing says so or it runs on a guaranteed capacity
   * reservation, else spot or on-demand.
   */
  public get market(): PoolMarket {
    if (this.pricing?.market === PoolMarket.RESERVED || this.capacityReservation?.guaranteed) return PoolMarket.RESERVED;
    return this.spot ? PoolMarket.SPOT : PoolMarket.ON_DEMAND;
  }

  /**
   * Cloud-neutral checks. Each message reads `nodePools[<name>].<prop> <value> …; <fix>`.
   */
  public validate(): string[] {
    const p = `nodePools[${this.name}]`;
    const out: string[] = [];
    if (!/^[a-z0-9]([-a-z0-9]{0,22}[a-z0-9])?$/.test(this.name)) {
      out.push(`${p}.name ${shown(this.name)} is not a short DNS label; use 1-24 lower-case letters, digits or '-'`);
    }
    out.push(
      ...validateLabels(`${p}.labels`, this.extraLabels, {
        nodeLabels: true,
        reservedPrefixes: ['ai-platform.dev/', 'kubernetes.azure.com/'],
        reservedKeys: [PlatformLabels.MIG_CONFIG, PlatformLabels.DEVICE_PLUGIN_CONFIG, 'k8s.amazonaws.com/accelerator'],
      }),
    );
    // Counts from variables or references are checked by the cloud at apply time.
    const minKnown = !Token.isUnresolved(this.minNodes);
    const maxKnown = !Token.isUnresolved(this.maxNodes);
    if (minKnown && (!Number.isInteger(this.minNodes) || this.minNodes < 0))
      out.push(`${p}.minNodes ${this.minNodes} is not a whole number >= 0; use 0 to scale from zero`);
    if (maxKnown && (!Number.isInteger(this.maxNodes) || this.maxNodes < 1))
      out.push(`${p}.maxNodes ${this.maxNodes} is not a whole number >= 1; set the most nodes the pool may grow to`);
    if (minKnown && maxKnown && this.minNodes > this.maxNodes)
      out.push(`${p}.minNodes ${this.minNodes} is greater than maxNodes ${this.maxNodes}; use minNodes <= maxNodes`);
    if (!Token.isUnresolved(this.diskSizeGib) && (!Number.isInteger(this.diskSizeGib) || this.diskSizeGib < 50 || this.diskSizeGib > 16384))
      out.push(`${p}.diskSizeGib ${this.diskSizeGib} is out of range; use 50-16384 GiB`);
    if (this.pricing) out.push(...this.pricing.validate(p, this.spot));
    if (this.capacityReservation) {
      out.push(
        ...reservedPoolProblems(p, this.capacityReservation, {
          spot: this.spot,
          minNodes: minKnown ? this.minNodes : undefined,
          instanceTypes: this.instanceTypes ?? [],
        }),
      );
    }
    if (this.role === NodePoolRole.NEURON) {
      if (!this.gpu) {
        const types = Gpu.all()
          .filter((g) => g.kind === AcceleratorKind.AWS_NEURON)
          .flatMap((g) => g.awsInstanceTypes.map((o) => o.instanceType));
        out.push(
          `${p}.instanceType '${this.requestedInstanceType}' is not an Inferentia/Trainium instance type; use one of ${types.join(', ')} (GPU instances belong in GpuNodePool.inference or .training)`,
        );
      }
      return out;
    }
    const gpu = this.gpu!;
    if (gpu.kind === AcceleratorKind.AWS_NEURON) {
      out.push(
        `${p}.gpu ${gpu.name} is an AWS Neuron accelerator, not a GPU; use GpuNodePool.neuron('${this.name}', { instanceType: '${gpu.awsInstanceTypes[0]?.instanceType}', … })`,
      );
      return out;
    }
    if (this.spot && !this.allowSpot) {
      out.push(
        `${p}.spot true on an inference pool loses in-flight requests when capacity is reclaimed; set allowSpotInterruptions: true to accept that, or use GpuNodePool.training for interruptible work`,
      );
    }
    if (this.mig && this.timeSlicing !== undefined) {
      out.push(`${p}.timeSlicing ${this.timeSlicing} cannot be combined with mig; choose MIG partitions or time-slicing, not both`);
    }
    if (this.mig) out.push(...this.mig.validate(gpu).map((m) => `${p}.mig ${m}`));
    if (this.timeSlicing !== undefined) out.push(...validateTimeSlicing(gpu, this.timeSlicing).map((m) => `${p}.timeSlicing ${m}`));
    return out;
  }

  /**
   * Instance types (AWS) or VM size (Azure) the pool asked for, or else the reserved one; undefined means
   * the cloud picks from the catalog.
   */
  public get requestedInstanceTypes(): string[] | undefined {
    if (this.instanceTypes && this.instanceTypes.length) return this.instanceTypes;
    const reserved = this.capacityReservation?.instanceType;
    return reserved !== undefined && this.capacityReservation?.kind !== CapacityReservationKind.EC2_OPEN ? [reserved] : undefined;
  }

  /**
   * Which machine size the pool prefers when the user names none, given the accelerator counts a cloud
   * offers for its GPU: training the largest (NVLink inside the node), everything else the smallest
   * (one replica per node scales finest).
   */
  public preferredAcceleratorCount(counts: number[]): number {
    return this.role === NodePoolRole.TRAINING ? Math.max(...counts) : Math.min(...counts);
  }

  /** The mig-parted config name the MIG manager applies to this pool's nodes, if MIG is on. */
  public get migConfigName(): string | undefined {
    return this.mig?.configName(this.name);
  }

  /** True when the pool's layout needs the device plugin's 'mixed' MIG strategy. */
  public get needsMixedMigStrategy(): boolean {
    return this.mig !== undefined && this.mig.strategy === 'mixed';
  }

  /** Name of the device-plugin config for a time-sliced pool. */
  public get devicePluginConfigName(): string | undefined {
    return this.timeSlicing !== undefined ? `time-slicing-${this.timeSlicing}` : undefined;
  }

  /** Cloud-neutral node labels (clouds add their own). */
  public get labels(): { [key: string]: string } {
    const l: { [key: string]: string } = {
      [PlatformLabels.POOL]: this.name,
      [PlatformLabels.ROLE]: this.role,
      [PlatformLabels.CAPACITY]: this.spot ? 'spot' : this.capacityReservation?.guaranteed ? 'reserved' : 'on-demand',
    };
    if (this.gpu) l[PlatformLabels.ACCELERATOR] = this.gpu.name;
    if (this.mig && this.mig.kind === MigLayoutKind.UNIFORM && this.gpu) {
      const slices = this.mig.slicesPerGpu(this.gpu);
      if (slices.length === 1) l[PlatformLabels.MIG_PROFILE] = slices[0].profile.replace('+', '.');
    }
    if (this.migConfigName) l[PlatformLabels.MIG_CONFIG] = this.migConfigName;
    if (this.devicePluginConfigName) l[PlatformLabels.DEVICE_PLUGIN_CONFIG] = this.devicePluginConfigName;
    return { ...l, ...this.extraLabels };
  }

  /** Cloud-neutral taints that keep general workloads off accelerators. */
  public get taints(): NodeTaint[] {
    const t: NodeTaint[] = [];
    if (this.role === NodePoolRole.NEURON) t.push({ key: PlatformLabels.NEURON_TAINT, value: 'true', effect: TaintEffect.NO_SCHEDULE });
    else t.push({ key: PlatformLabels.GPU_TAINT, value: 'true', effect: TaintEffect.NO_SCHEDULE });
    if (this.spot) t.push({ key: PlatformLabels.SPOT_TAINT, value: 'true', effect: TaintEffect.NO_SCHEDULE });
    return t;
  }

  /**
   * Extended resources one node advertises, so an autoscaler can scale the pool up from zero.
   * @param acceleratorsPerNode devices on one node of the chosen instance type
   * @param clusterMigStrategy 'single' or 'mixed': the device plugin strategy of the whole cluster
   */
  public extendedResources(acceleratorsPerNode: number, clusterMigStrategy: string): ExtendedResource[] {
    if (!this.gpu) return [];
    if (this.role === NodePoolRole.NEURON) {
      // The Neuron device plugin advertises both whole devices and NeuronCores; pods request either.
      return [
        { name: 'aws.amazon.com/neuron', count: acceleratorsPerNode },
        { name: 'aws.amazon.com/neuroncore', count: acceleratorsPerNode * this.gpu.neuronCoresPerDevice },
      ];
    }
    const gpu = this.gpu;
    // Each time-sliced replica shares the GPU: a server on it may use its share of the memory only.
    if (this.timeSlicing !== undefined)
      return [{ name: 'nvidia.com/gpu', count: acceleratorsPerNode * this.timeSlicing, memoryGib: gpu.memoryGib / this.timeSlicing }];
    if (!this.mig) return [{ name: 'nvidia.com/gpu', count: acceleratorsPerNode, memoryGib: gpu.memoryGib }];
    const slices = this.mig.slicesPerGpu(gpu);
    const memory = (profile: string) => gpu.migProfile(profile).memoryGb;
    if (clusterMigStrategy === 'single' && slices.length === 1) {
      return [{ name: 'nvidia.com/gpu', count: acceleratorsPerNode * slices[0].count, memoryGib: memory(slices[0].profile) }];
    }
    // Under the mixed strategy a MIG node advertises no whole GPU: saying 0 keeps an autoscaler from
    // counting the machine's GPUs and scaling this pool for pods that ask for whole GPUs.
    return [
      { name: 'nvidia.com/gpu', count: 0 },
      ...slices.map((s) => ({
        name: `nvidia.com/mig-${s.profile.replace('+', '.')}`,
        count: acceleratorsPerNode * s.count,
        memoryGib: memory(s.profile),
      })),
    ];
  }
}

/** An extended resource and how many of it one node offers. */
export interface ExtendedResource {
  /** Resource name, e.g. nvidia.com/gpu. */
  readonly name: string;
  /** Units per node. */
  readonly count: number;
  /**
   * Accelerator memory one unit gives a pod, in GiB: a whole GPU, a MIG instance, or a time-sliced share.
   * @default - unknown
   */
  readonly memoryGib?: number;
}

/**
 * The device plugin's MIG strategy for a cluster: 'mixed' as soon as one pool mixes profiles on a GPU.
 */
export function clusterMigStrategy(pools: GpuNodePool[]): string {
  return pools.some((p) => p.needsMixedMigStrategy) ? 'mixed' : 'single';
}

/** How a pool the library creates appears to add-ons, given the labels, taints and capacity its cloud gives it. */
export function acceleratorPoolInfo(
  pool: GpuNodePool,
  labels: { [key: string]: string },
  taints: NodeTaint[],
  capacity: ExtendedResource[],
  instanceTypes?: string[],
): AcceleratorPoolInfo {
  return {
    instanceTypes,
    minNodes: pool.minNodes,
    market: pool.market,
    pricing: pool.pricing,
    name: pool.name,
    accelerator: pool.role === NodePoolRole.NEURON ? AcceleratorKind.AWS_NEURON : AcceleratorKind.NVIDIA_GPU,
    gpu: pool.gpu,
    labels,
    taints,
    capacity,
    maxNodes: pool.maxNodes,
    mig: pool.mig !== undefined,
  };
}
