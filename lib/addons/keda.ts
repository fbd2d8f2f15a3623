import { Construct } from 'constructs';
import { ITerraformDependable, TerraformStack } from 'cdktf';
import { IPlatformCluster, IWorkloadIdentity } from '../core/cluster';
import { ChartOverrides, Charts, HelmAddon } from './chart';
import { PlatformNamespace, PodSecurityLevel } from './namespace';

/** Options of KEDA. */
export interface KedaProps {
  /** Cluster to install into. */
  readonly cluster: IPlatformCluster;
  /**
   * Version and values overrides of the KEDA chart.
   * @default - the pinned version and the library's values
   */
  readonly chart?: ChartOverrides;
}

/** Namespace KEDA runs in. */
export const KEDA_NAMESPACE = 'keda';
const OPERATOR_SERVICE_ACCOUNT = 'keda-operator';

const installed = new WeakMap<IPlatformCluster, Keda>();

/**
 * KEDA, once per cluster: the operator (with a workload identity, so cloud scalers such as SQS or Storage
 * queues authenticate as it, without keys), the external metrics API server and the admission webhooks
 * (failure policy Ignore: KEDA being down never blocks the cluster), all on the system pool, in a
 * restricted namespace that admits the API server on the metrics and webhook ports only.
 *
 * ScaledObjects go into a release created after this one (`dependables`), as its CRDs must exist first.
 */
export class Keda extends Construct {
  /**
   * The cluster's KEDA, created under `scope` the first time it is asked for. Later callers (in any stack)
   * share it; resources in another stack are ordered after its stack.
   */
  public static of(scope: Construct, cluster: IPlatformCluster, chart?: ChartOverrides): Keda {
    const existing = installed.get(cluster);
    if (existing) {
      const here = TerraformStack.of(scope);
      const there = TerraformStack.of(existing);
      if (here !== there && !here.dependencies.includes(there)) here.addDependency(there);
      return existing;
    }
    const keda = new Keda(scope, 'Keda', { cluster, chart });
    installed.set(cluster, keda);
    return keda;
  }

  /** Namespace of KEDA. */
  public readonly namespace = KEDA_NAMESPACE;
  /** The Helm release. */
  public readonly addon: HelmAddon;
  /** The operator's cloud identity: grant it read access to what scalers watch (queue lengths). */
  public readonly operatorIdentity: IWorkloadIdentity;

  constructor(scope: Construct, id: string, props: KedaProps) {
    super(scope, id);
    const cluster = props.cluster;
    // The API server calls the external metrics API (6443) and the admission webhooks (9443). Egress: the
    // API server and cloud queues over HTTPS, Prometheus (a platform namespace) for prometheus triggers.
    const ns = new PlatformNamespace(this, 'Namespace', {
      cluster,
      name: KEDA_NAMESPACE,
      podSecurity: PodSecurityLevel.RESTRICTED,
      egressToPlatformNamespaces: true,
      openPorts: [
        { podLabels: { app: 'keda-operator-metrics-apiserver' }, port: 6443 },
        { podLabels: { app: 'keda-admission-webhooks' }, port: 9443 },
      ],
    });
    this.operatorIdentity = cluster.bindServiceAccount(this, 'Operator', {
      namespace: KEDA_NAMESPACE,
      serviceAccountName: OPERATOR_SERVICE_ACCOUNT,
    });
    const placement = { nodeSelector: { ...cluster.systemNodeSelector }, tolerations: cluster.systemTolerations.map((t) => ({ ...t })) };
    this.addon = new HelmAddon(this, 'Chart', {
      cluster,
      releaseName: 'keda',
      chart: Charts.KEDA,
      namespace: KEDA_NAMESPACE,
      createNamespace: false,
      dependsOn: [...ns.dependables, ...this.operatorIdentity.dependables],
      overrides: props.chart,
      values: {
        ...placement,
        image: { pullPolicy: 'IfNotPresent' },
        // The cloud identity: annotations (Azure workload identity) and pod labels, whatever the cloud needs.
        serviceAccount: {
          operator: { name: OPERATOR_SERVICE_ACCOUNT, annotations: { ...this.operatorIdentity.serviceAccountAnnotations } },
        },
        podLabels: { keda: { ...this.operatorIdentity.podLabels } },
        webhooks: { failurePolicy: 'Ignore' },
        // Operator metrics on a port named 'metrics', scraped by ObservabilityStack's KEDA PodMonitor.
        prometheus: { operator: { enabled: true } },
      },
    });
  }

  /** What a release of ScaledObjects or TriggerAuthentications waits for. */
  public get dependables(): ITerraformDependable[] {
    return [this.addon.release];
  }
}
