import { Token } from 'cdktf';
import type { AcceleratorPoolInfo, IAcceleratorCluster } from '../core/cluster';
import { PlatformLabels } from '../core/node-pool';
import { CostMetrics as M } from '../cost/cost-metrics';
import { nodePrice, unitPrices } from '../cost/pool-cost';
import { AcceleratorKind } from '../gpu/accelerator';
import { ClusterMetrics as K, DcgmMetrics } from './metrics';

/** One recording rule, as a PrometheusRule lists it. */
export interface RecordingRule {
  /** Name of the recorded series. */
  readonly record: string;
  /** PromQL expression. */
  readonly expr: string;
  /**
   * Labels added to the result.
   * @default - none
   */
  readonly labels?: { [key: string]: string };
}

/** Where the cluster runs and what its pools are, to price them. */
export interface CostRulesInput {
  /** 'aws' or 'azure'. */
  readonly cloud: string;
  /**
   * The cluster's region.
   * @default - unknown: the catalog's reference region
   */
  readonly region?: string;
  /** The accelerator pools. */
  readonly pools: AcceleratorPoolInfo[];
  /** DCGM metrics are scraped (utilisation per namespace). */
  readonly dcgm: boolean;
}

/**
 * Node labels kube-state-metrics must export for the rules to join pods to pools and instance types
 * (`metricLabelsAllowlist` of the chart); the pool label is the library's, the instance type the kubelet's.
 */
export const COST_NODE_LABELS = [PlatformLabels.POOL, 'node.kubernetes.io/instance-type'];
/**
 * Pod labels kube-state-metrics must export to price served models. The key is `SERVED_MODEL_LABEL` of
 * lib/rag/discovery.ts, written out: lib/rag imports lib/observability (scrape labels), so importing it back
 * would make the two folders a cycle; a test holds the two equal.
 */
export const COST_POD_LABELS = ['ai-platform.dev/served-model'];

/** A label key as kube-state-metrics writes it in `kube_*_labels`: `label_` and the key with every other character as '_'. */
export function ksmLabel(key: string): string {
  return `label_${key.replace(/[^a-zA-Z0-9_]/g, '_')}`;
}

/** An extended resource name as kube-state-metrics writes it in `resource` (nvidia.com/gpu -> nvidia_com_gpu). */
export function ksmResource(name: string): string {
  return name.replace(/[^a-zA-Z0-9_]/g, '_');
}

/**
 * The accelerator resources a pod may request, as kube-state-metrics spells them. The Neuron device plugin
 * is configured (lib/aws/neuron.ts) for `aws.amazon.com/neuron` and `neuroncore`, the resources pools,
 * quotas and unit prices use; `neurondevice` has no unit price, so it is not counted here.
 */
const ACCELERATORS = 'nvidia_com_gpu|nvidia_com_mig_.+|aws_amazon_com_neuron|aws_amazon_com_neuroncore';

/**
 * Recording rules that price accelerator allocation: constant price series per pool and instance type
 * (from the catalog or the pool's own pricing), pods' accelerator requests joined to their node's pool and
 * instance type, and their sums per namespace, pool and served model; plus the pools' node cost, and GPU
 * activity per namespace from DCGM. A pool whose price is unknown records no price, so its pods cost nothing
 * here: the platform report names it, and its units are recorded apart (NAMESPACE_UNPRICED_UNITS).
 */
export function costRecordingRules(i: CostRulesInput): RecordingRule[] {
  const rules: RecordingRule[] = [];
  for (const pool of [...i.pools].sort((a, b) => a.name.localeCompare(b.name))) {
    for (const type of pool.instanceTypes ?? []) {
      const price = nodePrice(i.cloud, i.region, type, pool);
      if (price.hourly === undefined) continue;
      const labels = { pool: pool.name, instance_type: type };
      rules.push({
        record: M.NODE_PRICE,
        expr: `vector(${price.hourly})`,
        labels: { ...labels, market: pool.market ?? 'unknown', price_basis: price.basis },
      });
      const units = unitPrices(pool, price.hourly);
      for (const res of Object.keys(units).sort()) {
        rules.push({ record: M.UNIT_PRICE, expr: `vector(${units[res]})`, labels: { ...labels, resource: ksmResource(res) } });
      }
    }
  }
  const [poolKey, typeKey] = COST_NODE_LABELS.map(ksmLabel);
  const nodePools =
    `max by (node, pool, instance_type) (label_replace(label_replace(${K.NODE_LABELS}{${poolKey}!=""}, ` +
    `"pool", "$1", "${poolKey}", "(.+)"), "instance_type", "$1", "${typeKey}", "(.+)"))`;
  const modelKey = ksmLabel(COST_POD_LABELS[0]);
  const podModels = `max by (namespace, pod, served_model) (label_replace(${K.POD_LABELS}{${modelKey}!=""}, "served_model", "$1", "${modelKey}", "(.+)"))`;
  rules.push(
    {
      record: M.POD_UNITS,
      expr:
        // max over `instance` first: kube-state-metrics run with 2 replicas (or scraped twice) would double the sum.
        `sum by (namespace, pod, node, resource) (max by (namespace, pod, container, node, resource) ` +
        `(${K.POD_CONTAINER_RESOURCE_REQUESTS}{resource=~"${ACCELERATORS}"}) ` +
        `and on (namespace, pod) (${K.POD_STATUS_PHASE}{phase="Running"} > 0)) * on (node) group_left (pool, instance_type) ${nodePools}`,
    },
    { record: M.POD_COST, expr: `${M.POD_UNITS} * on (pool, instance_type, resource) group_left () ${M.UNIT_PRICE}` },
    { record: M.NAMESPACE_UNITS, expr: `sum by (namespace, pool, resource) (${M.POD_UNITS})` },
    { record: M.NAMESPACE_POOL_COST, expr: `sum by (namespace, pool) (${M.POD_COST})` },
    {
      // 0 rather than no series while a namespace holds no accelerator, so averages over time (budgets) count those hours.
      record: M.NAMESPACE_COST,
      expr: `sum by (namespace) (${M.POD_COST}) or max by (namespace) (0 * ${K.NAMESPACE_STATUS_PHASE}{phase="Active"})`,
    },
    {
      record: M.MODEL_COST,
      expr: `sum by (namespace, served_model, pool) (${M.POD_COST} * on (namespace, pod) group_left (served_model) ${podModels})`,
    },
    { record: M.POOL_ALLOCATED_COST, expr: `sum by (pool) (${M.POD_COST})` },
    {
      // What POD_COST leaves out: units on a pool or instance type without a price, so dashboards can say so.
      record: M.NAMESPACE_UNPRICED_UNITS,
      expr: `sum by (namespace, pool, resource) (${M.POD_UNITS} unless on (pool, instance_type, resource) ${M.UNIT_PRICE})`,
    },
    {
      record: M.POOL_NODE_COST,
      expr: `sum by (pool) (count by (pool, instance_type) (${nodePools}) * on (pool, instance_type) ${M.NODE_PRICE})`,
    },
  );
  if (i.dcgm && i.pools.some((p) => p.accelerator === AcceleratorKind.NVIDIA_GPU)) {
    // Graphics-engine activity is reported per GPU and per MIG instance (GPU_UTIL is not, on MIG). The
    // exporters' `namespace`/`pod` name the pod holding the GPU, kept by honorLabels; a GPU no pod holds gets
    // the exporter pod's own, so only series of pods that request accelerators count.
    rules.push({
      record: M.NAMESPACE_GPU_ACTIVE,
      expr: `avg by (namespace) (${DcgmMetrics.PROF_GR_ENGINE_ACTIVE} and on (namespace, pod) ${M.POD_UNITS})`,
    });
  }
  return rules;
}

/** The cost rules of a cluster as one PrometheusRule group (none without accelerator pools). */
export function costRuleGroups(cluster: IAcceleratorCluster, dcgm: boolean): { [key: string]: any }[] {
  if (cluster.acceleratorPools.length === 0) return [];
  const rules = costRecordingRules({
    cloud: cluster.cloudProvider,
    region: Token.isUnresolved(cluster.region) ? undefined : cluster.region,
    pools: cluster.acceleratorPools,
    dcgm,
  });
  return [
    { name: 'ai-platform.cost', rules: rules.map((r) => ({ record: r.record, expr: r.expr, ...(r.labels ? { labels: r.labels } : {}) })) },
  ];
}
