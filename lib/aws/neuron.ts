import { Construct } from 'constructs';
import { Charts, HelmAddon } from '../addons/chart';
import { IPlatformCluster } from '../core/cluster';
import { neuronNodeTolerations } from '../core/tolerations';

/** Options of the Neuron add-on. */
export interface NeuronDevicePluginProps {
  /** The cluster. */
  readonly cluster: IPlatformCluster;
}

/**
 * AWS Neuron device plugin (advertises aws.amazon.com/neuron and neuroncore) and the Neuron scheduler
 * extension, which places pods on contiguous NeuronCores.
 */
export class NeuronDevicePlugin extends Construct {
  /** The Helm install. */
  public readonly addon: HelmAddon;

  constructor(scope: Construct, id: string, props: NeuronDevicePluginProps) {
    super(scope, id);
    this.addon = new HelmAddon(this, 'Chart', {
      cluster: props.cluster,
      releaseName: 'neuron',
      chart: Charts.NEURON,
      namespace: 'kube-system',
      values: {
        devicePlugin: {
          enabled: true,
          tolerations: [{ key: 'CriticalAddonsOnly', operator: 'Exists' }, ...neuronNodeTolerations(props.cluster)],
        },
        scheduler: {
          enabled: true,
          nodeSelector: { ...props.cluster.systemNodeSelector },
          customScheduler: { nodeSelector: { ...props.cluster.systemNodeSelector } },
        },
      },
    });
  }
}
