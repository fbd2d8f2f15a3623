import { ClusterRoleBindingV1 } from '@cdktf/provider-kubernetes/lib/cluster-role-binding-v1';
import { SecretV1 } from '@cdktf/provider-kubernetes/lib/secret-v1';
import { ServiceAccountV1 } from '@cdktf/provider-kubernetes/lib/service-account-v1';
import { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import { IPlatformCluster } from '../core/cluster';
import { KUEUE_CONTROLLER_LABELS, KUEUE_METRICS_READER_ROLE, KUEUE_NAMESPACE, KUEUE_PORTS } from './charts';

/** Name of the service account, token Secret and binding that let Prometheus read Kueue's metrics. */
export const KUEUE_SCRAPER = 'kueue-metrics-scraper';

/**
 * PodMonitor spec (an item of kube-prometheus-stack's `prometheus.additionalPodMonitors`, created in
 * ObservabilityStack's namespace) for the Kueue controller. Kueue serves metrics on the container port
 * named `metrics` (8443) over HTTPS with a self-signed certificate and authorizes each scrape with a
 * SubjectAccessReview (GET on `/metrics`), so the scrape sends the token of `KUEUE_SCRAPER`, read from the
 * Secret KueueScrapeAccess creates in the same namespace.
 */
export function kueuePodMonitor(): { [key: string]: any } {
  return {
    name: 'kueue-controller',
    selector: { matchLabels: { ...KUEUE_CONTROLLER_LABELS } },
    namespaceSelector: { matchNames: [KUEUE_NAMESPACE] },
    podMetricsEndpoints: [
      {
        port: KUEUE_PORTS.metricsPortName,
        path: '/metrics',
        scheme: 'https',
        interval: '30s',
        // Kueue's internal certificate management signs its own serving certificates.
        tlsConfig: { insecureSkipVerify: true },
        authorization: { type: 'Bearer', credentials: { name: KUEUE_SCRAPER, key: 'token' } },
      },
    ],
  };
}

/** Props of KueueScrapeAccess. */
export interface KueueScrapeAccessProps {
  /** The cluster. */
  readonly cluster: IPlatformCluster;
  /** Namespace of Prometheus and its PodMonitors (ObservabilityStack's namespace). */
  readonly namespace: string;
  /** What to wait for: the namespace. */
  readonly dependsOn: ITerraformDependable[];
}

/**
 * What the Kueue PodMonitor authenticates with, in Prometheus's namespace: a service account allowed GET
 * on `/metrics` only (the chart's `kueue-metrics-reader` ClusterRole) and its token in a Secret the
 * PodMonitor references. The token is minted by Kubernetes at apply time, never in the configuration.
 */
export class KueueScrapeAccess extends Construct {
  /** The token Secret (`kubernetes.io/service-account-token`). */
  public readonly secret: SecretV1;

  constructor(scope: Construct, id: string, props: KueueScrapeAccessProps) {
    super(scope, id);
    const provider = props.cluster.providers(this).kubernetes;
    const labels = { 'app.kubernetes.io/name': KUEUE_SCRAPER, 'app.kubernetes.io/part-of': 'ai-platform' };
    const sa = new ServiceAccountV1(this, 'ServiceAccount', {
      provider,
      metadata: { name: KUEUE_SCRAPER, namespace: props.namespace, labels },
      automountServiceAccountToken: false,
      dependsOn: props.dependsOn,
    });
    // The role comes with the Kueue chart; a binding may name it before it exists.
    new ClusterRoleBindingV1(this, 'Binding', {
      provider,
      metadata: { name: KUEUE_SCRAPER, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: KUEUE_METRICS_READER_ROLE },
      subject: [{ kind: 'ServiceAccount', name: KUEUE_SCRAPER, namespace: props.namespace }],
      dependsOn: [sa],
    });
    this.secret = new SecretV1(this, 'Resource', {
      provider,
      metadata: {
        name: KUEUE_SCRAPER,
        namespace: props.namespace,
        labels,
        annotations: { 'kubernetes.io/service-account.name': KUEUE_SCRAPER },
      },
      type: 'kubernetes.io/service-account-token',
      waitForServiceAccountToken: true,
      dependsOn: [sa],
    });
  }
}
