import { CostMetrics as M } from '../../cost/cost-metrics';
import { HOURS_PER_MONTH } from '../../cost/price-catalog';
import { barGauge, DashboardSpec, stat, timeseries } from './grafana';

/**
 * Accelerator cost (or unit-hours) over the dashboard's range, from a per-hour rate sampled each minute
 * (absent minutes count 0); queried once at the range's end (instant), since at every point of a graph each
 * value would sum its own trailing range. Zeros (idle namespaces) are left out.
 */
const overRange = (rate: string, by: string) => `sum by (${by}) (sum_over_time(${rate}[$__range:1m])) / 60 > 0`;

/** A sum that is 0, not "No data", when no series exists (no accelerator node, or nothing allocated). */
const total = (series: string) => `(sum(${series}) or vector(0))`;

/**
 * GPU cost: what the accelerator pools cost now and over the range, per namespace (team), served model and
 * pool, from the cost recording rules only (prices from the library's catalog or the pools' own pricing).
 * @param gpuActivity DCGM is scraped: show GPU activity per namespace beside its cost
 */
export function gpuCostDashboard(gpuActivity: boolean): DashboardSpec {
  return {
    uid: 'ai-platform-gpu-cost',
    title: 'AI platform / GPU cost',
    tags: ['gpu', 'cost'],
    rows: [
      {
        title: 'Now',
        panels: [
          stat('Accelerator nodes, per hour', 'currencyUSD', 6, total(M.POOL_NODE_COST), {
            description: 'Running accelerator nodes at their pool price; spot pools without an expected discount at the on-demand ceiling.',
          }),
          stat('Allocated to pods, per hour', 'currencyUSD', 6, total(M.POOL_ALLOCATED_COST)),
          stat('Idle, per hour', 'currencyUSD', 6, `${total(M.POOL_NODE_COST)} - ${total(M.POOL_ALLOCATED_COST)}`, {
            description: 'Node cost no running pod requests: scale-down lag, fragmentation, or headroom.',
          }),
          stat('Month at this rate', 'currencyUSD', 6, `${total(M.POOL_NODE_COST)} * ${HOURS_PER_MONTH}`),
        ],
      },
      {
        title: 'Teams',
        panels: [
          timeseries('Cost per namespace, per hour', 'currencyUSD', 12, [{ expr: `${M.NAMESPACE_COST} > 0`, legend: '{{namespace}}' }]),
          barGauge('Cost per namespace over the range', 'currencyUSD', 12, [
            { expr: overRange(M.NAMESPACE_COST, 'namespace'), legend: '{{namespace}}' },
          ]),
          timeseries('Accelerator units per namespace', 'short', 12, [
            { expr: `sum by (namespace, resource) (${M.NAMESPACE_UNITS})`, legend: '{{namespace}} {{resource}}' },
          ]),
          barGauge('GPU-hours per namespace over the range', 'short', 12, [
            { expr: overRange(M.NAMESPACE_UNITS, 'namespace, resource'), legend: '{{namespace}} {{resource}}' },
          ]),
          ...(gpuActivity
            ? [
                timeseries(
                  'GPU engine active per namespace',
                  'percentunit',
                  24,
                  [{ expr: M.NAMESPACE_GPU_ACTIVE, legend: '{{namespace}}' }],
                  {
                    description: 'Low activity on a costly namespace: a smaller MIG slice, a time-sliced share or fewer replicas would do.',
                  },
                ),
              ]
            : []),
        ],
      },
      {
        title: 'Models and pools',
        panels: [
          timeseries('Cost per served model, per hour', 'currencyUSD', 12, [
            { expr: M.MODEL_COST, legend: '{{namespace}}/{{served_model}} on {{pool}}' },
          ]),
          timeseries('Cost per pool, per hour', 'currencyUSD', 12, [
            { expr: M.POOL_NODE_COST, legend: '{{pool}} nodes' },
            { expr: M.POOL_ALLOCATED_COST, legend: '{{pool}} allocated' },
          ]),
          barGauge(
            'Unpriced accelerator units now',
            'short',
            24,
            [{ expr: `${M.NAMESPACE_UNPRICED_UNITS} > 0`, legend: '{{namespace}} {{resource}} on {{pool}}' }],
            {
              description:
                "Units on pools whose instance type has no price in the library's catalog and no PoolPricing: counted as $0 above. Give the pool a PoolPricing.",
            },
          ),
        ],
      },
    ],
  };
}
