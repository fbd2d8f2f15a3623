import { ChartOverrides } from '../../addons/chart';
import { CapacityReservationKind } from '../../core/capacity-reservation';
import { GpuNodePool } from '../../core/node-pool';
import { isToken, shown } from '../../private/validation';

/** Options of Karpenter as the provisioner of a cluster's accelerator pools. */
export interface KarpenterProvisionerOptions {
  /**
   * The EKS-optimized AMI release of every Karpenter node, as an EC2NodeClass alias (`al2023@v<date>`). Karpenter
   * picks the NVIDIA or Neuron variant of that release by instance type. Pinned, so a new release is a reviewed
   * change: nodes launched after it get the new AMI, while running nodes keep theirs, since their pools budget
   * Drifted disruption to 0 nodes and never expire them. A pool refreshes only as its nodes empty and go after
   * `consolidateAfter`; to roll a busy pool, delete its NodeClaims (`kubectl delete nodeclaim`, which drains
   * them). Under 'latest' each AMI release would reach new nodes unreviewed, and pools would run a mix of releases.
   * @default 'al2023@v20260818'
   */
  readonly amiAlias?: string;
  /**
   * Let spot pools fall back to on-demand capacity when no spot capacity is found (Karpenter prefers spot when
   * both are allowed). Nodes keep the pool's spot label and taint: the workload on them must still accept
   * interruption.
   * @default false
   */
  readonly spotFallbackToOnDemand?: boolean;
  /**
   * How long a node must stay empty before Karpenter removes it (GPU nodes are expensive, but image pulls make
   * them slow to come back), as a Go duration.
   * @default '10m'
   */
  readonly consolidateAfter?: string;
  /**
   * Version and values overrides of the karpenter chart.
   * @default - the pinned version and the library's values
   */
  readonly chart?: ChartOverrides;
  /**
   * Version override of the karpenter-crd chart; keep it equal to the controller's.
   * @default - the pinned version
   */
  readonly crdChart?: ChartOverrides;
}

/** Default AMI release of Karpenter nodes (awslabs/amazon-eks-ami v20260818). */
export const KARPENTER_DEFAULT_AMI_ALIAS = 'al2023@v20260818';

/** What provisions the accelerator pools of an EKS cluster. */
export class GpuProvisioner {
  /** One EKS managed node group per pool, scaled by cluster-autoscaler (the default). */
  public static managedNodeGroups(): GpuProvisioner {
    return new GpuProvisioner(false, {});
  }

  /**
   * Karpenter: one NodePool and EC2NodeClass per pool, nodes launched for pending pods and removed when empty.
   * The system node group stays a managed node group and runs the controller.
   */
  public static karpenter(options: KarpenterProvisionerOptions = {}): GpuProvisioner {
    return new GpuProvisioner(true, options);
  }

  /** True for Karpenter. */
  public readonly isKarpenter: boolean;
  /** Karpenter's options (empty for managed node groups). */
  public readonly karpenterOptions: KarpenterProvisionerOptions;

  private constructor(isKarpenter: boolean, options: KarpenterProvisionerOptions) {
    this.isKarpenter = isKarpenter;
    this.karpenterOptions = options;
  }

  /** The pinned AMI alias. */
  public get amiAlias(): string {
    return this.karpenterOptions.amiAlias ?? KARPENTER_DEFAULT_AMI_ALIAS;
  }

  /** The empty-node delay. */
  public get consolidateAfter(): string {
    return this.karpenterOptions.consolidateAfter ?? '10m';
  }

  /** Checks of the options and of the pools Karpenter would provision, as `<prop> <value> <problem>; <fix>` messages. */
  public validate(systemMinNodes: number, pools: GpuNodePool[]): string[] {
    if (!this.isKarpenter) return [];
    const out: string[] = [];
    for (const pool of pools) {
      const r = pool.capacityReservation;
      // Another cloud's reservation is reported for every cloud at once (reservationCloudProblems).
      if (r?.kind === CapacityReservationKind.EC2_RESOURCE_GROUP) {
        // EC2NodeClass.capacityReservationSelectorTerms select by id, tags, owner or match criteria only.
        out.push(
          `nodePools[${pool.name}].capacityReservation ${r.kind} cannot be selected by Karpenter, whose EC2NodeClass names reservations by id, tags or match criteria, not by resource group; give the pool CapacityReservation.ec2('<cr-id>') per reservation, or provision it with GpuProvisioner.managedNodeGroups()`,
        );
      }
      // Karpenter launches nodes for pending pods only; a NodePool has no minimum.
      if (!isToken(pool.minNodes) && pool.minNodes > 0) {
        out.push(
          `nodePools[${pool.name}].minNodes ${pool.minNodes} cannot be kept by Karpenter, which launches nodes for pending pods only (a NodePool has no minimum); use minNodes 0 and keep warm capacity with a low-priority placeholder Deployment, or GpuProvisioner.managedNodeGroups()`,
        );
      }
    }
    const p = 'cloud.gpuProvisioner';
    const alias = this.amiAlias;
    if (!isToken(alias) && !/^al2023@v\d{8}$/.test(alias)) {
      out.push(
        `${p}.amiAlias ${shown(alias)} is not a pinned AL2023 release; use 'al2023@v<yyyymmdd>' (an awslabs/amazon-eks-ami release), e.g. '${KARPENTER_DEFAULT_AMI_ALIAS}': 'latest' moves new nodes to each AMI release as it ships, unreviewed, while running nodes keep older ones`,
      );
    }
    const after = this.consolidateAfter;
    if (!isToken(after) && !/^(([0-9]+(s|m|h))+|Never)$/.test(after)) {
      out.push(`${p}.consolidateAfter ${shown(after)} is not a duration; use e.g. '30s', '10m', '1h' or 'Never'`);
    }
    const replicas = this.karpenterOptions.chart?.values?.replicas ?? 2;
    if (!isToken(systemMinNodes) && !isToken(replicas) && typeof replicas === 'number' && systemMinNodes < replicas) {
      out.push(
        `systemMinNodes ${systemMinNodes} is fewer than the ${replicas} Karpenter controller replicas, which the chart spreads over distinct nodes (required anti-affinity) and which cannot run on nodes Karpenter launches; use systemMinNodes >= ${replicas}`,
      );
    }
    return out;
  }
}
