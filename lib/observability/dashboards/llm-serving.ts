import { GatewayMetrics as GW, VllmMetrics as V } from '../metrics';
import { DashboardSpec, PanelTarget, stat, timeseries } from './grafana';

const RATE = '5m';

/** p-quantile of a vLLM histogram per model. */
function quantile(q: number, histogram: string, by = 'model_name'): string {
  return `histogram_quantile(${q}, sum by (le, ${by}) (rate(${histogram}_bucket[${RATE}])))`;
}

function quantiles(histogram: string): PanelTarget[] {
  return [0.5, 0.95, 0.99].map((q) => ({ expr: quantile(q, histogram), legend: `{{model_name}} p${Math.round(q * 100)}` }));
}

/** LLM serving (vLLM): latency, queue, batch and KV-cache per model; the TTFT objective is drawn as a threshold. */
export function llmServingDashboard(thresholds: { ttftP95Seconds: number; queueDepth: number }): DashboardSpec {
  // vLLM renamed these; `or` keeps the panels filled for servers on either side of the rename.
  const kvCache = `max by (model_name, pod) (${V.KV_CACHE_USAGE} or ${V.LEGACY_GPU_CACHE_USAGE})`;
  const itlP95 = `${quantile(0.95, V.INTER_TOKEN_LATENCY)} or ${quantile(0.95, V.LEGACY_TIME_PER_OUTPUT_TOKEN)}`;
  return {
    uid: 'ai-platform-llm-serving',
    title: 'AI platform / LLM serving',
    tags: ['llm', 'vllm', 'serving'],
    rows: [
      {
        title: 'Now',
        panels: [
          stat('TTFT p95', 's', 6, quantile(0.95, V.TIME_TO_FIRST_TOKEN, 'namespace'), {
            thresholds: [[thresholds.ttftP95Seconds, 'red']],
          }),
          stat('Waiting requests', 'short', 6, `sum(${V.NUM_REQUESTS_WAITING})`),
          stat('Running requests', 'short', 6, `sum(${V.NUM_REQUESTS_RUNNING})`),
          stat('Generated tokens / s', 'short', 6, `sum(rate(${V.GENERATION_TOKENS}[${RATE}]))`),
        ],
      },
      {
        title: 'Latency',
        panels: [
          timeseries('Time to first token', 's', 12, quantiles(V.TIME_TO_FIRST_TOKEN), {
            thresholds: [[thresholds.ttftP95Seconds, 'red']],
          }),
          timeseries('Inter-token latency p95', 's', 12, [{ expr: itlP95, legend: '{{model_name}}' }]),
          timeseries('End-to-end request latency', 's', 12, quantiles(V.E2E_REQUEST_LATENCY)),
          timeseries('Queue time p95', 's', 12, [{ expr: quantile(0.95, V.REQUEST_QUEUE_TIME), legend: '{{model_name}}' }]),
        ],
      },
      {
        title: 'Load and capacity',
        panels: [
          timeseries(
            'Queue depth (waiting)',
            'short',
            8,
            [{ expr: `max by (model_name, pod) (${V.NUM_REQUESTS_WAITING})`, legend: '{{model_name}} {{pod}}' }],
            { thresholds: [[thresholds.queueDepth, 'red']] },
          ),
          timeseries('Running requests', 'short', 8, [
            { expr: `max by (model_name, pod) (${V.NUM_REQUESTS_RUNNING})`, legend: '{{model_name}} {{pod}}' },
          ]),
          timeseries('KV-cache usage', 'percentunit', 8, [{ expr: kvCache, legend: '{{model_name}} {{pod}}' }], {
            thresholds: [[0.9, 'orange']],
          }),
          timeseries('Tokens / s', 'short', 8, [
            { expr: `sum by (model_name) (rate(${V.PROMPT_TOKENS}[${RATE}]))`, legend: '{{model_name}} prompt' },
            { expr: `sum by (model_name) (rate(${V.GENERATION_TOKENS}[${RATE}]))`, legend: '{{model_name}} generated' },
          ]),
          timeseries('Finished requests / s', 'reqps', 8, [
            {
              expr: `sum by (model_name, finished_reason) (rate(${V.REQUEST_SUCCESS}[${RATE}]))`,
              legend: '{{model_name}} {{finished_reason}}',
            },
          ]),
          timeseries('Prefix-cache hit ratio', 'percentunit', 8, [
            {
              expr: `sum by (model_name) (rate(${V.PREFIX_CACHE_HITS}[${RATE}])) / sum by (model_name) (rate(${V.PREFIX_CACHE_QUERIES}[${RATE}]))`,
              legend: '{{model_name}}',
            },
          ]),
        ],
      },
      {
        // Empty without an InferenceGateway.
        title: 'Inference gateway',
        panels: [
          timeseries('Latency per route p95', 'ms', 12, [
            {
              expr: `histogram_quantile(0.95, sum by (le, envoy_cluster_name) (rate(${GW.UPSTREAM_RQ_TIME}_bucket[${RATE}])))`,
              legend: '{{envoy_cluster_name}}',
            },
          ]),
          timeseries('Responses per route / s', 'reqps', 12, [
            {
              expr: `sum by (envoy_cluster_name, envoy_response_code_class) (rate(${GW.UPSTREAM_RQ_XX}[${RATE}]))`,
              legend: '{{envoy_cluster_name}} {{envoy_response_code_class}}xx',
            },
          ]),
          timeseries('Picker decisions / s', 'reqps', 12, [
            {
              expr: `sum by (target_model_name, pod_name, status) (rate(${GW.SCHEDULER_ATTEMPTS}[${RATE}]))`,
              legend: '{{target_model_name}} {{pod_name}} {{status}}',
            },
          ]),
          timeseries('Picker scheduling latency p95', 's', 12, [
            { expr: `histogram_quantile(0.95, sum by (le) (rate(${GW.SCHEDULER_E2E_DURATION}_bucket[${RATE}])))`, legend: 'p95' },
          ]),
        ],
      },
    ],
  };
}
