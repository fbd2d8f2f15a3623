import { Op, Token } from 'cdktf';
import { CapacityReservationKind } from '../../core/capacity-reservation';
import { ExtendedResource, GpuNodePool, NodeTaint, PlatformLabels } from '../../core/node-pool';
import { AwsPoolShape } from '../instance-selection';

/** Everything one pool's NodePool, EC2NodeClass and NodeOverlay are built from. */
export interface KarpenterPoolInput {
  /** The pool as declared. */
  readonly pool: GpuNodePool;
  /** Its instance types and accelerators per node. */
  readonly shape: AwsPoolShape;
  /** Labels the managed node group would carry (the GPU operator reads MIG and time-slicing ones). */
  readonly labels: { [key: string]: string };
  /** Taints the managed node group would carry. */
  readonly taints: NodeTaint[];
  /** Extended resources one node advertises once its device plugin runs. */
  readonly capacity: ExtendedResource[];
}

/** Cluster-wide parts of every EC2NodeClass. */
export interface KarpenterNodeClassInput {
  /** Instance profile of the nodes (Terraform-managed, so the controller needs no IAM write access). */
  readonly instanceProfileName: string;
  /** Subnet selector terms (`tags` or `id`). */
  readonly subnetSelectorTerms: { [key: string]: any }[];
  /** Security group selector terms. */
  readonly securityGroupSelectorTerms: { [key: string]: any }[];
  /** The pinned AMI alias. */
  readonly amiAlias: string;
  /** Tags for instances, volumes and network interfaces. */
  readonly tags: { [key: string]: string };
  /** Allow on-demand capacity in spot pools. */
  readonly spotFallbackToOnDemand: boolean;
  /** Empty-node delay. */
  readonly consolidateAfter: string;
}

/** How long Karpenter drains a node before it terminates it anyway (PDBs and do-not-disrupt pods included). */
export const KARPENTER_TERMINATION_GRACE = '30m';

/** Tag keys Karpenter sets itself and the EC2NodeClass rejects. */
const RESERVED_TAG =
  /^(eks:eks-cluster-name|kubernetes\.io\/cluster|karpenter\.sh\/nodepool|karpenter\.sh\/nodeclaim|karpenter\.k8s\.aws\/ec2nodeclass)/;

/** vCPUs of an EC2 instance type: `<n>xlarge` has 4n, `xlarge` 4; metal sizes by table. */
export function awsVcpus(instanceType: string): number | undefined {
  const metal: { [type: string]: number } = { 'g4dn.metal': 96 };
  if (metal[instanceType] !== undefined) return metal[instanceType];
  const m = /\.(\d*)xlarge$/.exec(instanceType);
  if (!m) return undefined;
  return 4 * (m[1] ? Number(m[1]) : 1);
}

/**
 * NodePool limits: `nodes` is the pool's maxNodes; each extended resource a node advertises (as the managed
 * node group's scale-from-zero tags say) times maxNodes; cpu from the largest instance type. A resource a node
 * advertises 0 of (whole GPUs under mixed MIG) gets no limit: Karpenter estimates a new node from the instance
 * type's physical GPUs, so a 0 limit would block every launch.
 */
export function karpenterLimits(input: KarpenterPoolInput): { [resource: string]: string } {
  const max = input.pool.maxNodes;
  // maxNodes from a variable: the products are Terraform expressions, rendered into the values at apply.
  const times = (n: number) => (Token.isUnresolved(max) ? Token.asString(Op.mul(max, n)) : String(n * max));
  const limits: { [resource: string]: string } = { nodes: Token.asString(max) };
  const vcpus = input.shape.instanceTypes.map(awsVcpus);
  if (vcpus.every((v) => v !== undefined)) limits.cpu = times(Math.max(...(vcpus as number[])));
  for (const r of input.capacity) if (r.count > 0) limits[r.name] = times(r.count);
  return limits;
}

/**
 * Capacity types a pool may launch: its reservation ('reserved', with on-demand behind an open one), spot
 * (with on-demand behind it when allowed), or on-demand.
 */
function capacityTypes(pool: GpuNodePool, fallback: boolean): string[] {
  const r = pool.capacityReservation;
  if (r) return r.guaranteed ? ['reserved'] : ['reserved', 'on-demand'];
  if (!pool.spot) return ['on-demand'];
  return fallback ? ['spot', 'on-demand'] : ['spot'];
}

/**
 * The EC2NodeClass selector of a pool's reservation: by id (an On-Demand Capacity Reservation or a Capacity
 * Block: Karpenter launches in the reservation's zone and reads the block's window), or every open reservation
 * that matches. Resource groups have no selector (rejected by `GpuProvisioner.validate`).
 */
export function karpenterReservationTerms(pool: GpuNodePool): { [key: string]: string }[] | undefined {
  const r = pool.capacityReservation;
  if (!r) return undefined;
  switch (r.kind) {
    case CapacityReservationKind.EC2_TARGETED:
    case CapacityReservationKind.EC2_CAPACITY_BLOCK:
      return [{ id: r.id! }];
    case CapacityReservationKind.EC2_OPEN:
      return [{ instanceMatchCriteria: 'open' }];
    default:
      return undefined;
  }
}

/**
 * The NodePool of one pool. Disruption never touches a node with pods on it: empty nodes go after
 * `consolidateAfter` (scale to zero), while underutilized consolidation and drift, which evict running serving
 * replicas and training jobs, are budgeted to 0 nodes; nodes never expire. Drain on deletion (interruption,
 * destroy) respects PDBs for at most KARPENTER_TERMINATION_GRACE.
 */
export function karpenterNodePool(input: KarpenterPoolInput, common: KarpenterNodeClassInput): { [key: string]: any } {
  const pool = input.pool;
  return {
    apiVersion: 'karpenter.sh/v1',
    kind: 'NodePool',
    metadata: { name: pool.name },
    spec: {
      template: {
        metadata: { labels: { ...input.labels } },
        spec: {
          nodeClassRef: { group: 'karpenter.k8s.aws', kind: 'EC2NodeClass', name: pool.name },
          taints: input.taints.map((t) => ({ key: t.key, value: t.value, effect: t.effect })),
          requirements: [
            { key: 'node.kubernetes.io/instance-type', operator: 'In', values: [...input.shape.instanceTypes] },
            { key: 'karpenter.sh/capacity-type', operator: 'In', values: capacityTypes(pool, common.spotFallbackToOnDemand) },
            { key: 'kubernetes.io/arch', operator: 'In', values: ['amd64'] },
            { key: 'kubernetes.io/os', operator: 'In', values: ['linux'] },
          ],
          expireAfter: 'Never',
          terminationGracePeriod: KARPENTER_TERMINATION_GRACE,
        },
      },
      limits: karpenterLimits(input),
      disruption: {
        consolidationPolicy: 'WhenEmpty',
        consolidateAfter: common.consolidateAfter,
        budgets: [
          { nodes: '0', reasons: ['Drifted', 'Underutilized'] },
          { nodes: '1', reasons: ['Empty'] },
        ],
      },
    },
  };
}

/**
 * The EC2NodeClass of one pool: the pinned AL2023 release (Karpenter picks its NVIDIA or Neuron variant by
 * instance type), the nodes' instance profile, subnets and security group by selector, IMDSv2 with one hop (pods
 * cannot reach the node's credentials), an encrypted gp3 root volume of the pool's size, the cluster's tags and
 * the pool's (`ai-platform.dev/pool`).
 */
export function karpenterNodeClass(input: KarpenterPoolInput, common: KarpenterNodeClassInput): { [key: string]: any } {
  const pool = input.pool;
  const tags: { [key: string]: string } = {};
  // Karpenter sets the reserved keys itself and the CRD rejects them, and empty values.
  for (const [k, v] of Object.entries(common.tags)) if (!RESERVED_TAG.test(k) && v !== '') tags[k] = v;
  return {
    apiVersion: 'karpenter.k8s.aws/v1',
    kind: 'EC2NodeClass',
    metadata: { name: pool.name },
    spec: {
      amiSelectorTerms: [{ alias: common.amiAlias }],
      instanceProfile: common.instanceProfileName,
      subnetSelectorTerms: common.subnetSelectorTerms,
      securityGroupSelectorTerms: common.securityGroupSelectorTerms,
      capacityReservationSelectorTerms: karpenterReservationTerms(pool),
      metadataOptions: {
        httpEndpoint: 'enabled',
        httpProtocolIPv6: 'disabled',
        httpPutResponseHopLimit: 1,
        httpTokens: 'required',
      },
      blockDeviceMappings: [
        {
          deviceName: '/dev/xvda',
          rootVolume: true,
          ebs: {
            volumeSize: `${Token.asString(pool.diskSizeGib)}Gi`,
            volumeType: 'gp3',
            iops: 3000,
            throughput: 250,
            encrypted: true,
            deleteOnTermination: true,
          },
        },
      ],
      detailedMonitoring: true,
      // The pool by a key of the library's: Karpenter tags each instance Name = its node name (what the EC2
      // console and the runbooks search by) only when the node class sets no Name tag.
      tags: { ...tags, [PlatformLabels.POOL]: pool.name },
    },
  };
}

/** Resources Karpenter derives from the instance type itself; a NodeOverlay may add others, never change these. */
const KARPENTER_WELL_KNOWN = new Set(['nvidia.com/gpu', 'aws.amazon.com/neuron', 'aws.amazon.com/neuroncore']);

/**
 * A NodeOverlay that tells Karpenter's scheduler which MIG devices a node of the pool advertises once the GPU
 * operator has cut its GPUs (`nvidia.com/mig-<profile>`, under the mixed strategy): without it Karpenter knows
 * only the instance type's whole GPUs and never launches a node for a pod asking for a MIG device. Resources
 * Karpenter knows itself (`nvidia.com/gpu`, Neuron devices and cores) cannot be overlaid (Karpenter 1.14 docs,
 * NodeOverlay `spec.capacity`), so whole-GPU, Neuron, time-sliced and single-strategy MIG pools get none: for
 * the last two Karpenter counts one GPU per physical GPU, and a burst may launch more nodes than the pods
 * need (bounded by `limits.nodes`; the surplus is empty once they register and goes after `consolidateAfter`).
 */
export function karpenterNodeOverlay(input: KarpenterPoolInput): { [key: string]: any } | undefined {
  const capacity: { [resource: string]: string } = {};
  for (const r of input.capacity) if (r.count > 0 && !KARPENTER_WELL_KNOWN.has(r.name)) capacity[r.name] = String(r.count);
  if (Object.keys(capacity).length === 0) return undefined;
  return {
    apiVersion: 'karpenter.sh/v1alpha1',
    kind: 'NodeOverlay',
    metadata: { name: input.pool.name },
    spec: {
      requirements: [{ key: 'karpenter.sh/nodepool', operator: 'In', values: [input.pool.name] }],
      capacity,
    },
  };
}
