import { lazyModule } from '../private/lazy';
import type { KubernetesClusterNodePool } from '@cdktf/provider-azurerm/lib/kubernetes-cluster-node-pool';
import { ITerraformDependable, Postcondition } from 'cdktf';
import { Construct } from 'constructs';
import { ExtendedResource, GpuNodePool, NodePoolRole, NodeTaint, PlatformLabels, TaintEffect } from '../core/node-pool';

const kubernetesClusterNodePoolLib = lazyModule<typeof import('@cdktf/provider-azurerm/lib/kubernetes-cluster-node-pool')>(
  '@cdktf/provider-azurerm/lib/kubernetes-cluster-node-pool',
);

const SPOT_LABEL = 'kubernetes.azure.com/scalesetpriority';
/**
 * Tag prefix the Azure cluster-autoscaler reads on a pool's scale set to learn what a node it has not
 * started yet will offer ('_' stands for '/', which Azure tag names may not contain).
 */
export const AKS_NODE_TEMPLATE_RESOURCE_TAG = 'k8s.io_cluster-autoscaler_node-template_resources_';
/** Tag prefixes for the labels and taints of a node the Azure autoscaler has not started yet. */
export const AKS_NODE_TEMPLATE_LABEL_TAG = 'k8s.io_cluster-autoscaler_node-template_label_';
export const AKS_NODE_TEMPLATE_TAINT_TAG = 'k8s.io_cluster-autoscaler_node-template_taint_';

/** Name of the untainted pool for ordinary workloads, and its role label. */
export const GENERAL_POOL = 'general';

/** The temporary pool name AKS rotates `pool` through: at most 12 lower-case alphanumerics. */
export function rotationName(pool: string): string {
  return `${pool.slice(0, 9)}tmp`;
}

/** A label or taint key as the Azure autoscaler's tags spell it: '_' for '/', '~2' for '_'. */
function templateKey(key: string): string {
  return key.replace(/_/g, '~2').replace(/\//g, '_');
}

/**
 * Upgrade settings of a pool, every field pinned: azurerm forces a new pool (for the system pool: a new
 * cluster) when a drain timeout or undrainable-node behaviour it reads back is absent from the
 * configuration, as after AKS or an operator set it. 'Schedule' is AKS's documented default.
 */
export function upgradeSettings(maxSurge: string) {
  return { maxSurge, drainTimeoutInMinutes: 30, nodeSoakDurationInMinutes: 0, undrainableNodeBehavior: 'Schedule' };
}

/** The labels nodes of `pool` carry, with the spot label AKS adds. */
export function aksPoolLabels(pool: GpuNodePool): { [key: string]: string } {
  const labels: { [key: string]: string } = { ...pool.labels };
  // AKS labels spot nodes itself (and taints them, see aksPoolTaints); declaring it keeps plans clean.
  if (pool.spot) labels[SPOT_LABEL] = 'spot';
  return labels;
}

/** The taints nodes of `pool` carry, with the spot taint AKS adds. */
export function aksPoolTaints(pool: GpuNodePool): NodeTaint[] {
  return pool.spot ? [...pool.taints, { key: SPOT_LABEL, value: 'spot', effect: TaintEffect.NO_SCHEDULE }] : pool.taints;
}

/** Where the pools of one AKS cluster go. */
export interface AksPoolTarget {
  /** Id of the cluster. */
  readonly kubernetesClusterId: string;
  /** Node subnet id. */
  readonly nodeSubnetId: string;
  /** Kubernetes version of the nodes. */
  readonly orchestratorVersion: string;
  /** Tags. */
  readonly tags: { [key: string]: string };
}

/** What the untainted 'general' pool is made of. */
export interface AksGeneralPoolProps {
  /** VM size. */
  readonly vmSize: string;
  /** Fewest nodes. */
  readonly minNodes: number;
  /** Most nodes. */
  readonly maxNodes: number;
}

/** The untainted, autoscaled 'general' pool ('GeneralPool' in `scope`) where ordinary workloads run. */
export function aksGeneralPool(scope: Construct, target: AksPoolTarget, props: AksGeneralPoolProps): KubernetesClusterNodePool {
  const labels = { [PlatformLabels.ROLE]: GENERAL_POOL, [PlatformLabels.POOL]: GENERAL_POOL };
  const template: { [key: string]: string } = {};
  // So a pod selecting the pool scales it up from zero (generalMinNodes 0).
  for (const [k, v] of Object.entries(labels)) template[`${AKS_NODE_TEMPLATE_LABEL_TAG}${templateKey(k)}`] = v;
  return new (kubernetesClusterNodePoolLib().KubernetesClusterNodePool)(scope, 'GeneralPool', {
    name: GENERAL_POOL,
    kubernetesClusterId: target.kubernetesClusterId,
    vmSize: props.vmSize,
    mode: 'User',
    vnetSubnetId: target.nodeSubnetId,
    autoScalingEnabled: true,
    minCount: props.minNodes,
    maxCount: props.maxNodes,
    nodeLabels: labels,
    osSku: 'AzureLinux',
    osDiskSizeGb: 128,
    upgradeSettings: upgradeSettings('33%'),
    orchestratorVersion: target.orchestratorVersion,
    // A new VM size or disk rotates through a temporary pool instead of failing.
    temporaryNameForRotation: rotationName(GENERAL_POOL),
    tags: { ...target.tags, ...template },
    lifecycle: { ignoreChanges: ['node_count'] },
  });
}

/** What an accelerator pool's nodes are and advertise. */
export interface AksAcceleratorPoolProps {
  /** VM size the pool's GPU (or count) selected. */
  readonly vmSize: string;
  /** Extended resources one node advertises once the GPU operator runs. */
  readonly capacity: ExtendedResource[];
  /**
   * Host-based encryption.
   * @default true
   */
  readonly hostEncryption?: boolean;
  /**
   * What the pool waits for (the control-plane identity's role on the pool's capacity reservation group).
   * @default - nothing beyond the cluster
   */
  readonly dependsOn?: ITerraformDependable[];
}

/**
 * Fails the first apply of a pool AKS created without its capacity reservation group (no association
 * right, zones or VM size the group does not hold): AKS then drops the group silently, and since the id
 * is ForceNew every later plan would replace the pool.
 */
function groupAssociated(pool: GpuNodePool): Postcondition {
  return {
    condition: '${self.capacity_reservation_group_id != null && self.capacity_reservation_group_id != ""}',
    errorMessage: `AKS created node pool ${pool.name} without its capacity reservation group, and every later plan would replace it; give the cluster's control-plane identity Contributor on the group, match the pool's VM size and zones to the group's, then destroy and re-create the pool`,
  };
}

/** A user pool (`Pool-<name>` in `scope`) for one accelerator pool. */
export function aksAcceleratorPool(
  scope: Construct,
  target: AksPoolTarget,
  pool: GpuNodePool,
  props: AksAcceleratorPoolProps,
): KubernetesClusterNodePool {
  const taints = aksPoolTaints(pool).map((t) => `${t.key}=${t.value}:${t.effect}`);
  const group = pool.capacityReservation;
  // What a node will advertise once the operator runs (MIG slices, time-sliced replicas, 0 whole GPUs
  // under the mixed strategy): without it the autoscaler's template has only the VM's GPUs and never
  // scales a MIG pool up from zero (Azure/AKS#5161).
  // The scale set's tags are all the autoscaler knows of a node it has not started: labels (pods select
  // pools by them) and taints (so a pod without the GPU toleration does not scale a GPU pool) as well.
  const template: { [key: string]: string } = {};
  if (pool.role !== NodePoolRole.NEURON) {
    for (const r of props.capacity) template[`${AKS_NODE_TEMPLATE_RESOURCE_TAG}${r.name.replace(/\//g, '_')}`] = String(r.count);
  }
  for (const [k, v] of Object.entries(aksPoolLabels(pool))) template[`${AKS_NODE_TEMPLATE_LABEL_TAG}${templateKey(k)}`] = v;
  for (const t of aksPoolTaints(pool)) template[`${AKS_NODE_TEMPLATE_TAINT_TAG}${templateKey(t.key)}`] = `${t.value}:${t.effect}`;
  return new (kubernetesClusterNodePoolLib().KubernetesClusterNodePool)(scope, `Pool-${pool.name}`, {
    name: pool.name,
    kubernetesClusterId: target.kubernetesClusterId,
    vmSize: props.vmSize,
    mode: 'User',
    vnetSubnetId: target.nodeSubnetId,
    autoScalingEnabled: true,
    minCount: pool.minNodes,
    maxCount: pool.maxNodes,
    nodeLabels: aksPoolLabels(pool),
    nodeTaints: taints,
    // The GPU operator's driver containers support Ubuntu node images on AKS.
    osSku: 'Ubuntu',
    osDiskSizeGb: pool.diskSizeGib,
    // One owner of driver and toolkit per cluster: the GPU operator (see gpuDriverPreinstalled).
    gpuDriver: 'None',
    // Temp disk and OS disk cache encrypted on the host. Changing it rotates the pool through
    // temporaryNameForRotation (azurerm cycles the pool; the resource is not replaced).
    hostEncryptionEnabled: props.hostEncryption ?? true,
    priority: pool.spot ? 'Spot' : 'Regular',
    // Nodes take the group's reserved VMs; changing it forces a new pool (azurerm ForceNew).
    capacityReservationGroupId: group?.id,
    // A zonal group's reservations serve only VMs in their zones (the group's, see the reservation's zones).
    zones: group?.zones,
    evictionPolicy: pool.spot ? 'Delete' : undefined,
    spotMaxPrice: pool.spot ? -1 : undefined,
    // Surge nodes are whole GPU machines; one at a time. Spot pools may not set surge at all.
    upgradeSettings: pool.spot ? undefined : upgradeSettings('1'),
    // Upgraded with the control plane (the pool waits for the cluster's update).
    orchestratorVersion: target.orchestratorVersion,
    // Changes that recreate the pool (VM size, OS disk) rotate through a temporary pool instead of failing.
    temporaryNameForRotation: rotationName(pool.name),
    tags: { ...target.tags, ...template },
    lifecycle: group ? { ignoreChanges: ['node_count'], postcondition: [groupAssociated(pool)] } : { ignoreChanges: ['node_count'] },
    dependsOn: props.dependsOn,
  });
}
