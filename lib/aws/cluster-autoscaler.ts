import { Construct } from 'constructs';
import { ChartOverrides, Charts, HelmAddon } from '../addons/chart';
import { KubernetesVersion } from '../core/kubernetes-version';
import { IPlatformCluster } from '../core/cluster';
import { PodIdentityBinding } from './pod-identity';

/** Options of cluster-autoscaler on EKS. */
export interface EksClusterAutoscalerProps {
  /** The EKS cluster (the library's or an existing one). */
  readonly cluster: IPlatformCluster;
  /**
   * Idle time before a node is removed; GPU nodes are expensive, but image pulls make them slow to return.
   * @default '10m'
   */
  readonly scaleDownUnneededTime?: string;
  /**
   * The Pod Identity of the autoscaler's service account 'kube-system/cluster-autoscaler' (IAM roles
   * belong with the cluster's stack, so it is made there).
   */
  readonly identity: PodIdentityBinding;
  /**
   * Version and values overrides of the cluster-autoscaler chart.
   * @default - the pinned version and the library's values
   */
  readonly chart?: ChartOverrides;
}

/**
 * cluster-autoscaler release per Kubernetes minor: its minor must match the control plane's. A version
 * newer than the table gets `v<minor>.0`.
 */
export const CLUSTER_AUTOSCALER_RELEASES: { [minor: string]: string } = {
  '1.32': 'v1.32.7',
  '1.33': 'v1.33.6',
  '1.34': 'v1.34.5',
  '1.35': 'v1.35.2',
  '1.36': 'v1.36.1',
};

/** The cluster-autoscaler image tag for a control-plane version. */
export function clusterAutoscalerImageTag(version: KubernetesVersion): string {
  return CLUSTER_AUTOSCALER_RELEASES[version.version] ?? `v${version.version}.0`;
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
    const identity = props.identity;
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
      conditions: [
        { test: 'StringEquals', variable: `aws:ResourceTag/k8s.io/cluster-autoscaler/${cluster.clusterName}`, values: ['owned'] },
      ],
    });

    this.addon = new HelmAddon(this, 'Chart', {
      cluster,
      releaseName: 'cluster-autoscaler',
      chart: Charts.CLUSTER_AUTOSCALER,
      namespace: NAMESPACE,
      dependsOn: identity.dependables,
      overrides: props.chart,
      values: {
        cloudProvider: 'aws',
        awsRegion: cluster.region,
        autoDiscovery: { clusterName: cluster.clusterName },
        // The autoscaler's minor version must match the control plane's.
        image: { tag: clusterAutoscalerImageTag(cluster.kubernetesVersion) },
        rbac: { serviceAccount: { create: true, name: SERVICE_ACCOUNT } },
        nodeSelector: { ...cluster.systemNodeSelector },
        tolerations: cluster.systemTolerations.map((t) => ({ ...t })),
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
