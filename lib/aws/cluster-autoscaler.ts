import { Construct } from 'constructs';
import { Charts, HelmAddon } from '../addons/chart';
import { PlatformLabels } from '../core/node-pool';
import { EksPlatformCluster } from './eks-cluster';

/** Options of cluster-autoscaler on EKS. */
export interface EksClusterAutoscalerProps {
  /** The cluster. */
  readonly cluster: EksPlatformCluster;
  /**
   * Idle time before a node is removed; GPU nodes are expensive, but image pulls make them slow to return.
   * @default '10m'
   */
  readonly scaleDownUnneededTime?: string;
}

const SERVICE_ACCOUNT = 'cluster-autoscaler';
const NAMESPACE = 'kube-system';

/**
 * cluster-autoscaler with auto-discovery of the cluster's managed node groups, its IAM permissions through
 * Pod Identity (scale actions limited to this cluster's groups by tag), and settings that let GPU pools
 * scale from and to zero.
 */
export class EksClusterAutoscaler extends Construct {
  /** The Helm install. */
  public readonly addon: HelmAddon;

  constructor(scope: Construct, id: string, props: EksClusterAutoscalerProps) {
    super(scope, id);
    const cluster = props.cluster;
    const identity = cluster.podIdentity(this, 'autoscaler', { namespace: NAMESPACE, serviceAccountName: SERVICE_ACCOUNT });
    identity.addToPolicy({
      sid: 'Describe',
      actions: [
        'autoscaling:DescribeAutoScalingGroups',
        'autoscaling:DescribeAutoScalingInstances',
        'autoscaling:DescribeLaunchConfigurations',
        'autoscaling:DescribeScalingActivities',
        'autoscaling:DescribeTags',
        'ec2:DescribeImages',
        'ec2:DescribeInstanceTypes',
        'ec2:DescribeLaunchTemplateVersions',
        'ec2:GetInstanceTypesFromInstanceRequirements',
        'eks:DescribeNodegroup',
      ],
      resources: ['*'],
    });
    identity.addToPolicy({
      sid: 'ScaleOwnGroups',
      actions: ['autoscaling:SetDesiredCapacity', 'autoscaling:TerminateInstanceInAutoScalingGroup'],
      resources: ['*'],
      conditions: [{ test: 'StringEquals', variable: `aws:ResourceTag/k8s.io/cluster-autoscaler/${cluster.clusterName}`, values: ['owned'] }],
    });

    this.addon = new HelmAddon(this, 'Chart', {
      cluster,
      releaseName: 'cluster-autoscaler',
      chart: Charts.CLUSTER_AUTOSCALER,
      namespace: NAMESPACE,
      dependsOn: identity.dependables,
      values: {
        cloudProvider: 'aws',
        awsRegion: cluster.region,
        autoDiscovery: { clusterName: cluster.clusterName },
        // The autoscaler's minor version should match the control plane's.
        image: { tag: `v${cluster.kubernetesVersion.version}.0` },
        rbac: { serviceAccount: { create: true, name: SERVICE_ACCOUNT } },
        nodeSelector: { [PlatformLabels.ROLE]: 'system' },
        extraArgs: {
          'balance-similar-node-groups': true,
          'skip-nodes-with-system-pods': false,
          'skip-nodes-with-local-storage': false,
          expander: 'least-waste',
          'scale-down-unneeded-time': props.scaleDownUnneededTime ?? '10m',
          'max-node-provision-time': '20m0s',
        },
        podDisruptionBudget: { maxUnavailable: 1 },
      },
    });
  }
}
