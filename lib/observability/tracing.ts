import { IPlatformCluster } from '../core/cluster';
import { manifestContainerSecurityContext, manifestPodSecurityContext } from '../private/pod-security';

/** Options of the OpenTelemetry trace gateway. */
export interface TracingOptions {
  /**
   * OTLP/gRPC endpoint the collector forwards traces to (Tempo, Jaeger, a vendor), as host:port or https://host:port.
   */
  readonly otlpEndpoint: string;
  /**
   * Send without TLS; only for a backend inside the cluster network.
   * @default false
   */
  readonly insecure?: boolean;
  /**
   * Collector replicas.
   * @default 2
   */
  readonly replicas?: number;
}

/** Name of the collector's Service (chart fullnameOverride). */
export const OTEL_COLLECTOR_NAME = 'otel-collector';

/** Problems with the tracing options, as `<prop> <value> …; <fix>` messages. */
export function validateTracing(t: TracingOptions): string[] {
  const errors: string[] = [];
  if (!/^(https?:\/\/)?[A-Za-z0-9.-]+(:\d{1,5})?$/.test(t.otlpEndpoint)) {
    errors.push(
      `tracing.otlpEndpoint '${t.otlpEndpoint}' is not host:port or https://host:port; pass e.g. tempo-distributor.tracing.svc:4317`,
    );
  }
  if (t.otlpEndpoint.startsWith('http://') && !t.insecure) {
    errors.push(
      `tracing.otlpEndpoint '${t.otlpEndpoint}' is plain http while insecure is false; use https:// or set insecure: true for an in-cluster backend`,
    );
  }
  const replicas = t.replicas ?? 2;
  if (!Number.isInteger(replicas) || replicas < 1 || replicas > 10)
    errors.push(`tracing.replicas ${replicas} is outside 1..10; pass e.g. 2`);
  return errors;
}

/**
 * Values of the opentelemetry-collector chart: a Deployment receiving OTLP (gRPC and HTTP) only,
 * enriching spans with Kubernetes attributes, batching and forwarding to the backend.
 *
 * The whole pipeline goes in `alternateConfig` rather than `config`: the chart's default `config` also
 * opens Jaeger, Zipkin and Prometheus receivers that Helm could only remove with null overrides.
 */
export function otelCollectorValues(cluster: IPlatformCluster, t: TracingOptions): { [key: string]: any } {
  const off = { enabled: false };
  return {
    mode: 'deployment',
    apiVersion: 'apps/v1', // required by the chart's values schema
    fullnameOverride: OTEL_COLLECTOR_NAME,
    replicaCount: t.replicas ?? 2,
    // The k8s distribution carries the OTLP receivers/exporters, k8s_attributes, batch and memory_limiter.
    image: { repository: 'otel/opentelemetry-collector-k8s' },
    command: { name: 'otelcol-k8s' },
    presets: { kubernetesAttributes: { enabled: true } },
    alternateConfig: {
      extensions: { health_check: { endpoint: '$${env:MY_POD_IP}:13133' } },
      receivers: {
        otlp: {
          protocols: {
            grpc: { endpoint: '$${env:MY_POD_IP}:4317' },
            http: { endpoint: '$${env:MY_POD_IP}:4318' },
          },
        },
      },
      processors: {
        memory_limiter: { check_interval: '5s', limit_percentage: 80, spike_limit_percentage: 25 },
        batch: {},
      },
      exporters: {
        otlp_grpc: { endpoint: t.otlpEndpoint, tls: { insecure: t.insecure ?? false } },
      },
      service: {
        extensions: ['health_check'],
        pipelines: {
          traces: { receivers: ['otlp'], processors: ['memory_limiter', 'batch'], exporters: ['otlp_grpc'] },
        },
      },
    },
    ports: { 'jaeger-compact': off, 'jaeger-thrift': off, 'jaeger-grpc': off, zipkin: off },
    resources: { requests: { cpu: '200m', memory: '256Mi' }, limits: { memory: '512Mi' } },
    nodeSelector: { ...cluster.systemNodeSelector },
    tolerations: cluster.systemTolerations.map((x) => ({ ...x })),
    // The collector image's user is numeric (10001); 'restricted' also needs the seccomp profile.
    podSecurityContext: manifestPodSecurityContext(),
    securityContext: manifestContainerSecurityContext(),
  };
}
