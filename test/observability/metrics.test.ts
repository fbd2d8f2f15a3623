import { prometheusRuleGroups, resolveAlertThresholds } from '../../lib/observability/alerts';
import { platformDashboards } from '../../lib/observability/dashboards';
import { DcgmMetrics, MetricCatalog, MetricSource, MetricType, VllmMetrics } from '../../lib/observability/metrics';

const thresholds = resolveAlertThresholds().resolved;
const series = new Set(MetricCatalog.seriesNames());

function allRules() {
  return prometheusRuleGroups(thresholds, { nvidia: true, neuron: true }).flatMap((g) => g.rules);
}

function allPanelExprs(): string[] {
  const out: string[] = [];
  for (const d of platformDashboards(thresholds, { nvidia: true, mig: true, neuron: true })) {
    for (const p of d.panels) for (const t of p.targets ?? []) out.push(t.expr);
  }
  return out;
}

describe('metric catalog', () => {
  test('names are unique and histograms expand to their series', () => {
    const names = MetricCatalog.all().map((m) => m.name);
    expect(new Set(names).size).toBe(names.length);
    expect(series).toContain('vllm:time_to_first_token_seconds_bucket');
    expect(series).not.toContain('vllm:time_to_first_token_seconds');
    expect(MetricCatalog.seriesOf('x_seconds', MetricType.HISTOGRAM)).toEqual(['x_seconds_bucket', 'x_seconds_sum', 'x_seconds_count']);
    expect(MetricCatalog.seriesOf('x_total', MetricType.COUNTER)).toEqual(['x_total']);
  });

  test('current vLLM names are primary; the replaced ones are marked legacy', () => {
    const byName = new Map(MetricCatalog.all().map((m) => [m.name, m]));
    expect(byName.get(VllmMetrics.KV_CACHE_USAGE)).toMatchObject({ name: 'vllm:kv_cache_usage_perc', legacy: false });
    expect(byName.get(VllmMetrics.INTER_TOKEN_LATENCY)).toMatchObject({
      name: 'vllm:inter_token_latency_seconds',
      metricType: MetricType.HISTOGRAM,
      legacy: false,
    });
    expect(byName.get('vllm:gpu_cache_usage_perc')?.legacy).toBe(true);
    expect(byName.get('vllm:time_per_output_token_seconds')?.legacy).toBe(true);
    expect(byName.get(VllmMetrics.E2E_REQUEST_LATENCY)?.metricType).toBe(MetricType.HISTOGRAM);
  });

  test('MIG: profiling fields are per instance, GPU_UTIL is not', () => {
    const byName = new Map(MetricCatalog.all().map((m) => [m.name, m]));
    expect(byName.get(DcgmMetrics.PROF_GR_ENGINE_ACTIVE)?.perMigInstance).toBe(true);
    expect(byName.get(DcgmMetrics.GPU_UTIL)?.perMigInstance).toBe(false);
    expect(byName.get(DcgmMetrics.XID_ERRORS)?.source).toBe(MetricSource.DCGM);
  });

  test('metricNamesIn skips functions, keywords, labels, strings and ranges', () => {
    expect(
      MetricCatalog.metricNamesIn(
        'histogram_quantile(0.95, sum by (le, model_name) (rate(vllm:time_to_first_token_seconds_bucket{job="a",x=~"b|c"}[5m]))) > 2',
      ),
    ).toEqual(['vllm:time_to_first_token_seconds_bucket']);
    expect(MetricCatalog.metricNamesIn('(a == 0) and on (node) max by (node) (b) unless ignoring(x) c offset 5m or vector(0)')).toEqual([
      'a',
      'b',
      'c',
    ]);
    expect(MetricCatalog.metricNamesIn('up{job=~".*dcgm-exporter.*"} == 0')).toEqual(['up']);
  });
});

describe('alerts use only metrics the exporters export', () => {
  test.each(allRules().map((r) => [r.alert, r.expr]))('%s', (_name, expr) => {
    const names = MetricCatalog.metricNamesIn(expr as string);
    expect(names.length).toBeGreaterThan(0);
    expect(names.filter((n) => !series.has(n))).toEqual([]);
  });

  test('every alert the issue asks for exists', () => {
    expect(allRules().map((r) => r.alert)).toEqual(
      expect.arrayContaining([
        'GpuXidError',
        'GpuXidErrorFatal',
        'GpuRowRemapFailure',
        'GpuMemoryHigh',
        'GpuTemperatureHigh',
        'DcgmExporterMissing',
        'DcgmExporterDown',
        'AcceleratorNodeNotReady',
        'LlmQueueDepthHigh',
        'LlmTtftP95SloBreach',
      ]),
    );
  });

  test('thresholds are configurable', () => {
    const t = resolveAlertThresholds({ queueDepth: 25, gpuMemoryPercent: 95 }).resolved;
    const rules = prometheusRuleGroups(t, { nvidia: true, neuron: false }).flatMap((g) => g.rules);
    expect(rules.find((r: any) => r.alert === 'LlmQueueDepthHigh').expr).toMatch(/> 25$/);
    expect(rules.find((r: any) => r.alert === 'GpuMemoryHigh').expr).toMatch(/> 95$/);
    expect(rules.find((r: any) => r.alert === 'LlmTtftP95SloBreach').expr).toMatch(/> 2$/);
  });

  test('a cluster without NVIDIA pools gets no DCGM rules', () => {
    const names = prometheusRuleGroups(thresholds, { nvidia: false, neuron: true }).map((g) => g.name);
    expect(names).toEqual(['ai-platform.neuron', 'ai-platform.nodes', 'ai-platform.serving']);
  });
});

test('dashboard queries use only catalogued metrics', () => {
  const unknown = allPanelExprs().flatMap((e) =>
    MetricCatalog.metricNamesIn(e)
      .filter((n) => !series.has(n))
      .map((n) => `${n} in ${e}`),
  );
  expect(unknown).toEqual([]);
});

test('the MIG dashboard measures utilisation with profiling fields only', () => {
  const mig = platformDashboards(thresholds, { nvidia: true, mig: true, neuron: false }).find((d) => d.uid === 'ai-platform-gpu-mig')!;
  const exprs = mig.panels.flatMap((p: any) => (p.targets ?? []).map((t: any) => t.expr)).join('\n');
  expect(exprs).toContain(DcgmMetrics.PROF_GR_ENGINE_ACTIVE);
  expect(exprs).not.toContain(DcgmMetrics.GPU_UTIL);
});
