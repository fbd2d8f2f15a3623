import { MetricCatalog, MetricType } from '../observability/metrics';
import { DashboardSpec, renderDashboard, stat, timeseries } from '../observability/dashboards/grafana';

/**
 * Kueue metric names (kubernetes-sigs/kueue v0.19.2, `pkg/metrics/metrics.go`, subsystem `kueue`). The
 * ClusterQueue quota and usage gauges exist only with `metrics.enableClusterQueueResources`, which
 * GpuSharing turns on. Every series carries `replica_role` (leader, follower, standalone): queries keep the
 * leader's view by dropping followers.
 */
export class KueueMetrics {
  /** Nominal quota per cohort, cluster_queue, flavor, resource (gauge). */
  public static readonly NOMINAL_QUOTA = 'kueue_cluster_queue_nominal_quota';
  /** Resources used by admitted workloads, per cohort, cluster_queue, flavor, resource (gauge). */
  public static readonly RESOURCE_USAGE = 'kueue_cluster_queue_resource_usage';
  /** Resources reserved (quota reserved, not yet admitted too), per cluster_queue, flavor, resource (gauge). */
  public static readonly RESOURCE_RESERVATION = 'kueue_cluster_queue_resource_reservation';
  /** Borrowing limit per cluster_queue, flavor, resource; +Inf when unlimited (gauge). */
  public static readonly BORROWING_LIMIT = 'kueue_cluster_queue_borrowing_limit';
  /** Lending limit per cluster_queue, flavor, resource; +Inf when unlimited (gauge). */
  public static readonly LENDING_LIMIT = 'kueue_cluster_queue_lending_limit';
  /** Pending workloads per cluster_queue and status (active, inadmissible) (gauge). */
  public static readonly PENDING_WORKLOADS = 'kueue_pending_workloads';
  /** Admitted, unfinished workloads per cluster_queue (gauge). */
  public static readonly ADMITTED_ACTIVE_WORKLOADS = 'kueue_admitted_active_workloads';
  /** Fair-sharing share of each cluster_queue (gauge). */
  public static readonly WEIGHTED_SHARE = 'kueue_cluster_queue_weighted_share';
  /** Workloads preempted, per preempting_cluster_queue and reason (counter). */
  public static readonly PREEMPTED_WORKLOADS = 'kueue_preempted_workloads_total';
  /** Time from creation to admission, per cluster_queue and priority_class (histogram). */
  public static readonly ADMISSION_WAIT_TIME = 'kueue_admission_wait_time_seconds';
}

/** One Kueue metric family the tenancy dashboard reads. */
export interface KueueMetricInfo {
  /** Name as scraped (histograms: the family name). */
  readonly name: string;
  /** Type. */
  readonly metricType: MetricType;
}

/** The Kueue metric families, with types, for MetricCatalog (as rows of a new source 'kueue'). */
export function kueueMetricInfos(): KueueMetricInfo[] {
  const G = MetricType.GAUGE;
  return [
    { name: KueueMetrics.NOMINAL_QUOTA, metricType: G },
    { name: KueueMetrics.RESOURCE_USAGE, metricType: G },
    { name: KueueMetrics.RESOURCE_RESERVATION, metricType: G },
    { name: KueueMetrics.BORROWING_LIMIT, metricType: G },
    { name: KueueMetrics.LENDING_LIMIT, metricType: G },
    { name: KueueMetrics.PENDING_WORKLOADS, metricType: G },
    { name: KueueMetrics.ADMITTED_ACTIVE_WORKLOADS, metricType: G },
    { name: KueueMetrics.WEIGHTED_SHARE, metricType: G },
    { name: KueueMetrics.PREEMPTED_WORKLOADS, metricType: MetricType.COUNTER },
    { name: KueueMetrics.ADMISSION_WAIT_TIME, metricType: MetricType.HISTOGRAM },
  ];
}

/** Every series name the Kueue metric families yield (histograms expand to `_bucket`, `_sum`, `_count`). */
export function kueueSeriesNames(): string[] {
  return kueueMetricInfos().flatMap((m) => MetricCatalog.seriesOf(m.name, m.metricType));
}

/** Uid of the tenancy dashboard. */
export const TENANCY_DASHBOARD_UID = 'ai-platform-tenancy';

/**
 * GPU sharing per tenant (ClusterQueue) and flavor: nominal quota, usage, borrowed (usage above nominal),
 * pending and admitted workloads, preemptions, admission wait, fair share.
 */
export function tenancyDashboard(): DashboardSpec {
  const sel = (extra = '') => `{replica_role!="follower",cluster_queue=~"$tenant"${extra}}`;
  const acc = ',resource!~"cpu|memory"';
  const byQ = 'max by (cluster_queue, flavor, resource)';
  const legend = '{{cluster_queue}} / {{flavor}} / {{resource}}';
  const nominal = `${byQ} (${KueueMetrics.NOMINAL_QUOTA}${sel(acc)})`;
  const usage = `${byQ} (${KueueMetrics.RESOURCE_USAGE}${sel(acc)})`;
  const borrowed = `clamp_min(${usage} - ${nominal}, 0)`;
  const pending = `sum by (cluster_queue, status) (${KueueMetrics.PENDING_WORKLOADS}${sel()})`;
  const admitted = `sum by (cluster_queue) (${KueueMetrics.ADMITTED_ACTIVE_WORKLOADS}${sel()})`;
  return {
    uid: TENANCY_DASHBOARD_UID,
    title: 'AI platform / GPU sharing (Kueue)',
    tags: ['kueue', 'tenancy', 'gpu'],
    rows: [
      {
        title: 'Cohort',
        panels: [
          stat('Accelerator quota', 'short', 6, `sum(${nominal})`),
          stat('Accelerators in use', 'short', 6, `sum(${usage})`),
          stat('Borrowed', 'short', 6, `sum(${borrowed})`, { thresholds: [[1, 'yellow']] }),
          stat('Pending workloads', 'short', 6, `sum(${pending})`, {
            thresholds: [
              [1, 'yellow'],
              [20, 'red'],
            ],
          }),
        ],
      },
      {
        title: 'Quota and usage per tenant and flavor',
        panels: [
          timeseries('Nominal quota', 'short', 12, [{ expr: nominal, legend }]),
          timeseries('Usage', 'short', 12, [{ expr: usage, legend }]),
          timeseries('Borrowed (usage above nominal quota)', 'short', 12, [{ expr: borrowed, legend }], {
            description: 'Borrowed capacity is preempted when its owner reclaims its nominal quota.',
          }),
          timeseries('Usage / nominal quota', 'percentunit', 12, [{ expr: `${usage} / (${nominal} > 0)`, legend }]),
          timeseries(
            'Borrowing limit (queues with a finite one)',
            'short',
            24,
            [{ expr: `${byQ} (${KueueMetrics.BORROWING_LIMIT}${sel(acc)}) < inf`, legend }],
            { description: 'Tenants without borrowing have 0; tenants that borrow have no limit (+Inf, not shown).' },
          ),
        ],
      },
      {
        title: 'Workloads per tenant',
        panels: [
          timeseries('Pending workloads', 'short', 12, [{ expr: pending, legend: '{{cluster_queue}} {{status}}' }], {
            description: 'inadmissible: waiting for a change (quota, flavors) before Kueue retries.',
          }),
          timeseries('Admitted, running workloads', 'short', 12, [{ expr: admitted, legend: '{{cluster_queue}}' }]),
          timeseries('Preemptions', 'short', 12, [
            {
              expr: `sum by (preempting_cluster_queue, reason) (rate(${KueueMetrics.PREEMPTED_WORKLOADS}{replica_role!="follower",preempting_cluster_queue=~"$tenant"}[15m]))`,
              legend: '{{preempting_cluster_queue}} {{reason}}',
            },
          ]),
          timeseries('Admission wait p90', 's', 12, [
            {
              expr: `histogram_quantile(0.9, sum by (le, cluster_queue) (rate(${KueueMetrics.ADMISSION_WAIT_TIME}_bucket${sel()}[15m])))`,
              legend: '{{cluster_queue}}',
            },
          ]),
          timeseries('Fair share (dominant resource share above nominal)', 'short', 24, [
            { expr: `max by (cluster_queue) (${KueueMetrics.WEIGHTED_SHARE}${sel()})`, legend: '{{cluster_queue}}' },
          ]),
        ],
      },
    ],
  };
}

/**
 * The tenancy dashboard as the JSON object Grafana's sidecar provisions, with a `tenant` variable over the
 * ClusterQueues (multi-select, all by default).
 */
export function tenancyDashboardJson(): { [key: string]: any } {
  const json = renderDashboard(tenancyDashboard());
  json.templating.list.push({
    name: 'tenant',
    label: 'Tenant',
    type: 'query',
    datasource: { type: 'prometheus', uid: '$datasource' },
    query: { query: `label_values(${KueueMetrics.NOMINAL_QUOTA}, cluster_queue)`, refId: 'tenant' },
    definition: `label_values(${KueueMetrics.NOMINAL_QUOTA}, cluster_queue)`,
    refresh: 2,
    multi: true,
    includeAll: true,
    allValue: '.*',
    current: { text: 'All', value: '$__all' },
    hide: 0,
  });
  return json;
}
