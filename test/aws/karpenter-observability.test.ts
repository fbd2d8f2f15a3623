import * as YAML from 'yaml';
import {
  CapacityReservation,
  Cloud,
  EndpointAccess,
  Gpu,
  GpuInferenceCluster,
  GpuNodePool,
  GpuProvisioner,
  MigLayout,
  ObservabilityStack,
} from '../../lib';
import { PoolMarket } from '../../lib/core/pool-pricing';
import { CostMetrics as M } from '../../lib/cost/cost-metrics';
import { ksmLabel } from '../../lib/observability/cost-rules';
import { awsStack, resourceNamed, resources, synthJson } from '../helpers';
import { Labels, Sample, Tsdb, evaluate, evaluateRules } from '../observability/promql';

/**
 * The seam between Karpenter-provisioned pools and ObservabilityStack: what the cost rules, alerts and
 * dashboards key on (a node's pool, instance type, capacity type) must be labels a node Karpenter launches
 * carries, exported by kube-state-metrics. Managed node groups carry `eks.amazonaws.com/nodegroup` and
 * `eks.amazonaws.com/capacityType`; Karpenter nodes do not, so nothing may key on those.
 */

/** What Karpenter itself writes on every node it launches (besides the NodePool's template labels). */
const KARPENTER_NODE_LABELS = [
  'karpenter.sh/nodepool',
  'karpenter.sh/capacity-type',
  'node.kubernetes.io/instance-type',
  'topology.kubernetes.io/zone',
  'kubernetes.io/arch',
  'kubernetes.io/os',
];
/** The values Karpenter writes in `karpenter.sh/capacity-type`. */
const KARPENTER_CAPACITY_TYPES = ['spot', 'on-demand', 'reserved'];

/** The karpenter-gpu example's pools (MIG, time-sliced, spot training, Neuron) and a Capacity Block pool. */
function karpenterPlatform(): any {
  const stack = awsStack();
  const cluster = new GpuInferenceCluster(stack, 'Gpu', {
    cloud: Cloud.aws({
      endpointAccess: EndpointAccess.publicAndPrivate(['203.0.113.0/24']),
      gpuProvisioner: GpuProvisioner.karpenter({ spotFallbackToOnDemand: true }),
    }),
    clusterName: 'ai-karpenter',
    nodePools: [
      GpuNodePool.inference('llm', { gpu: Gpu.H100_80GB, mig: MigLayout.uniform('1g.10gb'), maxNodes: 4 }),
      GpuNodePool.inference('small', { gpu: Gpu.L4, timeSlicing: 4, maxNodes: 6 }),
      GpuNodePool.training('train', { gpu: Gpu.A100_80GB, spot: true, maxNodes: 8 }),
      GpuNodePool.neuron('inf2', { instanceType: 'inf2.8xlarge', maxNodes: 2 }),
      GpuNodePool.training('block', {
        gpu: Gpu.H100_80GB,
        instanceTypes: ['p5.48xlarge'],
        maxNodes: 2,
        capacityReservation: CapacityReservation.ec2CapacityBlock('cr-0123456789abcdef1'),
      }),
    ],
  });
  new ObservabilityStack(stack, 'Obs', { cluster });
  return synthJson(stack);
}

/** The NodePools Karpenter is given, by name. */
function nodePoolsOf(synthesized: any): { [name: string]: any } {
  return Object.fromEntries(
    (YAML.parse(resourceNamed(synthesized, 'helm_release', 'Karpenter_NodePools').values[0]).manifests as any[])
      .filter((m) => m.kind === 'NodePool')
      .map((m) => [m.metadata.name, m.spec]),
  );
}

const doc = karpenterPlatform();
const nodePools = nodePoolsOf(doc);
const requirement = (pool: any, key: string): string[] => pool.template.spec.requirements.find((r: any) => r.key === key).values;

/** Every label key a node launched for `pool` carries: the template's and Karpenter's own. */
const nodeLabelKeys = (pool: any): string[] => [...Object.keys(pool.template.metadata.labels), ...KARPENTER_NODE_LABELS];

const kps = YAML.parse(resourceNamed(doc, 'helm_release', 'KubePrometheusStack').values[0]);
const ruleGroups: any[] = kps.additionalPrometheusRulesMap['ai-platform'].groups;
const rules: any[] = ruleGroups.flatMap((g) => g.rules);
/** PromQL of every recording rule, alert and dashboard panel the stack ships. */
const dashboardExprs: string[] = Object.values(resources(doc, 'kubernetes_config_map_v1'))
  .filter((c: any) => c.metadata.labels?.grafana_dashboard === '1')
  .flatMap((c: any) => Object.values(c.data as { [file: string]: string }))
  .flatMap((json) => [...json.matchAll(/"expr":\s*"((?:[^"\\]|\\.)*)"/g)].map((m) => JSON.parse(`"${m[1]}"`)));
const allExprs: string[] = [...rules.map((r) => r.expr), ...dashboardExprs];

/** kube-state-metrics' `metricLabelsAllowlist` for one kind ('nodes', 'pods'), as label keys. */
function allowList(kind: string): string[] {
  const entry: string = kps['kube-state-metrics'].metricLabelsAllowlist.find((e: string) => e.startsWith(`${kind}=[`));
  return entry.slice(kind.length + 2, -1).split(',');
}

/** The top-level, comma-separated arguments of the call whose '(' is at `open`. */
function callArgs(expr: string, open: number): string[] {
  const args: string[] = [];
  let depth = 0;
  let start = open + 1;
  for (let i = open; i < expr.length; i++) {
    const c = expr[i];
    if (c === '(' || c === '{') depth++;
    else if (c === ')' || c === '}') depth--;
    if ((c === ',' && depth === 1) || depth === 0) {
      args.push(expr.slice(start, i).trim());
      start = i + 1;
    }
    if (depth === 0) return args;
  }
  throw new Error(`unbalanced call in ${expr}`);
}

/**
 * The kube-state-metrics label names (`label_<sanitised key>`) an expression reads from `metric`: in its
 * selectors' matchers, and as the source label of a `label_replace` over it.
 */
function labelsRead(expr: string, metric: string): string[] {
  const out: string[] = [];
  for (const m of expr.matchAll(new RegExp(`${metric}\\{([^}]*)\\}`, 'g'))) {
    for (const l of m[1].matchAll(/(label_\w+)\s*(?:=~|!~|!=|=)/g)) out.push(l[1]);
  }
  for (const m of expr.matchAll(/label_replace\(/g)) {
    const args = callArgs(expr, m.index! + m[0].length - 1);
    if (args[0].includes(metric)) out.push(JSON.parse(args[3]));
  }
  return out;
}

const nodeLabelsRead = [...new Set(allExprs.flatMap((e) => labelsRead(e, 'kube_node_labels')))].sort();

describe('Karpenter pools under ObservabilityStack', () => {
  test('the setup has what it claims: five NodePools, cost rules, GPU health alerts, the GPU cost dashboard', () => {
    expect(Object.keys(nodePools).sort()).toEqual(['block', 'inf2', 'llm', 'small', 'train']);
    expect(ruleGroups.map((g) => g.name)).toEqual(expect.arrayContaining(['ai-platform.cost', 'ai-platform.gpu']));
    expect(dashboardExprs.some((e) => e.includes(M.POOL_NODE_COST))).toBe(true);
    // Pool and instance type are read from nodes; a change that drops the reads would make the rest vacuous.
    expect(nodeLabelsRead).toEqual([ksmLabel('ai-platform.dev/pool'), ksmLabel('node.kubernetes.io/instance-type')]);
  });

  // Protects: cost per pool/namespace and the pool named in GPU health alerts. A label only managed node
  // groups carry (eks.amazonaws.com/nodegroup) would leave every Karpenter node out of the join.
  test.each(['block', 'inf2', 'llm', 'small', 'train'])('%s: every node label the queries read is on its Karpenter nodes', (name) => {
    const carried = nodeLabelKeys(nodePools[name]).map(ksmLabel);
    expect(nodeLabelsRead.filter((l) => !carried.includes(l))).toEqual([]);
  });

  test('no query keys on a managed-node-group label', () => {
    for (const e of allExprs) expect(e).not.toMatch(/eks_amazonaws_com|eks\.amazonaws\.com/);
  });

  // Protects: kube_node_labels carries only allow-listed labels; a read of any other is always empty.
  test('kube-state-metrics exports every node label the queries read', () => {
    const exported = allowList('nodes').map(ksmLabel);
    expect(nodeLabelsRead.filter((l) => !exported.includes(l))).toEqual([]);
  });

  // Protects: neuron-monitor (like the standalone DCGM exporter, not installed here: the GPU operator's is
  // scraped) selects pools by their labels; a key only the managed node group sets would leave Karpenter
  // nodes unscraped.
  test('neuron-monitor selects Neuron nodes by labels their NodePool sets', () => {
    const ds: any = resourceNamed(doc, 'kubernetes_daemon_set_v1', 'NeuronMonitor');
    const terms: any[] =
      ds.spec.template.spec.affinity.node_affinity.required_during_scheduling_ignored_during_execution.node_selector_term;
    expect(terms).toHaveLength(1);
    const labels = nodePools.inf2.template.metadata.labels;
    for (const m of terms[0].match_expressions) expect([m.key, labels[m.key]]).toEqual([m.key, m.values[0]]);
  });

  // Protects: the price series name the capacity types in Karpenter's own words, and each pool is priced
  // at a capacity type its NodePool may launch. No query reads a node's capacity type (the market is the
  // pool's), so a spot pool's on-demand fallback nodes (spotFallbackToOnDemand) are priced as the spot pool.
  test('capacity types: markets priced and pool labels are values Karpenter writes, and ones the pool launches', () => {
    expect(Object.values(PoolMarket).filter((m) => !KARPENTER_CAPACITY_TYPES.includes(m))).toEqual([]);
    const prices = rules.filter((r) => r.record === M.NODE_PRICE);
    for (const [name, pool] of Object.entries(nodePools)) {
      const launches = requirement(pool, 'karpenter.sh/capacity-type');
      expect(launches.filter((t) => !KARPENTER_CAPACITY_TYPES.includes(t))).toEqual([]);
      expect([name, launches]).toEqual([name, expect.arrayContaining([pool.template.metadata.labels['ai-platform.dev/capacity']])]);
      for (const p of prices.filter((r) => r.labels.pool === name)) {
        expect([name, launches]).toEqual([name, expect.arrayContaining([p.labels.market])]);
      }
    }
    const market = (pool: string) => [...new Set(prices.filter((r) => r.labels.pool === pool).map((r) => r.labels.market))];
    expect([market('train'), market('llm'), market('block')]).toEqual([['spot'], ['on-demand'], ['reserved']]);
  });

  // Protects: a node is priced only when a price series has its pool and instance type.
  test.each(['block', 'inf2', 'llm', 'small', 'train'])('%s: every instance type the NodePool may launch is priced', (name) => {
    const priced = rules.filter((r) => r.record === M.NODE_PRICE && r.labels.pool === name).map((r) => r.labels.instance_type);
    expect(priced.sort()).toEqual([...requirement(nodePools[name], 'node.kubernetes.io/instance-type')].sort());
  });

  // The same seam end to end: one node per pool as kube-state-metrics exports a Karpenter node (its labels,
  // filtered by the allow-list), a pod on each, and the synthesized cost rules evaluated over them.
  test('cost rules price Karpenter nodes as kube-state-metrics exports them', () => {
    const exported = allowList('nodes');
    const db = new Tsdb();
    const samples: Sample[] = [];
    for (const [name, pool] of Object.entries(nodePools)) {
      const type = requirement(pool, 'node.kubernetes.io/instance-type')[0];
      const karpenter: Labels = {
        'karpenter.sh/nodepool': name,
        'karpenter.sh/capacity-type': requirement(pool, 'karpenter.sh/capacity-type')[0],
        'node.kubernetes.io/instance-type': type,
        'topology.kubernetes.io/zone': 'us-east-1a',
      };
      const labels: Labels = { node: `ip-10-0-0-${samples.length}.ec2.internal` };
      for (const [k, v] of Object.entries({ ...pool.template.metadata.labels, ...karpenter }))
        if (exported.includes(k)) labels[ksmLabel(k)] = v as string;
      samples.push({ labels: { __name__: 'kube_node_labels', ...labels }, value: 1 });
      const pod = { namespace: 'team', pod: `w-${name}`, node: labels.node };
      const resource = name === 'inf2' ? 'aws_amazon_com_neuron' : 'nvidia_com_gpu';
      samples.push(
        { labels: { __name__: 'kube_pod_container_resource_requests', ...pod, container: 'main', resource, unit: 'integer' }, value: 1 },
        { labels: { __name__: 'kube_pod_status_phase', namespace: pod.namespace, pod: pod.pod, phase: 'Running' }, value: 1 },
      );
    }
    db.add(0, samples);
    evaluateRules(
      rules.filter((r) => r.record),
      db,
      0,
    );
    const byPool = (metric: string) =>
      Object.fromEntries((evaluate(metric, db, 0) as Sample[]).map((s) => [`${s.labels.pool}/${s.labels.instance_type ?? ''}`, s.value]));
    const units = byPool(M.POD_UNITS);
    expect(Object.keys(units).sort()).toEqual(
      Object.entries(nodePools)
        .map(([n, p]) => `${n}/${requirement(p, 'node.kubernetes.io/instance-type')[0]}`)
        .sort(),
    );
    const nodeCost = Object.keys(byPool(M.POOL_NODE_COST)).map((k) => k.split('/')[0]);
    expect(nodeCost.sort()).toEqual(['block', 'inf2', 'llm', 'small', 'train']);
  });

  // Protects: without the GPU operator the standalone DCGM exporter runs only where a term of its node
  // affinity matches; each term must match a NodePool's template labels, or Karpenter GPU nodes go unscraped
  // (no GPU dashboards, DcgmExporterMissing firing).
  test('the standalone DCGM exporter selects each NVIDIA pool by labels its NodePool sets', () => {
    const stack = awsStack();
    const cluster = new GpuInferenceCluster(stack, 'Gpu', {
      cloud: Cloud.aws({ endpointAccess: EndpointAccess.publicAndPrivate(['203.0.113.0/24']), gpuProvisioner: GpuProvisioner.karpenter() }),
      clusterName: 'ai-karpenter',
      installGpuOperator: false,
      nodePools: [
        GpuNodePool.inference('whole', { gpu: Gpu.L40S, maxNodes: 3 }),
        GpuNodePool.training('train', { gpu: Gpu.A100_80GB, spot: true, maxNodes: 8 }),
      ],
    });
    new ObservabilityStack(stack, 'Obs', { cluster });
    const synthesized = synthJson(stack);
    const pools = nodePoolsOf(synthesized);
    const values = YAML.parse(resourceNamed(synthesized, 'helm_release', 'DcgmExporter').values[0]);
    const terms: any[] = values.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms;
    const matched = terms.map((t) =>
      Object.keys(pools).filter((name) =>
        t.matchExpressions.every((m: any) => m.operator === 'In' && m.values.includes(pools[name].template.metadata.labels[m.key])),
      ),
    );
    expect(matched.flat().sort()).toEqual(['train', 'whole']);
  });
});
