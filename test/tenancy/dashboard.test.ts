import { MetricCatalog } from '../../lib';
import { KUEUE_CONTROLLER_LABELS, KUEUE_METRICS_READER_ROLE, KUEUE_NAMESPACE } from '../../lib/tenancy/charts';
import { KueueMetrics, TENANCY_DASHBOARD_UID, kueueSeriesNames, tenancyDashboard, tenancyDashboardJson } from '../../lib/tenancy/dashboard';
import { KUEUE_SCRAPER, KueueScrapeAccess, kueuePodMonitor } from '../../lib/tenancy/monitoring';
import { awsStack, synthJson } from '../helpers';
import { eksCluster, ofType } from './fixtures';

describe('tenancy dashboard', () => {
  const json = tenancyDashboardJson();
  const exprs: string[] = json.panels.filter((p: any) => p.type !== 'row').flatMap((p: any) => p.targets.map((t: any) => t.expr));

  test('every query reads Kueue metric families only, by the names Kueue 0.19.2 exports', () => {
    const known = new Set(kueueSeriesNames());
    for (const e of exprs) for (const name of MetricCatalog.metricNamesIn(e)) expect([e, known.has(name)]).toEqual([e, true]);
    const used = new Set(exprs.flatMap((e) => MetricCatalog.metricNamesIn(e)));
    for (const m of [
      KueueMetrics.NOMINAL_QUOTA,
      KueueMetrics.RESOURCE_USAGE,
      KueueMetrics.PENDING_WORKLOADS,
      KueueMetrics.ADMITTED_ACTIVE_WORKLOADS,
      KueueMetrics.BORROWING_LIMIT,
      `${KueueMetrics.ADMISSION_WAIT_TIME}_bucket`,
    ])
      expect(used).toContain(m);
    expect(KueueMetrics.NOMINAL_QUOTA).toBe('kueue_cluster_queue_nominal_quota');
    expect(KueueMetrics.BORROWING_LIMIT).toBe('kueue_cluster_queue_borrowing_limit');
  });

  test('quota, usage, borrowed and pending per tenant and flavor, leader replica only, tenant variable', () => {
    const titles = json.panels.map((p: any) => p.title);
    for (const t of ['Nominal quota', 'Usage', 'Borrowed (usage above nominal quota)', 'Pending workloads']) expect(titles).toContain(t);
    const borrowed = json.panels.find((p: any) => p.title === 'Borrowed (usage above nominal quota)').targets[0];
    expect(borrowed.expr).toContain('clamp_min(');
    expect(borrowed.legendFormat).toBe('{{cluster_queue}} / {{flavor}} / {{resource}}');
    for (const e of exprs) expect(e).toContain('replica_role!="follower"');
    const tenant = json.templating.list.find((v: any) => v.name === 'tenant');
    expect(tenant.query.query).toBe('label_values(kueue_cluster_queue_nominal_quota, cluster_queue)');
  });

  test('valid JSON, fixed uid, unique panel ids inside the grid, nothing Terraform would interpolate', () => {
    expect(json.uid).toBe(TENANCY_DASHBOARD_UID);
    expect(tenancyDashboard().uid.length).toBeLessThanOrEqual(40);
    const text = JSON.stringify(json);
    expect(JSON.parse(text)).toEqual(json);
    expect(text).not.toContain('${');
    const ids = json.panels.map((p: any) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of json.panels) expect(p.gridPos.x + p.gridPos.w).toBeLessThanOrEqual(24);
  });
});

describe('Kueue scraping', () => {
  test('the PodMonitor reads the chart port named metrics over HTTPS with the scraper token', () => {
    const pm = kueuePodMonitor();
    expect(pm.selector.matchLabels).toEqual(KUEUE_CONTROLLER_LABELS);
    expect(pm.namespaceSelector).toEqual({ matchNames: [KUEUE_NAMESPACE] });
    expect(pm.podMetricsEndpoints).toEqual([
      {
        port: 'metrics',
        path: '/metrics',
        scheme: 'https',
        interval: '30s',
        tlsConfig: { insecureSkipVerify: true },
        authorization: { type: 'Bearer', credentials: { name: KUEUE_SCRAPER, key: 'token' } },
      },
    ]);
  });

  test("the scraper may read /metrics only (the chart's metrics-reader role); its token is minted in-cluster", () => {
    const stack = awsStack();
    const cluster = eksCluster(stack);
    new KueueScrapeAccess(stack, 'Scrape', { cluster, namespace: 'monitoring', dependsOn: [] });
    const doc = synthJson(stack);
    const binding = ofType(doc, 'kubernetes_cluster_role_binding_v1').find((b) => b.metadata.name === KUEUE_SCRAPER);
    expect(binding.role_ref).toEqual({ api_group: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: KUEUE_METRICS_READER_ROLE });
    expect(binding.subject).toEqual([{ kind: 'ServiceAccount', name: KUEUE_SCRAPER, namespace: 'monitoring' }]);
    const secret = ofType(doc, 'kubernetes_secret_v1').find((s) => s.metadata.name === KUEUE_SCRAPER);
    expect(secret).toMatchObject({ type: 'kubernetes.io/service-account-token', wait_for_service_account_token: true });
    expect(secret.data).toBeUndefined();
    expect(secret.metadata.namespace).toBe('monitoring');
  });
});
