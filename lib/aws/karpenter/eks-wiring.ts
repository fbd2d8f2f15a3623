import { Token } from 'cdktf';
import { Construct } from 'constructs';
import { GpuNodePool } from '../../core/node-pool';
import { EksPoolDescriptions } from '../accelerator-node-groups';
import { AwsPoolShape, selectAwsInstances } from '../instance-selection';
import { PodIdentityBinding } from '../pod-identity';
import { GpuProvisioner } from './gpu-provisioner';
import { KARPENTER_DISCOVERY_TAG, KARPENTER_NAMESPACE, KARPENTER_SERVICE_ACCOUNT, KarpenterCloudResources } from './karpenter-cloud';
import { KarpenterNodeClassInput, KarpenterPoolInput } from './manifests';

/** The pools as Karpenter provisions them: the shape, labels, taints and capacity the node group would have. */
export function karpenterPoolInputs(pools: GpuNodePool[], describe: EksPoolDescriptions): KarpenterPoolInput[] {
  return pools.map((pool) => ({
    pool,
    shape: selectAwsInstances(pool).shape as AwsPoolShape,
    labels: describe.poolLabels(pool),
    taints: describe.poolTaints(pool),
    capacity: describe.poolCapacity(pool),
  }));
}

/** The EKS cluster Karpenter provisions nodes for. */
export interface EksKarpenterCluster {
  /** The cluster's construct path, for messages. */
  readonly path: string;
  /** The cluster name (a reference to the cluster resource). */
  readonly clusterName: string;
  /** The cluster name as written. */
  readonly literalClusterName: string;
  /** The EKS-created cluster security group. */
  readonly clusterSecurityGroupId: string;
  /** The private subnets of the nodes. */
  readonly privateSubnetIds: string[];
  /** The private subnets carry the discovery tag. */
  readonly subnetsTaggedForKarpenter: boolean;
  /** What provisions the accelerator pools. */
  readonly gpuProvisioner: GpuProvisioner;
  /** Tags. */
  readonly tags: { [key: string]: string };
}

/**
 * Karpenter's cloud side as child `Karpenter` of `scope`, with the controller's Pod Identity (`karpenter`) bound
 * by `bind` first.
 */
export function eksKarpenterCloud(
  scope: Construct,
  cluster: EksKarpenterCluster,
  nodePolicies: string[],
  bind: (options: { namespace: string; serviceAccountName: string }) => PodIdentityBinding,
): KarpenterCloudResources {
  return new KarpenterCloudResources(scope, 'Karpenter', {
    clusterName: cluster.clusterName,
    literalClusterName: cluster.literalClusterName,
    clusterSecurityGroupId: cluster.clusterSecurityGroupId,
    nodePolicies,
    identity: bind({ namespace: KARPENTER_NAMESPACE, serviceAccountName: KARPENTER_SERVICE_ACCOUNT }),
    tags: cluster.tags,
  });
}

/** What every EC2NodeClass of the cluster shares; only with Karpenter (`karpenter` set). */
export function karpenterNodeClassInput(cluster: EksKarpenterCluster, karpenter?: KarpenterCloudResources): KarpenterNodeClassInput {
  if (!karpenter) throw new Error(`${cluster.path}: gpuProvisioner is not Karpenter; _karpenterNodeClass() has nothing to describe`);
  const discovery = { tags: { [KARPENTER_DISCOVERY_TAG]: cluster.clusterName } };
  const ids = cluster.privateSubnetIds;
  return {
    instanceProfileName: karpenter.instanceProfile.name,
    // Subnets the library created carry the discovery tag; a VPC brought along is not ours to tag, so its
    // subnets are named by id (a Terraform list cannot be split at synth: then by tag, which synth warns of).
    subnetSelectorTerms: cluster.subnetsTaggedForKarpenter || Token.isUnresolved(ids) ? [discovery] : ids.map((id) => ({ id })),
    securityGroupSelectorTerms: [discovery],
    amiAlias: cluster.gpuProvisioner.amiAlias,
    tags: cluster.tags,
    spotFallbackToOnDemand: cluster.gpuProvisioner.karpenterOptions.spotFallbackToOnDemand ?? false,
    consolidateAfter: cluster.gpuProvisioner.consolidateAfter,
  };
}
