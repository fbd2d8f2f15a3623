import { Construct } from 'constructs';
import { ChartOverrides, Charts, HelmAddon } from '../addons/chart';
import { PlatformNamespace, PodSecurityLevel } from '../addons/namespace';
import { IAcceleratorCluster } from '../core/cluster';
import { KubernetesVersion } from '../core/kubernetes-version';
import { neuronNodeTolerations } from '../private/tolerations';

/** Options of the Neuron add-on. */
export interface NeuronDevicePluginProps {
  /** The cluster. */
  readonly cluster: IAcceleratorCluster;
  /**
   * Version and values overrides of the Neuron chart.
   * @default - the pinned version and the library's values
   */
  readonly chart?: ChartOverrides;
}

/** Namespace the chart's node problem detector installs into; the chart does not create it. */
export const NEURON_HEALTHCHECK_NAMESPACE = 'neuron-healthcheck-system';

/**
 * kube-scheduler release per Kubernetes minor for the Neuron custom scheduler: it must match the control
 * plane (the chart pins a 1.31 build). A minor missing here gets its `.0` release.
 */
export const KUBE_SCHEDULER_RELEASES: { [minor: string]: string } = {
  '1.34': 'v1.34.9',
  '1.35': 'v1.35.3',
  '1.36': 'v1.36.4',
};

/** The kube-scheduler image tag for a control-plane version. */
export function kubeSchedulerImageTag(version: KubernetesVersion): string {
  return KUBE_SCHEDULER_RELEASES[version.version] ?? `v${version.version}.0`;
}

/**
 * AWS Neuron device plugin (advertises aws.amazon.com/neuron and neuroncore), the Neuron scheduler
 * extension with a custom scheduler of the cluster's version (places pods on contiguous NeuronCores), and
 * the node problem detector that reports Neuron hardware errors, in the namespace it expects.
 */
export class NeuronDevicePlugin extends Construct {
  /** The Helm install. */
  public readonly addon: HelmAddon;
  /** The node problem detector's namespace. */
  public readonly healthcheckNamespace: PlatformNamespace;

  constructor(scope: Construct, id: string, props: NeuronDevicePluginProps) {
    super(scope, id);
    const cluster = props.cluster;
    const placement = () => ({
      nodeSelector: { ...cluster.systemNodeSelector },
      tolerations: cluster.systemTolerations.map((t) => ({ ...t })),
    });
    // The detector reads the kernel log from the host: privileged, with default-deny ingress; its only
    // egress is the API server (node conditions, over HTTPS).
    this.healthcheckNamespace = new PlatformNamespace(this, 'HealthcheckNamespace', {
      cluster,
      name: NEURON_HEALTHCHECK_NAMESPACE,
      podSecurity: PodSecurityLevel.PRIVILEGED,
      podSecurityReason: 'the Neuron node problem detector reads the kernel log (/dev/kmsg) of the node it watches',
      egressToPlatformNamespaces: false,
    });
    this.addon = new HelmAddon(this, 'Chart', {
      cluster,
      releaseName: 'neuron',
      chart: Charts.NEURON,
      namespace: 'kube-system',
      dependsOn: this.healthcheckNamespace.dependables,
      overrides: props.chart,
      values: {
        devicePlugin: {
          enabled: true,
          tolerations: [{ key: 'CriticalAddonsOnly', operator: 'Exists' }, ...neuronNodeTolerations(cluster)],
        },
        scheduler: {
          enabled: true,
          ...placement(),
          customScheduler: {
            ...placement(),
            // The chart's scheduler is a fixed 1.31 build; the scheduler must match the control plane.
            image: { repository: 'registry.k8s.io/kube-scheduler', tag: kubeSchedulerImageTag(cluster.kubernetesVersion) },
          },
        },
        npd: { enabled: true, namespaceOverride: NEURON_HEALTHCHECK_NAMESPACE },
      },
    });
  }
}
