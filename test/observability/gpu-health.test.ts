import { PlatformLabels } from '../../lib';
import { DCGM_COUNTERS, DCGM_METRICS_CONFIG_MAP, dcgmCountersCsv } from '../../lib/addons/gpu-operator/dcgm-counters';
import { gpuOperatorValues } from '../../lib/addons/gpu-operator/gpu-operator';
import { gpuHealthAlertRules, prometheusRuleGroups, resolveAlertThresholds, withPool } from '../../lib/observability/alerts';
import { standaloneDcgmValues } from '../../lib/observability/dcgm';
import { kubePrometheusValues } from '../../lib/observability/kube-prometheus-values';
import { ClusterMetrics, DcgmMetrics, MetricCatalog, MetricSource } from '../../lib/observability/metrics';
import { awsStack } from '../helpers';
import { evaluate, Tsdb } from './promql';
import { awsCluster } from './fixtures';

const thresholds = resolveAlertThresholds().resolved;
const csvFields = new Set(DCGM_COUNTERS.map(([f]) => f));

describe('DCGM health alerts name the node and the pool', () => {
  const health = gpuHealthAlertRules();

  test('XID, double-bit ECC, row remap and NVLink alerts exist, in the GPU group', () => {
    expect(health.map((r) => r.alert)).toEqual([
      'GpuXidErrorFatal',
      'GpuXidRowRemapPending',
      'GpuXidError',
      'GpuEccDoubleBitErrors',
      'GpuRowRemapFailure',
      'GpuUncorrectableRowsRemapped',
      'GpuRowRemapPending',
      'GpuNvlinkErrors',
    ]);
    const gpu = prometheusRuleGroups(thresholds, { nvidia: true, neuron: false }).find((g) => g.name === 'ai-platform.gpu')!;
    expect(gpu.rules.map((r: any) => r.alert)).toEqual(expect.arrayContaining(health.map((r) => r.alert)));
  });

  test.each(health.map((r) => [r.alert, r]))('%s joins kube_node_labels on node for the pool', (_n, r: any) => {
    expect(r.expr).toContain(
      `* on (node) group_left (pool) max by (node, pool) (label_replace(${ClusterMetrics.NODE_LABELS}, "pool", "$1", "label_ai_platform_dev_pool", "(.*)"))`,
    );
    expect(r.summary).toContain('{{ $labels.node }}');
    expect(r.summary).toContain('{{ $labels.pool }}');
  });

  test('the pool comes from kube_node_labels; without that series the alert still fires, without a pool', () => {
    const expr = withPool(`max by (node, gpu) (${DcgmMetrics.ROW_REMAP_FAILURE}) > 0`);
    const failing = { labels: { __name__: DcgmMetrics.ROW_REMAP_FAILURE, node: 'n1', gpu: '0' }, value: 1 };
    const withLabels = new Tsdb();
    withLabels.add(0, [
      failing,
      { labels: { __name__: ClusterMetrics.NODE_LABELS, node: 'n1', label_ai_platform_dev_pool: 'llm', instance: 'a' }, value: 1 },
      { labels: { __name__: ClusterMetrics.NODE_LABELS, node: 'n1', label_ai_platform_dev_pool: 'llm', instance: 'b' }, value: 1 },
    ]);
    expect(evaluate(expr, withLabels, 0)).toEqual([{ labels: { node: 'n1', gpu: '0', pool: 'llm' }, value: 1 }]);
    const withoutLabels = new Tsdb();
    withoutLabels.add(0, [failing]);
    expect(evaluate(expr, withoutLabels, 0)).toEqual([{ labels: { node: 'n1', gpu: '0' }, value: 1 }]);
    for (const r of gpuHealthAlertRules()) expect(r.expr).toMatch(/\) or on \(node\) \(/);
  });

  test('counter alerts look at increases, each counter on its own (an `or` inside one sum would hide one)', () => {
    const nvlink = health.find((r) => r.alert === 'GpuNvlinkErrors')!.expr;
    for (const m of [DcgmMetrics.NVLINK_CRC_FLIT_ERRORS, DcgmMetrics.NVLINK_CRC_DATA_ERRORS, DcgmMetrics.NVLINK_RECOVERY_ERRORS]) {
      expect(nvlink).toContain(`sum by (node, gpu, UUID) (increase(${m}[10m])) > 0`);
    }
  });

  test('double-bit ECC alerts on the volatile count while it is above 0 (until a reset), retired pages on growth', () => {
    const ecc = health.find((r) => r.alert === 'GpuEccDoubleBitErrors')!;
    expect(ecc.severity).toBe('critical');
    expect(ecc.expr).toContain(
      `(max by (node, gpu, UUID) (${DcgmMetrics.ECC_DBE_VOL_TOTAL}) > 0 or sum by (node, gpu, UUID) (increase(${DcgmMetrics.RETIRED_DBE}[10m])) > 0)`,
    );
    expect(ecc.expr).not.toContain(`increase(${DcgmMetrics.ECC_DBE_VOL_TOTAL}`);
  });

  test('a pending row remap is a warning until the GPU is reset', () => {
    const pending = health.find((r) => r.alert === 'GpuRowRemapPending')!;
    expect(pending.severity).toBe('warning');
    expect(pending.expr).toContain(`max by (node, gpu, UUID) (${DcgmMetrics.ROW_REMAP_PENDING}) > 0`);
    expect(csvFields.has(DcgmMetrics.ROW_REMAP_PENDING)).toBe(true);
  });
});

describe('XID alerts clear once the XIDs stop', () => {
  const byName = new Map(gpuHealthAlertRules().map((r) => [r.alert, r]));

  test('they read the windowed count by xid, never the last-XID gauge (it holds its value until a driver reload)', () => {
    for (const a of ['GpuXidErrorFatal', 'GpuXidRowRemapPending', 'GpuXidError']) {
      const expr = byName.get(a)!.expr;
      expect(expr).toContain(`max by (node, gpu, UUID, xid) (${DcgmMetrics.XID_ERRORS_COUNT}{xid`);
      expect(MetricCatalog.metricNamesIn(expr)).not.toContain(DcgmMetrics.XID_ERRORS);
      expect(byName.get(a)!.summary).toMatch(/XID (\{\{ \$labels\.xid \}\}|63)/);
    }
  });

  test('hardware XIDs (64 and the GSP errors among them) are critical, 63 is a warning, the rest a warning', () => {
    const fatal = byName.get('GpuXidErrorFatal')!;
    expect(fatal.severity).toBe('critical');
    expect(fatal.expr).toContain(`${DcgmMetrics.XID_ERRORS_COUNT}{xid=~"48|64|74|79|94|95|119|120"}) > 0`);
    const remap = byName.get('GpuXidRowRemapPending')!;
    expect(remap.severity).toBe('warning');
    expect(remap.expr).toContain(`${DcgmMetrics.XID_ERRORS_COUNT}{xid="63"}) > 0`);
    const other = byName.get('GpuXidError')!;
    expect(other.severity).toBe('warning');
    expect(other.expr).toContain(`${DcgmMetrics.XID_ERRORS_COUNT}{xid!~"0|48|64|74|79|94|95|119|120|63"}) > 0`);
  });
});

describe('the series the alerts read exist', () => {
  test('every DCGM metric of the catalog is in the CSV both exporters load', () => {
    const dcgm = MetricCatalog.all().filter((m) => m.source === MetricSource.DCGM);
    expect(dcgm.map((m) => m.name).filter((n) => !csvFields.has(n))).toEqual([]);
  });

  test('every DCGM field the health alerts use is in the CSV', () => {
    const used = gpuHealthAlertRules().flatMap((r) => MetricCatalog.metricNamesIn(r.expr));
    expect(used.filter((n) => n.startsWith('DCGM_') && !csvFields.has(n))).toEqual([]);
    expect(used).toContain(ClusterMetrics.NODE_LABELS);
  });

  test('the CSV is the exporter format: field, type, help', () => {
    const lines = dcgmCountersCsv()
      .split('\n')
      .filter((l) => !l.startsWith('#'));
    expect(lines.length).toBe(DCGM_COUNTERS.length);
    for (const l of lines) expect(l).toMatch(/^DCGM_(FI|EXP)_[A-Z0-9_]+, (gauge|counter), \S.*$/);
  });

  test("the GPU operator's exporter and the standalone chart load it", () => {
    const stack = awsStack();
    const cluster = awsCluster(stack);
    const values = gpuOperatorValues(cluster, cluster.nodePools);
    expect(values.dcgmExporter.config).toEqual({ name: DCGM_METRICS_CONFIG_MAP, create: true, data: dcgmCountersCsv() });
    expect(standaloneDcgmValues(cluster).customMetrics).toBe(dcgmCountersCsv());
  });

  test('kube-state-metrics exports the pool label on kube_node_labels', () => {
    const stack = awsStack();
    const v = kubePrometheusValues({
      cluster: awsCluster(stack),
      retention: '15d',
      storageGib: 50,
      storageClassName: 'gp3',
      grafanaStorageGib: 10,
      defaultDashboards: false,
      grafanaAdminSecret: 'grafana-admin',
      serviceMonitors: [],
      podMonitors: [],
      ruleGroups: [],
      remoteWrite: [],
      serviceAccountAnnotations: {},
      podLabels: {},
    } as any);
    const nodes = (v['kube-state-metrics'].metricLabelsAllowlist as string[]).find((e) => e.startsWith('nodes='));
    expect(nodes?.slice('nodes=['.length, -1).split(',')).toEqual(expect.arrayContaining([PlatformLabels.POOL, PlatformLabels.ROLE]));
  });
});
