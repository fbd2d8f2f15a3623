import { AcceleratorPoolInfo } from '../../lib/core/cluster';
import { CostMetrics as M } from '../../lib/cost/cost-metrics';
import { COST_NODE_LABELS, COST_POD_LABELS, costRecordingRules, ksmLabel } from '../../lib/observability/cost-rules';
import { gpuCostDashboard } from '../../lib/observability/dashboards/gpu-cost';
import { renderDashboard } from '../../lib/observability/dashboards/grafana';
import { MetricCatalog } from '../../lib/observability/metrics';
import { SERVED_MODEL_LABEL } from '../../lib/rag/discovery';
import { budgetAlertRule } from '../../lib/tenancy/budget';
import { Gpu, GpuNodePool, MigLayout, PoolPricing } from '../../lib';
import { acceleratorPoolInfo } from '../../lib/core/node-pool';
import { Labels, Sample, Tsdb, evaluate, evaluateRules } from './promql';

/** Pools as a cloud describes them: MIG H100 on p5.4xlarge (7 slices), whole L4 on g6.xlarge, a reserved L4 pool. */
function pools(): AcceleratorPoolInfo[] {
  const info = (p: GpuNodePool, type: string, capacity: { name: string; count: number }[]) =>
    acceleratorPoolInfo(p, p.labels, p.taints, capacity, [type]);
  return [
    info(GpuNodePool.inference('llm', { gpu: Gpu.H100_80GB, mig: MigLayout.uniform('1g.10gb'), maxNodes: 4 }), 'p5.4xlarge', [
      { name: 'nvidia.com/gpu', count: 7 },
    ]),
    info(GpuNodePool.inference('small', { gpu: Gpu.L4, maxNodes: 6 }), 'g6.xlarge', [{ name: 'nvidia.com/gpu', count: 1 }]),
    info(
      GpuNodePool.inference('reserved', {
        gpu: Gpu.L4,
        maxNodes: 2,
        pricing: PoolPricing.reserved({ hourlyPricePerNode: 0.5, source: 'RI 1y' }),
      }),
      'g6.xlarge',
      [{ name: 'nvidia.com/gpu', count: 1 }],
    ),
  ];
}

const rules = costRecordingRules({ cloud: 'aws', pools: pools(), dcgm: true });
const series = (name: string, labels: Labels, value = 1): Sample => ({ labels: { __name__: name, ...labels }, value });
const node = (name: string, pool: string, type: string) =>
  series('kube_node_labels', { node: name, [ksmLabel(COST_NODE_LABELS[0])]: pool, [ksmLabel(COST_NODE_LABELS[1])]: type });
const requests = (ns: string, pod: string, nodeName: string, resource: string, value: number) =>
  series(
    'kube_pod_container_resource_requests',
    { namespace: ns, pod, container: 'main', node: nodeName, resource, unit: 'integer' },
    value,
  );
const running = (ns: string, pod: string, phase = 'Running') => series('kube_pod_status_phase', { namespace: ns, pod, phase }, 1);

/** Two llm nodes, one small and one reserved node; team-a runs a served model on 3 slices and a job on 1 L4. */
function cluster(db: Tsdb, t: number, teamA = true): void {
  db.add(t, [
    node('n1', 'llm', 'p5.4xlarge'),
    node('n2', 'llm', 'p5.4xlarge'),
    node('n3', 'small', 'g6.xlarge'),
    node('n4', 'reserved', 'g6.xlarge'),
    series('kube_node_labels', { node: 'system-1' }),
    ...['team-a', 'team-b', 'idle'].map((ns) => series('kube_namespace_status_phase', { namespace: ns, phase: 'Active' })),
    ...(teamA
      ? [
          requests('team-a', 'vllm-0', 'n1', 'nvidia_com_gpu', 3),
          running('team-a', 'vllm-0'),
          series('kube_pod_labels', { namespace: 'team-a', pod: 'vllm-0', [ksmLabel(COST_POD_LABELS[0])]: 'qwen' }),
          requests('team-a', 'job-0', 'n3', 'nvidia_com_gpu', 1),
          requests('team-a', 'job-0', 'n3', 'cpu', 4),
          running('team-a', 'job-0'),
        ]
      : []),
    requests('team-b', 'train-0', 'n4', 'nvidia_com_gpu', 1),
    running('team-b', 'train-0'),
    // Finished pods keep their requests in kube-state-metrics but hold no GPU.
    requests('team-b', 'done-0', 'n2', 'nvidia_com_gpu', 7),
    running('team-b', 'done-0', 'Succeeded'),
    series('DCGM_FI_PROF_GR_ENGINE_ACTIVE', { namespace: 'team-a', pod: 'vllm-0', gpu: '0', GPU_I_ID: '1' }, 0.5),
    series('DCGM_FI_PROF_GR_ENGINE_ACTIVE', { namespace: 'team-a', pod: 'vllm-0', gpu: '0', GPU_I_ID: '2' }, 0.3),
  ]);
}

const valueOf = (db: Tsdb, t: number, expr: string): { [key: string]: number } =>
  Object.fromEntries(
    (evaluate(expr, db, t) as Sample[]).map((s) => [
      Object.entries(s.labels)
        .filter(([k]) => k !== '__name__')
        .sort()
        .map(([k, v]) => `${k}=${v}`)
        .join(','),
      Math.round(s.value * 1e6) / 1e6,
    ]),
  );

describe('cost recording rules on sample series', () => {
  const db = new Tsdb();
  cluster(db, 0);
  evaluateRules(rules, db, 0);

  test('prices: p5.4xlarge list price split over its 7 MIG slices, the reserved pool at its own rate', () => {
    expect(valueOf(db, 0, M.NODE_PRICE)).toEqual({
      'instance_type=g6.xlarge,market=on-demand,pool=small,price_basis=list': 0.8048,
      'instance_type=g6.xlarge,market=reserved,pool=reserved,price_basis=override': 0.5,
      'instance_type=p5.4xlarge,market=on-demand,pool=llm,price_basis=list': 6.88,
    });
    expect(valueOf(db, 0, `${M.UNIT_PRICE}{pool="llm"}`)).toEqual({
      'instance_type=p5.4xlarge,pool=llm,resource=nvidia_com_gpu': 0.982857,
    });
  });

  test('cost per namespace counts running pods only, and idle namespaces record 0', () => {
    expect(valueOf(db, 0, M.NAMESPACE_COST)).toEqual({
      'namespace=team-a': Math.round(((3 * 6.88) / 7 + 0.8048) * 1e6) / 1e6,
      'namespace=team-b': 0.5,
      'namespace=idle': 0,
    });
    expect(valueOf(db, 0, M.NAMESPACE_UNITS)).toEqual({
      'namespace=team-a,pool=llm,resource=nvidia_com_gpu': 3,
      'namespace=team-a,pool=small,resource=nvidia_com_gpu': 1,
      'namespace=team-b,pool=reserved,resource=nvidia_com_gpu': 1,
    });
  });

  test('cost per served model and per pool; node cost includes what no pod requests', () => {
    expect(valueOf(db, 0, M.MODEL_COST)).toEqual({
      'namespace=team-a,pool=llm,served_model=qwen': Math.round(((3 * 6.88) / 7) * 1e6) / 1e6,
    });
    expect(valueOf(db, 0, M.POOL_NODE_COST)).toEqual({ 'pool=llm': 13.76, 'pool=small': 0.8048, 'pool=reserved': 0.5 });
    expect(valueOf(db, 0, M.POOL_ALLOCATED_COST)).toEqual({
      'pool=llm': Math.round(((3 * 6.88) / 7) * 1e6) / 1e6,
      'pool=small': 0.8048,
      'pool=reserved': 0.5,
    });
    expect(valueOf(db, 0, M.NAMESPACE_GPU_ACTIVE)).toEqual({ 'namespace=team-a': 0.4 });
  });

  test('two kube-state-metrics replicas count each pod once', () => {
    const once = new Tsdb();
    cluster(once, 0);
    const twice = new Tsdb();
    for (const instance of ['10.0.0.1:8080', '10.0.0.2:8080'])
      twice.add(
        0,
        once.at(0).map((x) => (x.labels.__name__.startsWith('kube_') ? { ...x, labels: { ...x.labels, instance } } : x)),
      );
    evaluateRules(rules, twice, 0);
    expect(valueOf(twice, 0, M.NAMESPACE_UNITS)).toEqual(valueOf(db, 0, M.NAMESPACE_UNITS));
    expect(valueOf(twice, 0, M.NAMESPACE_COST)).toEqual(valueOf(db, 0, M.NAMESPACE_COST));
    expect(valueOf(twice, 0, M.POOL_ALLOCATED_COST)).toEqual(valueOf(db, 0, M.POOL_ALLOCATED_COST));
  });

  test('GPU activity counts pods holding accelerators, not idle GPUs labelled with the exporter pod', () => {
    const idle = new Tsdb();
    cluster(idle, 0);
    idle.add(0, [
      series('DCGM_FI_PROF_GR_ENGINE_ACTIVE', { namespace: 'gpu-operator', pod: 'nvidia-dcgm-exporter-x', gpu: '0', GPU_I_ID: '3' }, 0),
    ]);
    evaluateRules(rules, idle, 0);
    expect(valueOf(idle, 0, M.NAMESPACE_GPU_ACTIVE)).toEqual({ 'namespace=team-a': 0.4 });
  });

  test('units on a pool without a price are recorded apart, not hidden at $0', () => {
    expect(valueOf(db, 0, M.NAMESPACE_UNPRICED_UNITS)).toEqual({});
    const trn2 = acceleratorPoolInfo(
      GpuNodePool.neuron('trn2', { instanceType: 'trn2.48xlarge', maxNodes: 1 }),
      {},
      [],
      [],
      ['trn2.48xlarge'],
    );
    const withTrn2 = costRecordingRules({ cloud: 'aws', pools: [...pools(), trn2], dcgm: true });
    const mixed = new Tsdb();
    cluster(mixed, 0);
    mixed.add(0, [
      node('n5', 'trn2', 'trn2.48xlarge'),
      requests('team-b', 'neuron-0', 'n5', 'aws_amazon_com_neuroncore', 8),
      running('team-b', 'neuron-0'),
    ]);
    evaluateRules(withTrn2, mixed, 0);
    expect(valueOf(mixed, 0, M.NAMESPACE_UNPRICED_UNITS)).toEqual({ 'namespace=team-b,pool=trn2,resource=aws_amazon_com_neuroncore': 8 });
    expect(valueOf(mixed, 0, M.NAMESPACE_COST)).toEqual(valueOf(db, 0, M.NAMESPACE_COST));
  });

  test('the budget alert fires on the month projected from the 7-day average, idle hours included', () => {
    const budget = new Tsdb();
    const hour = 3600;
    // team-a runs for 2 of 4 sampled hours: its average is half its hourly cost.
    for (const [i, on] of [true, false, true, false].entries()) {
      cluster(budget, i * hour, on);
      evaluateRules(rules, budget, i * hour);
    }
    const hourly = (3 * 6.88) / 7 + 0.8048;
    const projected = (hourly / 2) * 730;
    const fires = (monthlyUsd: number) =>
      (evaluate(budgetAlertRule('team-a', { monthlyUsd, alertAtPercent: 80 }).expr, budget, 3 * hour) as Sample[]).length > 0;
    expect(fires(projected / 0.8 - 1)).toBe(true);
    expect(fires(projected / 0.8 + 1)).toBe(false);
  });
});

describe('cost rules and dashboard', () => {
  const recorded = new Set(rules.map((r) => r.record));

  test('the dashboard queries only recorded series', () => {
    const d = renderDashboard(gpuCostDashboard(true));
    const exprs = d.panels.flatMap((p: any) => (p.targets ?? []).map((t: any) => t.expr));
    expect(exprs.length).toBeGreaterThan(8);
    for (const e of exprs) for (const name of MetricCatalog.metricNamesIn(e)) expect(recorded).toContain(name);
    expect(JSON.stringify(d)).not.toContain('${');
  });

  test('the "Now" stats read 0, not No data, with no node or nothing allocated', () => {
    const d = renderDashboard(gpuCostDashboard(true));
    const now = d.panels.filter((p: any) => p.type === 'stat');
    expect(now.map((p: any) => p.title)).toEqual([
      'Accelerator nodes, per hour',
      'Allocated to pods, per hour',
      'Idle, per hour',
      'Month at this rate',
    ]);
    const stats = (db: Tsdb) => now.map((p: any) => (evaluate(p.targets[0].expr, db, 0) as Sample[]).map((x) => x.value));
    const empty = new Tsdb();
    expect(stats(empty)).toEqual([[0], [0], [0], [0]]);
    // Nodes up, no pod running: everything idle.
    const nodesOnly = new Tsdb();
    nodesOnly.add(0, [node('n3', 'small', 'g6.xlarge')]);
    evaluateRules(rules, nodesOnly, 0);
    expect(stats(nodesOnly)).toEqual([[0.8048], [0], [0.8048], [0.8048 * 730]]);
  });

  test('totals over the range are instant bar gauges without zeros', () => {
    const d = renderDashboard(gpuCostDashboard(true));
    const range = d.panels.filter((p: any) => /over the range/.test(p.title ?? ''));
    expect(range).toHaveLength(2);
    for (const p of range) {
      expect(p.type).toBe('bargauge');
      for (const t of p.targets) {
        expect(t).toMatchObject({ instant: true, range: false });
        expect(t.expr).toMatch(/\[\$__range:1m\]\)\) \/ 60 > 0$/);
      }
    }
  });

  test('the rules read only catalogued exporter series and series they record before', () => {
    const known = new Set(MetricCatalog.seriesNames());
    const before = new Set<string>();
    for (const r of rules) {
      for (const name of MetricCatalog.metricNamesIn(r.expr)) expect(known.has(name) || before.has(name)).toBe(true);
      before.add(r.record);
    }
  });

  test('the joins read the node and pod labels kube-state-metrics is allowed to export', () => {
    const text = rules.map((r) => r.expr).join('\n');
    for (const l of [...COST_NODE_LABELS, ...COST_POD_LABELS]) expect(text).toContain(ksmLabel(l));
    expect(ksmLabel('node.kubernetes.io/instance-type')).toBe('label_node_kubernetes_io_instance_type');
    expect(COST_POD_LABELS).toContain(SERVED_MODEL_LABEL);
  });

  test('a pool without a known price records no price series, and without DCGM no activity', () => {
    const unknown = acceleratorPoolInfo(
      GpuNodePool.neuron('trn2', { instanceType: 'trn2.48xlarge', maxNodes: 1 }),
      {},
      [],
      [],
      ['trn2.48xlarge'],
    );
    const r = costRecordingRules({ cloud: 'aws', pools: [unknown], dcgm: false });
    expect(r.filter((x) => x.record === M.NODE_PRICE)).toEqual([]);
    expect(r.map((x) => x.record)).not.toContain(M.NAMESPACE_GPU_ACTIVE);
  });
});
