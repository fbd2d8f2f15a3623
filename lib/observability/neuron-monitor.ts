import { DaemonSetV1 } from '@cdktf/provider-kubernetes/lib/daemon-set-v1';
import { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import { IAcceleratorCluster } from '../core/cluster';
import { AcceleratorKind } from '../gpu/accelerator';
import { SecuritySuppressions } from '../policy/suppressions';
import { neuronNodeTolerations } from '../private/tolerations';
import { NEURON_MONITOR_LABELS, NEURON_MONITOR_PORT } from './scrape';

/** Options of the neuron-monitor DaemonSet. */
export interface NeuronMonitorProps {
  /** The cluster. */
  readonly cluster: IAcceleratorCluster;
  /** Namespace (must exist). */
  readonly namespace: string;
  /**
   * The neuron-monitor image.
   * @default 'public.ecr.aws/neuron/neuron-monitor:1.3.0'
   */
  readonly image?: string;
  /**
   * Resources to wait for besides the cluster's add-on dependencies (the namespace).
   * @default - none
   */
  readonly dependsOn?: ITerraformDependable[];
}

/**
 * AWS neuron-monitor on every Neuron node, serving Prometheus metrics on port 8000. There is no chart
 * for it, so it is a plain DaemonSet (a core resource, no CRD needed on first apply).
 */
export class NeuronMonitor extends Construct {
  /** The DaemonSet. */
  public readonly daemonSet: DaemonSetV1;

  constructor(scope: Construct, id: string, props: NeuronMonitorProps) {
    super(scope, id);
    this.daemonSet = new DaemonSetV1(this, 'Resource', {
      provider: props.cluster.providers(this).kubernetes,
      metadata: { name: 'neuron-monitor', namespace: props.namespace, labels: { ...NEURON_MONITOR_LABELS } },
      waitForRollout: false, // Neuron pools scale from zero: an empty DaemonSet is healthy.
      spec: {
        selector: { matchLabels: { ...NEURON_MONITOR_LABELS } },
        template: {
          metadata: { labels: { ...NEURON_MONITOR_LABELS } },
          spec: {
            // Every Neuron pool, by its own labels (pools of an existing cluster carry no platform labels).
            affinity: {
              nodeAffinity: {
                requiredDuringSchedulingIgnoredDuringExecution: {
                  nodeSelectorTerm: props.cluster.acceleratorPools
                    .filter((p) => p.accelerator === AcceleratorKind.AWS_NEURON)
                    .map((p) => ({
                      matchExpressions: Object.entries(p.labels)
                        .sort(([a], [b]) => a.localeCompare(b))
                        .map(([key, value]) => ({ key, operator: 'In', values: [value] })),
                    })),
                },
              },
            },
            toleration: neuronNodeTolerations(props.cluster),
            priorityClassName: 'system-node-critical',
            automountServiceAccountToken: false,
            container: [
              {
                name: 'neuron-monitor',
                image: props.image ?? 'public.ecr.aws/neuron/neuron-monitor:1.3.0',
                command: ['/opt/bin/entrypoint.sh'],
                args: ['--port', String(NEURON_MONITOR_PORT)],
                port: [{ name: 'metrics', containerPort: NEURON_MONITOR_PORT, protocol: 'TCP' }],
                env: [{ name: 'GOMEMLIMIT', value: '160MiB' }],
                resources: { requests: { cpu: '250m', memory: '128Mi' }, limits: { cpu: '500m', memory: '256Mi' } },
                // Privileged, as AWS ships it (aws-neuron-sdk's k8s manifests): neuron-monitor queries every
                // Neuron device of the node through the runtime. The device plugin's resource would allocate
                // the devices to this pod, taking them from the models, and a hostPath /dev mount gives no
                // device-cgroup access without privilege. It runs in ObservabilityStack's node agents
                // namespace, the only privileged one, and exposes nothing but its metrics port.
                securityContext: { privileged: true },
              },
            ],
          },
        },
      },
      dependsOn: [...props.cluster.addonDependencies(this), ...(props.dependsOn ?? [])],
    });
    SecuritySuppressions.addSuppressions(this.daemonSet, [
      {
        id: 'k8s-not-privileged',
        reason: 'neuron-monitor reads the Neuron devices and driver counters on the host; AWS ships it privileged',
      },
      // A privileged container has every capability and device whatever else is set: the hardening rules
      // below add nothing to it, and the image runs as root to open the device nodes.
      ...['k8s-run-as-non-root', 'k8s-no-privilege-escalation', 'k8s-drop-all-capabilities', 'k8s-seccomp', 'k8s-read-only-root-fs'].map(
        (id) => ({ id, reason: 'neuron-monitor runs privileged (see k8s-not-privileged): per-container hardening cannot apply to it' }),
      ),
    ]);
  }
}
