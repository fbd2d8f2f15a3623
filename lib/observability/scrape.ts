import type { AcceleratorPoolInfo } from '../core/cluster';
import { NodePoolRole, PlatformLabels } from '../core/node-pool';
import { GATEWAY_NAMESPACE, GATEWAY_POD_LABELS } from '../addons/inference-gateway/inference-gateway';

/**
 * How serving pods opt in to scraping. Put the label on the pod template and name the container port
 * that serves `/metrics` (vLLM serves it on its API port) `http`.
 */
export class ServingMetricsLabels {
  /** Pod label key. */
  public static readonly KEY = 'ai-platform.dev/metrics';
  /** Label value for vLLM servers. */
  public static readonly VLLM = 'vllm';
  /** Label value for the vLLM production-stack router (only its request counters are kept). */
  public static readonly VLLM_ROUTER = 'vllm-router';
  /** Name of the container port serving `/metrics`. */
  public static readonly PORT_NAME = 'http';
}

/** `app.kubernetes.io/name` of the endpoint pickers RagStack runs beside its InferencePools. */
export const ENDPOINT_PICKER_APP = 'endpoint-picker';

/** Labels of the neuron-monitor pods this stack runs. */
export const NEURON_MONITOR_LABELS: { [key: string]: string } = {
  'app.kubernetes.io/name': 'neuron-monitor',
  'app.kubernetes.io/part-of': 'ai-platform',
};
/** Container port of neuron-monitor's Prometheus endpoint. */
export const NEURON_MONITOR_PORT = 8000;

// Every target gets a `node` label, which alerts join with kube-state-metrics on.
export const NODE_LABEL = { sourceLabels: ['__meta_kubernetes_pod_node_name'], targetLabel: 'node', action: 'replace' };
export const SCRAPE_INTERVAL = '15s';

/** PodMonitor for serving pods carrying `ServingMetricsLabels`, in any namespace. */
export function servingPodMonitor(): { [key: string]: any } {
  return {
    name: 'llm-serving',
    selector: { matchLabels: { [ServingMetricsLabels.KEY]: ServingMetricsLabels.VLLM } },
    namespaceSelector: { any: true },
    podMetricsEndpoints: [{ port: ServingMetricsLabels.PORT_NAME, path: '/metrics', interval: SCRAPE_INTERVAL, relabelings: [NODE_LABEL] }],
  };
}

/**
 * PodMonitor for vLLM routers: only the per-model request counter (what wakes a model scaled to zero) and
 * the router's latency histogram are kept, so router gauges never mix with the servers' own series.
 */
export function routerPodMonitor(): { [key: string]: any } {
  return {
    name: 'llm-router',
    selector: { matchLabels: { [ServingMetricsLabels.KEY]: ServingMetricsLabels.VLLM_ROUTER } },
    namespaceSelector: { any: true },
    podMetricsEndpoints: [
      {
        port: ServingMetricsLabels.PORT_NAME,
        path: '/metrics',
        interval: SCRAPE_INTERVAL,
        metricRelabelings: [
          { sourceLabels: ['__name__'], regex: 'vllm:(num_incoming_requests_total|request_latency_seconds_.*)', action: 'keep' },
          { sourceLabels: ['__name__'], regex: 'vllm:(.*)', targetLabel: '__name__', replacement: 'vllm_router:$1', action: 'replace' },
        ],
      },
    ],
  };
}

/** PodMonitor for the neuron-monitor DaemonSet. */
export function neuronMonitorPodMonitor(namespace: string): { [key: string]: any } {
  return {
    name: 'neuron-monitor',
    selector: { matchLabels: { ...NEURON_MONITOR_LABELS } },
    namespaceSelector: { matchNames: [namespace] },
    podMetricsEndpoints: [{ port: 'metrics', path: '/metrics', interval: '30s', relabelings: [NODE_LABEL] }],
  };
}

/** Node affinity that keeps a DaemonSet on pools of the given roles. */
export function poolsAffinity(pools: AcceleratorPoolInfo[]): { [key: string]: any } {
  // One term per pool (terms are ORed), each requiring every label of that pool.
  return {
    nodeAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: {
        nodeSelectorTerms: pools.map((p) => ({
          matchExpressions: Object.entries(p.labels)
            .sort(([a], [b]) => a.localeCompare(b))
            .map(([key, value]) => ({ key, operator: 'In', values: [value] })),
        })),
      },
    },
  };
}

/** Node affinity for the platform's pools of the given roles. */
export function poolRoleAffinity(roles: NodePoolRole[]): { [key: string]: any } {
  return {
    nodeAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: {
        nodeSelectorTerms: [{ matchExpressions: [{ key: PlatformLabels.ROLE, operator: 'In', values: [...roles] }] }],
      },
    },
  };
}

/** PodMonitor for the KEDA operator (scaler errors, metric values, ScaledObject readiness). */
export function kedaPodMonitor(): { [key: string]: any } {
  return {
    name: 'keda-operator',
    selector: { matchLabels: { app: 'keda-operator' } },
    namespaceSelector: { matchNames: ['keda'] },
    podMetricsEndpoints: [{ port: 'metrics', path: '/metrics', interval: '30s' }],
  };
}

/** PodMonitor for the endpoint pickers (scheduling decisions and latency, pool readiness), in any namespace. */
export function endpointPickerPodMonitor(): { [key: string]: any } {
  return {
    name: 'endpoint-picker',
    selector: { matchLabels: { 'app.kubernetes.io/name': ENDPOINT_PICKER_APP } },
    namespaceSelector: { any: true },
    podMetricsEndpoints: [{ port: 'metrics', path: '/metrics', interval: SCRAPE_INTERVAL }],
  };
}

/**
 * PodMonitor for the inference gateway's Envoy pods (port `metrics`, 19001, `/stats/prometheus`): only the
 * per-route upstream request counters and time histograms, failed connections (a model at zero behind its
 * Service wakes on them) and the local rate limiter's counters are kept, of Envoy's thousands of series.
 */
export function gatewayPodMonitor(): { [key: string]: any } {
  return {
    name: 'inference-gateway-envoy',
    // Every Envoy of Envoy Gateway, whichever Gateway owns it.
    selector: {
      matchLabels: {
        'app.kubernetes.io/managed-by': GATEWAY_POD_LABELS['app.kubernetes.io/managed-by'],
        'app.kubernetes.io/component': GATEWAY_POD_LABELS['app.kubernetes.io/component'],
      },
    },
    namespaceSelector: { matchNames: [GATEWAY_NAMESPACE] },
    podMetricsEndpoints: [
      {
        port: 'metrics',
        path: '/stats/prometheus',
        interval: SCRAPE_INTERVAL,
        metricRelabelings: [
          {
            sourceLabels: ['__name__'],
            regex:
              'envoy_(cluster_upstream_rq(_xx|_time_bucket|_time_sum|_time_count)|cluster_upstream_cx_connect_fail|http_local_rate_limit_.*)',
            action: 'keep',
          },
        ],
      },
    ],
  };
}
