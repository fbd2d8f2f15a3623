import { Duration } from '../core/duration';
import { PlatformLabels } from '../core/node-pool';
import { ksmLabel } from './cost-rules';
import { ClusterMetrics, DcgmMetrics, NeuronMetrics, VllmMetrics } from './metrics';

/** Thresholds of the platform alerts; the serving ones are the latency/queue SLOs. */
export interface AlertThresholds {
  /**
   * Time-to-first-token p95 objective per model; above it for 10 minutes the SLO alert fires.
   * @default Duration.seconds(2)
   */
  readonly ttftP95?: Duration;
  /**
   * Waiting requests per serving replica; above it for 5 minutes the queue alert fires.
   * @default 10
   */
  readonly queueDepth?: number;
  /**
   * GPU memory used, percent of framebuffer. vLLM reserves 90 % of a GPU by default
   * (`--gpu-memory-utilization 0.9`), so pools serving vLLM sit near this line; raise it to 95 there.
   * @default 90
   */
  readonly gpuMemoryPercent?: number;
  /**
   * GPU core temperature, °C, sustained for 10 minutes.
   * @default 85
   */
  readonly gpuTemperatureCelsius?: number;
}

/** Thresholds with defaults applied. */
export interface ResolvedAlertThresholds {
  /** TTFT p95 objective, seconds. */
  readonly ttftP95Seconds: number;
  /** Queue depth. */
  readonly queueDepth: number;
  /** GPU memory percent. */
  readonly gpuMemoryPercent: number;
  /** GPU temperature, °C. */
  readonly gpuTemperatureCelsius: number;
}

/** One alerting rule, as a PrometheusRule lists it. */
export interface AlertRule {
  /** Alert name. */
  readonly alert: string;
  /** PromQL expression. */
  readonly expr: string;
  /** How long the expression must hold before the alert fires (PromQL `for`; '' fires at once). */
  readonly pendingFor: string;
  /** 'critical' or 'warning'. */
  readonly severity: string;
  /** One-line summary. */
  readonly summary: string;
  /**
   * Labels beside `severity`, e.g. the tenant an alert is about, for routing.
   * @default - severity only
   */
  readonly labels?: { [key: string]: string };
  /**
   * Longer explanation (the `description` annotation): how the value is computed, what to do.
   * @default - summary only
   */
  readonly description?: string;
}

/** Applies defaults and returns problems as `<prop> <value> …; <fix>` messages. */
export function resolveAlertThresholds(t: AlertThresholds = {}): { resolved: ResolvedAlertThresholds; errors: string[] } {
  const errors: string[] = [];
  const ttft = t.ttftP95 ?? Duration.seconds(2);
  if (ttft.toMilliseconds() < 10 || ttft.toSeconds() > 600) {
    errors.push(
      `alertThresholds.ttftP95 '${ttft.toPrometheus()}' is outside 10ms..10m; pass e.g. Duration.millis(800) or Duration.seconds(2)`,
    );
  }
  const queue = t.queueDepth ?? 10;
  if (!Number.isInteger(queue) || queue < 1)
    errors.push(
      `alertThresholds.queueDepth ${queue} is not a positive integer; pass the waiting requests per replica that breach the SLO, e.g. 10`,
    );
  const mem = t.gpuMemoryPercent ?? 90;
  if (!(mem > 0 && mem < 100)) errors.push(`alertThresholds.gpuMemoryPercent ${mem} is not between 0 and 100 (exclusive); pass e.g. 90`);
  const temp = t.gpuTemperatureCelsius ?? 85;
  if (!(temp >= 40 && temp <= 110))
    errors.push(
      `alertThresholds.gpuTemperatureCelsius ${temp} is outside 40..110 °C; data-centre GPUs slow down near 85-90 °C, pass e.g. 85`,
    );
  return { resolved: { ttftP95Seconds: ttft.toSeconds(), queueDepth: queue, gpuMemoryPercent: mem, gpuTemperatureCelsius: temp }, errors };
}

// Extended resources as kube-state-metrics names them: whole GPUs, MIG slices (mixed strategy), Neuron devices.
const NVIDIA_RESOURCES = 'nvidia_com_gpu|nvidia_com_mig_.+';
const ACCELERATOR_RESOURCES = `${NVIDIA_RESOURCES}|aws_amazon_com_neuron`;
// XIDs that mean failing hardware rather than a crashing application, each needing a drain and a GPU
// reset or replacement: double-bit ECC (48), row remap failed (64), NVLink error (74), GPU fallen off the
// bus (79), contained/uncontained ECC (94, 95), GSP RPC timeout and GSP error (119, 120). XID 63 (a row
// remap recorded, active after the next reset) is a warning of its own.
const FATAL_XIDS = [48, 64, 74, 79, 94, 95, 119, 120];
const ROW_REMAP_XID = 63;

/** The kube_node_labels label holding a node's pool (kube-state-metrics sanitises the key). */
const POOL_LABEL = ksmLabel(PlatformLabels.POOL);

/**
 * `expr` (per node) with the node's pool as a `pool` label, from kube_node_labels. Every node has one
 * kube_node_labels series, so a node outside the platform's pools keeps its alert, with an empty pool; a
 * node without one (kube-state-metrics down, or the node already gone from it) keeps its alert too,
 * without the pool, through the `or on (node)`.
 */
export function withPool(expr: string): string {
  const pools = `max by (node, pool) (label_replace(${ClusterMetrics.NODE_LABELS}, "pool", "$1", "${POOL_LABEL}", "(.*)"))`;
  return `((${expr}) * on (node) group_left (pool) ${pools}) or on (node) (${expr})`;
}

/**
 * GPU health from DCGM: hardware XIDs, uncorrectable (double-bit) ECC, failed or pending row remaps,
 * NVLink errors. Each alert names the node and its pool; the runbook: EKS node auto repair (with the node
 * monitoring agent) reboots or replaces the node, AKS node auto-repair acts only on NotReady nodes, so
 * on AKS (and for a GPU that keeps failing) cordon, drain and reimage or delete the node.
 */
export function gpuHealthAlertRules(): AlertRule[] {
  const D = DcgmMetrics;
  const on = 'on {{ $labels.node }} (pool {{ $labels.pool }})';
  const xids = (match: string) => `${D.XID_ERRORS_COUNT}{xid${match}}`;
  // Per GPU, any of `metrics` grew in 10 minutes. `or` between the comparisons, not inside one sum: the
  // counters share their labels, so `a or b` would keep a's zero and hide b's errors.
  const grew = (...metrics: string[]) => metrics.map((m) => `sum by (node, gpu, UUID) (increase(${m}[10m])) > 0`).join(' or ');
  return [
    // On the exporter's windowed count, not the last-XID gauge: that one holds its value until the driver
    // reloads, so alerts on it never cleared. These clear one window (5 min) after the last XID.
    {
      alert: 'GpuXidErrorFatal',
      expr: withPool(`max by (node, gpu, UUID, xid) (${xids(`=~"${FATAL_XIDS.join('|')}"`)}) > 0`),
      pendingFor: '',
      severity: 'critical',
      summary: `GPU {{ $labels.gpu }} ${on} reported hardware XID {{ $labels.xid }}; drain the node and reset or replace the GPU`,
    },
    {
      alert: 'GpuXidRowRemapPending',
      expr: withPool(`max by (node, gpu, UUID, xid) (${xids(`="${ROW_REMAP_XID}"`)}) > 0`),
      pendingFor: '',
      severity: 'warning',
      summary: `GPU {{ $labels.gpu }} ${on} reported XID 63: a memory row remap is recorded and takes effect at the next GPU reset; drain the node and reboot it`,
    },
    {
      alert: 'GpuXidError',
      expr: withPool(`max by (node, gpu, UUID, xid) (${xids(`!~"${[0, ...FATAL_XIDS, ROW_REMAP_XID].join('|')}"`)}) > 0`),
      pendingFor: '',
      severity: 'warning',
      summary: `GPU {{ $labels.gpu }} ${on} reported XID {{ $labels.xid }}`,
    },
    {
      // The volatile DBE count stays until the driver reloads (a GPU reset): its level, not an increase,
      // says the GPU still needs one. Retired pages are lifetime counts, so those count when they grow.
      alert: 'GpuEccDoubleBitErrors',
      expr: withPool(`max by (node, gpu, UUID) (${D.ECC_DBE_VOL_TOTAL}) > 0 or ${grew(D.RETIRED_DBE)}`),
      pendingFor: '',
      severity: 'critical',
      summary: `GPU {{ $labels.gpu }} ${on} has uncorrectable (double-bit) ECC errors since its last reset, or retired a page for one; drain the node and reset or replace the GPU`,
    },
    {
      alert: 'GpuRowRemapFailure',
      expr: withPool(`max by (node, gpu, UUID) (${D.ROW_REMAP_FAILURE}) > 0`),
      pendingFor: '',
      severity: 'critical',
      summary: `GPU {{ $labels.gpu }} ${on} could not remap a failing memory row; it needs replacement`,
    },
    {
      alert: 'GpuUncorrectableRowsRemapped',
      expr: withPool(grew(D.UNCORRECTABLE_REMAPPED_ROWS)),
      pendingFor: '',
      severity: 'warning',
      summary: `GPU {{ $labels.gpu }} ${on} remapped memory rows after uncorrectable errors; the remap takes effect at the next GPU reset, drain and reboot the node`,
    },
    {
      alert: 'GpuRowRemapPending',
      expr: withPool(`max by (node, gpu, UUID) (${D.ROW_REMAP_PENDING}) > 0`),
      pendingFor: '',
      severity: 'warning',
      summary: `GPU {{ $labels.gpu }} ${on} has a memory row remap pending; it takes effect at the next GPU reset, drain and reboot the node`,
    },
    {
      alert: 'GpuNvlinkErrors',
      expr: withPool(grew(D.NVLINK_CRC_FLIT_ERRORS, D.NVLINK_CRC_DATA_ERRORS, D.NVLINK_RECOVERY_ERRORS)),
      pendingFor: '10m',
      severity: 'warning',
      summary: `GPU {{ $labels.gpu }} ${on} keeps reporting NVLink CRC or recovery errors; multi-GPU jobs there slow down or fail, drain the node and check the NVLink fabric`,
    },
  ];
}

/** Alerts on NVIDIA GPUs, from DCGM and kube-state-metrics. */
export function gpuAlertRules(t: ResolvedAlertThresholds): AlertRule[] {
  const D = DcgmMetrics;
  const gpuNodes = `max by (node) (${ClusterMetrics.NODE_STATUS_CAPACITY}{resource=~"${NVIDIA_RESOURCES}"}) > 0`;
  return [
    ...gpuHealthAlertRules(),
    {
      alert: 'GpuMemoryHigh',
      expr: `max by (node, gpu, UUID, GPU_I_ID) (${D.FB_USED} / (${D.FB_USED} + ${D.FB_FREE})) * 100 > ${t.gpuMemoryPercent}`,
      pendingFor: '15m',
      severity: 'warning',
      summary: `GPU memory on {{ $labels.node }} gpu {{ $labels.gpu }} above ${t.gpuMemoryPercent}% for 15 minutes`,
    },
    {
      alert: 'GpuTemperatureHigh',
      expr: `max by (node, gpu, UUID) (${D.GPU_TEMP}) > ${t.gpuTemperatureCelsius}`,
      pendingFor: '10m',
      severity: 'warning',
      summary: `GPU {{ $labels.gpu }} on {{ $labels.node }} above ${t.gpuTemperatureCelsius} °C for 10 minutes`,
    },
    {
      // A GPU node without DCGM series: the exporter is not scheduled, crash-looping or not scraped.
      alert: 'DcgmExporterMissing',
      expr: `(${gpuNodes}) unless on (node) max by (node) (${D.GPU_TEMP})`,
      pendingFor: '15m',
      severity: 'warning',
      summary: 'No DCGM metrics from GPU node {{ $labels.node }} for 15 minutes',
    },
    {
      alert: 'DcgmExporterDown',
      expr: `${ClusterMetrics.UP}{job=~".*dcgm-exporter.*"} == 0`,
      pendingFor: '10m',
      severity: 'warning',
      summary: 'DCGM exporter target {{ $labels.instance }} is down',
    },
  ];
}

/** Alerts on every accelerator node (NVIDIA and Neuron). */
export function acceleratorNodeAlertRules(): AlertRule[] {
  return [
    {
      alert: 'AcceleratorNodeNotReady',
      expr: `(${ClusterMetrics.NODE_STATUS_CONDITION}{condition="Ready",status="true"} == 0) and on (node) (max by (node) (${ClusterMetrics.NODE_STATUS_CAPACITY}{resource=~"${ACCELERATOR_RESOURCES}"}) > 0)`,
      pendingFor: '5m',
      severity: 'critical',
      summary: 'Accelerator node {{ $labels.node }} has not been Ready for 5 minutes',
    },
  ];
}

/** Alerts on Neuron nodes. */
export function neuronAlertRules(): AlertRule[] {
  return [
    {
      alert: 'NeuronExecutionErrors',
      expr: `sum by (node, error_type) (increase(${NeuronMetrics.EXECUTION_ERRORS}[10m])) > 0`,
      pendingFor: '10m',
      severity: 'warning',
      summary: 'Neuron runtime on {{ $labels.node }} reports {{ $labels.error_type }} execution errors',
    },
    {
      alert: 'NeuronMonitorDown',
      expr: `${ClusterMetrics.UP}{job=~".*neuron-monitor.*"} == 0`,
      pendingFor: '10m',
      severity: 'warning',
      summary: 'neuron-monitor target {{ $labels.instance }} is down',
    },
  ];
}

/** Serving SLO alerts from vLLM metrics. */
export function servingAlertRules(t: ResolvedAlertThresholds): AlertRule[] {
  const V = VllmMetrics;
  return [
    {
      alert: 'LlmQueueDepthHigh',
      expr: `max by (namespace, pod, model_name) (${V.NUM_REQUESTS_WAITING}) > ${t.queueDepth}`,
      pendingFor: '5m',
      severity: 'warning',
      summary: `{{ $labels.model_name }} replica {{ $labels.pod }} has more than ${t.queueDepth} waiting requests for 5 minutes; scale out`,
    },
    {
      alert: 'LlmTtftP95SloBreach',
      expr: `histogram_quantile(0.95, sum by (le, namespace, model_name) (rate(${V.TIME_TO_FIRST_TOKEN}_bucket[5m]))) > ${t.ttftP95Seconds}`,
      pendingFor: '10m',
      severity: 'warning',
      summary: `{{ $labels.model_name }} time-to-first-token p95 above the ${t.ttftP95Seconds}s objective for 10 minutes`,
    },
  ];
}

/** PrometheusRule groups for kube-prometheus-stack's `additionalPrometheusRulesMap`. */
export function prometheusRuleGroups(t: ResolvedAlertThresholds, options: { nvidia: boolean; neuron: boolean }): { [key: string]: any }[] {
  const groups: [string, AlertRule[]][] = [];
  if (options.nvidia) groups.push(['ai-platform.gpu', gpuAlertRules(t)]);
  if (options.neuron) groups.push(['ai-platform.neuron', neuronAlertRules()]);
  groups.push(['ai-platform.nodes', acceleratorNodeAlertRules()], ['ai-platform.serving', servingAlertRules(t)]);
  return groups.map(([name, rules]) => ({
    name,
    rules: rules.map(alertRuleManifest),
  }));
}

/** An alert rule as a PrometheusRule group lists it. */
export function alertRuleManifest(r: AlertRule): { [key: string]: any } {
  return {
    alert: r.alert,
    expr: r.expr,
    ...(r.pendingFor ? { for: r.pendingFor } : {}),
    labels: { severity: r.severity, ...r.labels },
    annotations: { summary: r.summary, ...(r.description ? { description: r.description } : {}) },
  };
}
