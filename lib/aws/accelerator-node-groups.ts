import { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import { ExtendedResource, GpuNodePool, NodePoolRole, NodeTaint } from '../core/node-pool';
import { subnetsInZone } from './capacity-reservation';
import { selectAwsInstances } from './instance-selection';
import { EksAmiType, EksNodeGroupPool } from './node-group';

/**
 * What nodes of a pool carry, as the cluster describes them (EksPlatformCluster's poolLabels, ...): the pool's
 * managed node group and its Karpenter NodePool carry the same.
 */
export interface EksPoolDescriptions {
  poolLabels(pool: GpuNodePool): { [key: string]: string };
  poolTaints(pool: GpuNodePool): NodeTaint[];
  poolCapacity(pool: GpuNodePool): ExtendedResource[];
}

/** What the managed node groups of the accelerator pools share. */
export interface AcceleratorNodeGroupsOptions {
  /** The cluster name (a reference to the cluster resource). */
  readonly clusterName: string;
  /** IAM role of every node. */
  readonly nodeRoleArn: string;
  /** Private subnets of the nodes. */
  readonly privateSubnetIds: string[];
  /** Node auto repair on every group. */
  readonly nodeRepair: boolean;
  /** Labels, taints and capacity of each pool's nodes. */
  readonly describe: EksPoolDescriptions;
  /** Tags. */
  readonly tags: { [key: string]: string };
  /** What nodes need until they are gone (add-ons, node policies, NAT gateways). */
  readonly dependsOn: ITerraformDependable[];
}

/**
 * One managed node group `Pool-<name>` per pool in `scope`. A pool on a capacity reservation in one zone gets
 * the private subnets of that zone only (`Pool-<name>-Subnets`), where the reservation can be used.
 */
export function acceleratorNodeGroups(
  scope: Construct,
  pools: GpuNodePool[],
  o: AcceleratorNodeGroupsOptions,
): { [pool: string]: EksNodeGroupPool } {
  const groups: { [pool: string]: EksNodeGroupPool } = {};
  for (const pool of pools) {
    const reservation = pool.capacityReservation;
    groups[pool.name] = new EksNodeGroupPool(scope, `Pool-${pool.name}`, {
      clusterName: o.clusterName,
      nodeGroupName: pool.name,
      nodeRoleArn: o.nodeRoleArn,
      subnetIds: reservation?.availabilityZone
        ? subnetsInZone(scope, `Pool-${pool.name}-Subnets`, o.privateSubnetIds, reservation.availabilityZone)
        : o.privateSubnetIds,
      capacityReservation: reservation,
      nodeRepair: o.nodeRepair,
      instanceTypes: selectAwsInstances(pool).shape!.instanceTypes,
      amiType: pool.role === NodePoolRole.NEURON ? EksAmiType.AL2023_NEURON : EksAmiType.AL2023_NVIDIA,
      spot: pool.spot,
      minNodes: pool.minNodes,
      maxNodes: pool.maxNodes,
      diskSizeGib: pool.diskSizeGib,
      labels: o.describe.poolLabels(pool),
      taints: o.describe.poolTaints(pool),
      extendedResources: o.describe.poolCapacity(pool),
      tags: o.tags,
      dependsOn: o.dependsOn,
    });
  }
  return groups;
}
