import { NetworkPolicyV1 } from '@cdktf/provider-kubernetes/lib/network-policy-v1';
import { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import { ipBlocks, tcp } from '../addons/egress';

/** Ports of node-level scrape targets: the kubelet (and its cAdvisor) and node-exporter on the host network. */
export const NODE_SCRAPE_PORTS = [10250, 9100];

/** Labels the Prometheus operator puts on Prometheus pods (TenantNamespace admits the same). */
const PROMETHEUS_POD_LABELS = { 'app.kubernetes.io/name': 'prometheus' };

/** Labels of the OpenTelemetry collector pods (the chart's selector). */
const COLLECTOR_POD_LABELS = { 'app.kubernetes.io/name': 'opentelemetry-collector' };

/** What the monitoring namespace's own egress allows are made from. */
export interface MonitoringEgressProps {
  /** Kubernetes provider. */
  readonly provider: KubernetesProvider;
  /** The monitoring namespace. */
  readonly namespace: string;
  /** What the policies wait for. */
  readonly dependsOn: ITerraformDependable[];
  /**
   * OTLP endpoint the trace collector exports to (host:port or https://host:port).
   * @default - no collector
   */
  readonly otlpEndpoint?: string;
}

/**
 * Egress the monitoring namespace needs beyond the PlatformNamespace defaults, for the pods that need it:
 *
 * - `allow-egress-prometheus-scrape` (Prometheus pods only): every namespace's pods, on any port (scrape
 *   targets are ServiceMonitors and PodMonitors anywhere: tenants, kube-system's CoreDNS, the GPU
 *   operator's DCGM exporter); and the kubelet and node-exporter (hostNetwork) on the nodes, by port with
 *   no `to`: Cilium (AKS) never matches node addresses with an ipBlock, and a rule without peers is the only
 *   standard form that reaches them there. No metadata endpoint listens on these ports (IMDS and the
 *   Azure wireserver serve 80 and 32526).
 * - `allow-egress-trace-export` (collector pods only, with tracing): the OTLP backend's port, in the
 *   cluster (any namespace's pods: Tempo in its own namespace) or outside (metadata ranges cut out).
 */
export class MonitoringEgress extends Construct {
  /** The policies. */
  public readonly policies: NetworkPolicyV1[] = [];

  constructor(scope: Construct, id: string, props: MonitoringEgressProps) {
    super(scope, id);
    const policy = (pid: string, name: string, podLabels: { [key: string]: string }, egress: { [key: string]: any }[]) =>
      this.policies.push(
        new NetworkPolicyV1(this, pid, {
          provider: props.provider,
          metadata: { name, namespace: props.namespace },
          spec: { podSelector: { matchLabels: { ...podLabels } }, policyTypes: ['Egress'], egress },
          dependsOn: props.dependsOn,
        }),
      );
    policy('Scrape', 'allow-egress-prometheus-scrape', PROMETHEUS_POD_LABELS, [
      { to: [{ namespaceSelector: {} }] },
      { ports: tcp(NODE_SCRAPE_PORTS) },
    ]);
    const port = props.otlpEndpoint === undefined ? undefined : otlpPort(props.otlpEndpoint);
    // An https:// backend on 443 is already allowed to every pod of the namespace.
    if (port !== undefined && port !== 443)
      policy('TraceExport', 'allow-egress-trace-export', COLLECTOR_POD_LABELS, [
        { to: [{ namespaceSelector: {} }, ...ipBlocks(['0.0.0.0/0'])], ports: tcp([port]) },
      ]);
  }
}

/** The port of an OTLP/gRPC endpoint: the one written, else 443 for https:// and 4317 (OTLP/gRPC) otherwise. */
export function otlpPort(endpoint: string): number {
  const m = /:(\d{1,5})\/?$/.exec(endpoint);
  if (m) return Number(m[1]);
  return endpoint.startsWith('https://') ? 443 : 4317;
}
