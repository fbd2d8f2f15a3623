/**
 * The one list of metric names the observability stack relies on. Alerts and dashboards are built from
 * these constants, and the tests check every PromQL expression against `MetricCatalog`, so a renamed
 * exporter metric fails a test instead of silently emptying a panel.
 *
 * Sources, checked by hand against the exporters:
 * - DCGM: fields of the CSV the library gives both exporters (addons/gpu-operator/dcgm-counters.ts);
 *   names are DCGM field names, counters carry no `_total` suffix.
 * - vLLM: the v1 engine's Prometheus logger (0.11+); two older names it replaced are kept as LEGACY so
 *   queries can fall back with `or` for servers still on older releases.
 * - Neuron: neuron-monitor's Prometheus front end (neuron-monitor-prometheus.py).
 * - Envoy (the inference gateway's data plane, Envoy Gateway v1.9.0): cluster statistics from
 *   /stats/prometheus; each route rule is an Envoy cluster (`envoy_cluster_name`); times in milliseconds.
 * - Endpoint picker: gateway-api-inference-extension v1.5.0 pkg/epp/metrics/metrics.go.
 * - kube-state-metrics: node metrics; extended resources appear sanitised (nvidia.com/gpu -> nvidia_com_gpu).
 */

/** Prometheus metric type. */
export enum MetricType {
  /** A value that goes up and down. */
  GAUGE = 'gauge',
  /** A monotonically increasing count. */
  COUNTER = 'counter',
  /** A classic histogram: `_bucket`, `_sum` and `_count` series. */
  HISTOGRAM = 'histogram',
}

/** The exporter a metric comes from. */
export enum MetricSource {
  /** NVIDIA DCGM exporter (GPU operator's or standalone). */
  DCGM = 'dcgm-exporter',
  /** vLLM's /metrics endpoint. */
  VLLM = 'vllm',
  /** AWS neuron-monitor. */
  NEURON_MONITOR = 'neuron-monitor',
  /** kube-state-metrics (installed by kube-prometheus-stack). */
  KUBE_STATE_METRICS = 'kube-state-metrics',
  /** Prometheus itself (`up`). */
  PROMETHEUS = 'prometheus',
  /** Envoy, the inference gateway's data plane. */
  ENVOY = 'envoy',
  /** The Gateway API Inference Extension's endpoint picker. */
  ENDPOINT_PICKER = 'endpoint-picker',
}

/** One metric family. */
export interface MetricDefinition {
  /** Name as scraped (for histograms: the family name without `_bucket`/`_sum`/`_count`). */
  readonly name: string;
  /** Type. */
  readonly metricType: MetricType;
  /** Exporter. */
  readonly source: MetricSource;
  /** True when DCGM reports the metric per MIG instance (GPU_I_ID / GPU_I_PROFILE labels). */
  readonly perMigInstance: boolean;
  /** True for a name the current exporter version replaced; kept only as a query fallback. */
  readonly legacy: boolean;
}

/** DCGM field names (DCGM exporter series names). */
export class DcgmMetrics {
  /** GPU utilisation, %; NOT reported for MIG instances. */
  public static readonly GPU_UTIL = 'DCGM_FI_DEV_GPU_UTIL';
  /** Memory copy utilisation, %; not reported for MIG instances. */
  public static readonly MEM_COPY_UTIL = 'DCGM_FI_DEV_MEM_COPY_UTIL';
  /** Framebuffer used, MiB (per MIG instance too). */
  public static readonly FB_USED = 'DCGM_FI_DEV_FB_USED';
  /** Framebuffer free, MiB (per MIG instance too). */
  public static readonly FB_FREE = 'DCGM_FI_DEV_FB_FREE';
  /** GPU temperature, °C. */
  public static readonly GPU_TEMP = 'DCGM_FI_DEV_GPU_TEMP';
  /** HBM temperature, °C. */
  public static readonly MEMORY_TEMP = 'DCGM_FI_DEV_MEMORY_TEMP';
  /** Power draw, W. */
  public static readonly POWER_USAGE = 'DCGM_FI_DEV_POWER_USAGE';
  /** Energy since boot, mJ (counter). */
  public static readonly TOTAL_ENERGY = 'DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION';
  /** SM clock, MHz. */
  public static readonly SM_CLOCK = 'DCGM_FI_DEV_SM_CLOCK';
  /** Value of the last XID error (0 when none). */
  public static readonly XID_ERRORS = 'DCGM_FI_DEV_XID_ERRORS';
  /**
   * XID errors in the exporter's window (5 minutes by default), one series per `xid` label: unlike
   * XID_ERRORS it falls back to nothing once the window passes, so alerts on it clear.
   */
  public static readonly XID_ERRORS_COUNT = 'DCGM_EXP_XID_ERRORS_COUNT';
  /** 1 when HBM row remapping failed: the GPU needs a reset or replacement. */
  public static readonly ROW_REMAP_FAILURE = 'DCGM_FI_DEV_ROW_REMAP_FAILURE';
  /** 1 while a recorded HBM row remap waits for the next GPU reset to take effect. */
  public static readonly ROW_REMAP_PENDING = 'DCGM_FI_DEV_ROW_REMAP_PENDING';
  /** Rows remapped for uncorrectable errors (counter). */
  public static readonly UNCORRECTABLE_REMAPPED_ROWS = 'DCGM_FI_DEV_UNCORRECTABLE_REMAPPED_ROWS';
  /** Double-bit (uncorrectable) volatile ECC errors since the last driver load (counter). */
  public static readonly ECC_DBE_VOL_TOTAL = 'DCGM_FI_DEV_ECC_DBE_VOL_TOTAL';
  /** Pages retired for double-bit errors, on GPUs before Ampere (counter). */
  public static readonly RETIRED_DBE = 'DCGM_FI_DEV_RETIRED_DBE';
  /** NVLink flow-control CRC errors (counter). */
  public static readonly NVLINK_CRC_FLIT_ERRORS = 'DCGM_FI_DEV_NVLINK_CRC_FLIT_ERROR_COUNT_TOTAL';
  /** NVLink data CRC errors (counter). */
  public static readonly NVLINK_CRC_DATA_ERRORS = 'DCGM_FI_DEV_NVLINK_CRC_DATA_ERROR_COUNT_TOTAL';
  /** NVLink link recoveries (counter). */
  public static readonly NVLINK_RECOVERY_ERRORS = 'DCGM_FI_DEV_NVLINK_RECOVERY_ERROR_COUNT_TOTAL';
  /** PCIe replays (counter). */
  public static readonly PCIE_REPLAY_COUNTER = 'DCGM_FI_DEV_PCIE_REPLAY_COUNTER';
  /** NVLink bandwidth over all lanes (counter). */
  public static readonly NVLINK_BANDWIDTH_TOTAL = 'DCGM_FI_DEV_NVLINK_BANDWIDTH_TOTAL';
  /** Ratio of time the graphics engine is busy; the utilisation that works per MIG instance. */
  public static readonly PROF_GR_ENGINE_ACTIVE = 'DCGM_FI_PROF_GR_ENGINE_ACTIVE';
  /** Ratio of cycles the tensor pipe is active (per MIG instance). */
  public static readonly PROF_PIPE_TENSOR_ACTIVE = 'DCGM_FI_PROF_PIPE_TENSOR_ACTIVE';
  /** Ratio of cycles device memory is busy (per MIG instance). */
  public static readonly PROF_DRAM_ACTIVE = 'DCGM_FI_PROF_DRAM_ACTIVE';
}

/** vLLM metric names. */
export class VllmMetrics {
  /** Requests in the running batch. */
  public static readonly NUM_REQUESTS_RUNNING = 'vllm:num_requests_running';
  /** Requests queued (queue depth). */
  public static readonly NUM_REQUESTS_WAITING = 'vllm:num_requests_waiting';
  /** KV-cache usage, 0..1. */
  public static readonly KV_CACHE_USAGE = 'vllm:kv_cache_usage_perc';
  /** KV-cache usage before vLLM 0.10 renamed it. */
  public static readonly LEGACY_GPU_CACHE_USAGE = 'vllm:gpu_cache_usage_perc';
  /** Time to first token (histogram). */
  public static readonly TIME_TO_FIRST_TOKEN = 'vllm:time_to_first_token_seconds';
  /** Inter-token latency (histogram). */
  public static readonly INTER_TOKEN_LATENCY = 'vllm:inter_token_latency_seconds';
  /** Inter-token latency before vLLM 0.11 renamed it (hidden since 0.12). */
  public static readonly LEGACY_TIME_PER_OUTPUT_TOKEN = 'vllm:time_per_output_token_seconds';
  /** End-to-end request latency (histogram). */
  public static readonly E2E_REQUEST_LATENCY = 'vllm:e2e_request_latency_seconds';
  /** Time in the waiting queue (histogram). */
  public static readonly REQUEST_QUEUE_TIME = 'vllm:request_queue_time_seconds';
  /** Prefill tokens processed (counter). */
  public static readonly PROMPT_TOKENS = 'vllm:prompt_tokens_total';
  /** Generated tokens (counter). */
  public static readonly GENERATION_TOKENS = 'vllm:generation_tokens_total';
  /** Finished requests by finished_reason (counter). */
  public static readonly REQUEST_SUCCESS = 'vllm:request_success_total';
  /** Preemptions (counter). */
  public static readonly NUM_PREEMPTIONS = 'vllm:num_preemptions_total';
  /** Prefix-cache queried tokens (counter). */
  public static readonly PREFIX_CACHE_QUERIES = 'vllm:prefix_cache_queries_total';
  /** Prefix-cache hit tokens (counter). */
  public static readonly PREFIX_CACHE_HITS = 'vllm:prefix_cache_hits_total';
}

/** neuron-monitor metric names. */
export class NeuronMetrics {
  /** NeuronCore utilisation, 0..1, per `neuroncore`. */
  public static readonly CORE_UTILIZATION = 'neuroncore_utilization_ratio';
  /** Runtime memory used, bytes, by memory_location. */
  public static readonly RUNTIME_MEMORY_USED = 'neuron_runtime_memory_used_bytes';
  /** Execution errors by error_type (counter). */
  public static readonly EXECUTION_ERRORS = 'execution_errors_total';
  /** Executions by status_type (counter). */
  public static readonly EXECUTION_STATUS = 'execution_status_total';
  /** Execution latency by percentile (gauge). */
  public static readonly EXECUTION_LATENCY = 'execution_latency_seconds';
}

/** kube-state-metrics and Prometheus names. */
export class ClusterMetrics {
  /** Node conditions (Ready, MemoryPressure ...). */
  public static readonly NODE_STATUS_CONDITION = 'kube_node_status_condition';
  /** Node capacity by resource, extended resources included. */
  public static readonly NODE_STATUS_CAPACITY = 'kube_node_status_capacity';
  /** Resource requests per container (labels namespace, pod, container, node, resource, unit). */
  public static readonly POD_CONTAINER_RESOURCE_REQUESTS = 'kube_pod_container_resource_requests';
  /** Pod phase, 1 for the current one (labels namespace, pod, phase). */
  public static readonly POD_STATUS_PHASE = 'kube_pod_status_phase';
  /** Pod labels allowed by kube-state-metrics' metricLabelsAllowlist, as `label_<sanitised key>`. */
  public static readonly POD_LABELS = 'kube_pod_labels';
  /** Node labels allowed by kube-state-metrics' metricLabelsAllowlist, as `label_<sanitised key>`. */
  public static readonly NODE_LABELS = 'kube_node_labels';
  /** Namespace phase, 1 for the current one (labels namespace, phase). */
  public static readonly NAMESPACE_STATUS_PHASE = 'kube_namespace_status_phase';
  /** Scrape health per target. */
  public static readonly UP = 'up';
}

/** Inference gateway metrics: Envoy's per route (cluster) and the endpoint picker's decisions. */
export class GatewayMetrics {
  /** Upstream request time per Envoy cluster (one per route rule), milliseconds. */
  public static readonly UPSTREAM_RQ_TIME = 'envoy_cluster_upstream_rq_time';
  /** Upstream responses per Envoy cluster, by `envoy_response_code_class`. */
  public static readonly UPSTREAM_RQ_XX = 'envoy_cluster_upstream_rq_xx';
  /** The picker's scheduling attempts, by `status`, `target_model_name` and chosen `pod_name`. */
  public static readonly SCHEDULER_ATTEMPTS = 'inference_extension_scheduler_attempts_total';
  /** The picker's end-to-end scheduling latency, seconds. */
  public static readonly SCHEDULER_E2E_DURATION = 'inference_extension_scheduler_e2e_duration_seconds';
  /** Ready pods of an InferencePool, by pool `name`. */
  public static readonly POOL_READY_PODS = 'inference_pool_ready_pods';
}

const G = MetricType.GAUGE;
const C = MetricType.COUNTER;
const H = MetricType.HISTOGRAM;
type Row = [string, MetricType, MetricSource, boolean?, boolean?];
const ROWS: Row[] = [
  [DcgmMetrics.GPU_UTIL, G, MetricSource.DCGM],
  [DcgmMetrics.MEM_COPY_UTIL, G, MetricSource.DCGM],
  [DcgmMetrics.FB_USED, G, MetricSource.DCGM, true],
  [DcgmMetrics.FB_FREE, G, MetricSource.DCGM, true],
  [DcgmMetrics.GPU_TEMP, G, MetricSource.DCGM],
  [DcgmMetrics.MEMORY_TEMP, G, MetricSource.DCGM],
  [DcgmMetrics.POWER_USAGE, G, MetricSource.DCGM],
  [DcgmMetrics.TOTAL_ENERGY, C, MetricSource.DCGM],
  [DcgmMetrics.SM_CLOCK, G, MetricSource.DCGM],
  [DcgmMetrics.XID_ERRORS, G, MetricSource.DCGM],
  [DcgmMetrics.XID_ERRORS_COUNT, G, MetricSource.DCGM],
  [DcgmMetrics.ROW_REMAP_FAILURE, G, MetricSource.DCGM],
  [DcgmMetrics.ROW_REMAP_PENDING, G, MetricSource.DCGM],
  [DcgmMetrics.UNCORRECTABLE_REMAPPED_ROWS, C, MetricSource.DCGM],
  [DcgmMetrics.ECC_DBE_VOL_TOTAL, C, MetricSource.DCGM],
  [DcgmMetrics.RETIRED_DBE, C, MetricSource.DCGM],
  [DcgmMetrics.NVLINK_CRC_FLIT_ERRORS, C, MetricSource.DCGM],
  [DcgmMetrics.NVLINK_CRC_DATA_ERRORS, C, MetricSource.DCGM],
  [DcgmMetrics.NVLINK_RECOVERY_ERRORS, C, MetricSource.DCGM],
  [DcgmMetrics.PCIE_REPLAY_COUNTER, C, MetricSource.DCGM],
  [DcgmMetrics.NVLINK_BANDWIDTH_TOTAL, C, MetricSource.DCGM],
  [DcgmMetrics.PROF_GR_ENGINE_ACTIVE, G, MetricSource.DCGM, true],
  [DcgmMetrics.PROF_PIPE_TENSOR_ACTIVE, G, MetricSource.DCGM, true],
  [DcgmMetrics.PROF_DRAM_ACTIVE, G, MetricSource.DCGM, true],
  [VllmMetrics.NUM_REQUESTS_RUNNING, G, MetricSource.VLLM],
  [VllmMetrics.NUM_REQUESTS_WAITING, G, MetricSource.VLLM],
  [VllmMetrics.KV_CACHE_USAGE, G, MetricSource.VLLM],
  [VllmMetrics.LEGACY_GPU_CACHE_USAGE, G, MetricSource.VLLM, false, true],
  [VllmMetrics.TIME_TO_FIRST_TOKEN, H, MetricSource.VLLM],
  [VllmMetrics.INTER_TOKEN_LATENCY, H, MetricSource.VLLM],
  [VllmMetrics.LEGACY_TIME_PER_OUTPUT_TOKEN, H, MetricSource.VLLM, false, true],
  [VllmMetrics.E2E_REQUEST_LATENCY, H, MetricSource.VLLM],
  [VllmMetrics.REQUEST_QUEUE_TIME, H, MetricSource.VLLM],
  [VllmMetrics.PROMPT_TOKENS, C, MetricSource.VLLM],
  [VllmMetrics.GENERATION_TOKENS, C, MetricSource.VLLM],
  [VllmMetrics.REQUEST_SUCCESS, C, MetricSource.VLLM],
  [VllmMetrics.NUM_PREEMPTIONS, C, MetricSource.VLLM],
  [VllmMetrics.PREFIX_CACHE_QUERIES, C, MetricSource.VLLM],
  [VllmMetrics.PREFIX_CACHE_HITS, C, MetricSource.VLLM],
  [NeuronMetrics.CORE_UTILIZATION, G, MetricSource.NEURON_MONITOR],
  [NeuronMetrics.RUNTIME_MEMORY_USED, G, MetricSource.NEURON_MONITOR],
  [NeuronMetrics.EXECUTION_ERRORS, C, MetricSource.NEURON_MONITOR],
  [NeuronMetrics.EXECUTION_STATUS, C, MetricSource.NEURON_MONITOR],
  [NeuronMetrics.EXECUTION_LATENCY, G, MetricSource.NEURON_MONITOR],
  [ClusterMetrics.NODE_STATUS_CONDITION, G, MetricSource.KUBE_STATE_METRICS],
  [ClusterMetrics.NODE_STATUS_CAPACITY, G, MetricSource.KUBE_STATE_METRICS],
  [ClusterMetrics.POD_CONTAINER_RESOURCE_REQUESTS, G, MetricSource.KUBE_STATE_METRICS],
  [ClusterMetrics.POD_STATUS_PHASE, G, MetricSource.KUBE_STATE_METRICS],
  [ClusterMetrics.POD_LABELS, G, MetricSource.KUBE_STATE_METRICS],
  [ClusterMetrics.NODE_LABELS, G, MetricSource.KUBE_STATE_METRICS],
  [ClusterMetrics.NAMESPACE_STATUS_PHASE, G, MetricSource.KUBE_STATE_METRICS],
  [ClusterMetrics.UP, G, MetricSource.PROMETHEUS],
  [GatewayMetrics.UPSTREAM_RQ_TIME, H, MetricSource.ENVOY],
  [GatewayMetrics.UPSTREAM_RQ_XX, C, MetricSource.ENVOY],
  [GatewayMetrics.SCHEDULER_ATTEMPTS, C, MetricSource.ENDPOINT_PICKER],
  [GatewayMetrics.SCHEDULER_E2E_DURATION, H, MetricSource.ENDPOINT_PICKER],
  [GatewayMetrics.POOL_READY_PODS, G, MetricSource.ENDPOINT_PICKER],
];

const KEYWORDS = new Set([
  'and',
  'or',
  'unless',
  'bool',
  'offset',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'inf',
  'nan',
  'atan2',
]);

/** Lookups over the metric list. */
export class MetricCatalog {
  /** Every metric family the stack relies on. */
  public static all(): MetricDefinition[] {
    return ROWS.map(([name, metricType, source, perMig, legacy]) => ({
      name,
      metricType,
      source,
      perMigInstance: perMig ?? false,
      legacy: legacy ?? false,
    }));
  }

  /** Every series name a scrape yields for the catalog (histograms expand to `_bucket`, `_sum`, `_count`). */
  public static seriesNames(): string[] {
    return MetricCatalog.all().flatMap((m) => MetricCatalog.seriesOf(m.name, m.metricType));
  }

  /**
   * The series names one metric family yields: a histogram's `_bucket`, `_sum` and `_count`, any other
   * type its own name. For families outside the catalog too (Kueue's, in the tenancy dashboard).
   */
  public static seriesOf(name: string, metricType: MetricType): string[] {
    return metricType === MetricType.HISTOGRAM ? [`${name}_bucket`, `${name}_sum`, `${name}_count`] : [name];
  }

  /**
   * Metric names a PromQL expression selects. Label matchers, strings, ranges, grouping clauses,
   * function names and keywords are skipped, so the result can be compared with `seriesNames()`.
   */
  public static metricNamesIn(expr: string): string[] {
    const stripped = expr
      .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, ' ')
      .replace(/\{[^}]*\}/g, ' ')
      .replace(/\[[^\]]*\]/g, ' ')
      .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
    const names = new Set<string>();
    const token = /[0-9.]+[A-Za-z0-9_.]*|[A-Za-z_:][A-Za-z0-9_:]*/g;
    let m: RegExpExecArray | null;
    while ((m = token.exec(stripped)) !== null) {
      const t = m[0];
      if (/^[0-9.]/.test(t) || KEYWORDS.has(t)) continue;
      if (/^\s*\(/.test(stripped.slice(token.lastIndex))) continue; // a function call
      names.add(t);
    }
    return [...names].sort();
  }
}
