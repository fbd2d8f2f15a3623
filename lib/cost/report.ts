import { Token } from 'cdktf';
import type { AcceleratorPoolInfo } from '../core/cluster';
import { PlatformLabels } from '../core/node-pool';
import { HOURS_PER_MONTH } from './price-catalog';
import { NodePrice, nodePrice, poolCapacity, preferredInstanceType, round, unitPrices } from './pool-cost';

/** Written where a number is not known at synth (a token, a price outside the catalog). */
export const UNKNOWN = 'unknown';

/** A cluster as the report sees it. */
export interface ReportedCluster {
  /** Construct path inside its stack. */
  readonly path: string;
  /** Cluster name, or the path when the name is a token. */
  readonly name: string;
  /** 'aws' or 'azure'. */
  readonly cloud: string;
  /**
   * Region or location.
   * @default - unknown (a token)
   */
  readonly region?: string;
  /** The accelerator pools. */
  readonly pools: AcceleratorPoolInfo[];
}

/** A served model as the report sees it (from a RagStack's serving plan). */
export interface ReportedModel {
  /** Path of the construct serving it, inside its stack. */
  readonly servedBy: string;
  /** Namespace of the model server. */
  readonly namespace: string;
  /** Name in the API. */
  readonly servedName: string;
  /** Hugging Face repository. */
  readonly repository: string;
  /** generate, embed or score. */
  readonly task: string;
  /** The pool. */
  readonly pool: string;
  /** Extended resource a replica requests. */
  readonly resourceName: string;
  /** Units per replica. */
  readonly resourceCount: number;
  /** Tensor-parallel size. */
  readonly tensorParallelSize: number;
  /** Weights at the served precision, GiB. */
  readonly weightsGib: number;
  /** vLLM --gpu-memory-utilization. */
  readonly gpuMemoryUtilization: number;
  /** vLLM --max-model-len. */
  readonly maxModelLen: number;
  /** vLLM --max-num-seqs. */
  readonly maxNumSeqs: number;
  /** Fewest replicas. */
  readonly minReplicas: number;
  /** Most replicas. */
  readonly maxReplicas: number;
  /** The planner's one-line memory plan. */
  readonly explanation: string;
}

/** A tenant's nominal quota on one pool resource. */
export interface ReportedQuota {
  /** The pool. */
  readonly pool: string;
  /** The extended resource. */
  readonly resource: string;
  /** Units guaranteed. */
  readonly units: number;
}

/** A tenant as the report sees it. */
export interface ReportedTenant {
  /** Tenant name. */
  readonly name: string;
  /** Its namespace. */
  readonly namespace: string;
  /** Its accelerator quotas. */
  readonly quotas: ReportedQuota[];
  /**
   * Monthly GPU budget, USD.
   * @default - none
   */
  readonly monthlyBudget?: number;
}

const known = (n: number | undefined): n is number => n !== undefined && !Token.isUnresolved(n);
const mul = (a: number | undefined, b: number | undefined): number | string => (known(a) && known(b) ? round(a * b) : UNKNOWN);
const price = (p: NodePrice, nodes: number | undefined): number | string => (p.hourly === undefined ? UNKNOWN : mul(p.hourly, nodes));

/** The report of one pool. */
function poolReport(cluster: ReportedCluster, pool: AcceleratorPoolInfo): { [key: string]: any } {
  const cap = poolCapacity(pool);
  const type = preferredInstanceType(pool);
  const p = nodePrice(cluster.cloud, cluster.region, type, pool);
  // The ceiling at maxNodes: the dearest priced type the pool may get, not the one it prefers.
  const dearest = (pool.instanceTypes ?? [])
    .map((t) => ({ type: t, price: nodePrice(cluster.cloud, cluster.region, t, pool) }))
    .filter((x) => x.price.hourly !== undefined)
    .reduce<{ type: string; price: NodePrice } | undefined>((a, b) => (a && a.price.hourly! >= b.price.hourly! ? a : b), undefined);
  const ceiling = dearest && p.hourly !== undefined && dearest.price.hourly! > p.hourly ? dearest : undefined;
  const top = ceiling?.price ?? p;
  const min = pool.minNodes;
  const atMax: { [key: string]: any } = {};
  for (const [name, count] of Object.entries(cap.resourcesPerNode)) atMax[name] = mul(count, pool.maxNodes);
  return {
    instanceType: type ?? UNKNOWN,
    ...(pool.instanceTypes && pool.instanceTypes.length > 1 ? { alternativeInstanceTypes: pool.instanceTypes.slice(1) } : {}),
    gpu: pool.gpu?.name ?? UNKNOWN,
    accelerator: pool.accelerator,
    role: pool.labels[PlatformLabels.ROLE] ?? UNKNOWN,
    market: pool.market ?? UNKNOWN,
    nodes: { min: known(min) ? min : UNKNOWN, max: known(pool.maxNodes) ? pool.maxNodes : UNKNOWN },
    perNode: {
      accelerators: cap.acceleratorsPerNode ?? UNKNOWN,
      migSlices: cap.migSlicesPerNode,
      timeSlicedShares: cap.timeSlicedSharesPerNode,
      neuronCores: cap.neuronCoresPerNode,
      resources: cap.resourcesPerNode,
    },
    atMaxNodes: {
      accelerators: mul(cap.acceleratorsPerNode, pool.maxNodes),
      migSlices: mul(cap.migSlicesPerNode, pool.maxNodes),
      timeSlicedShares: mul(cap.timeSlicedSharesPerNode, pool.maxNodes),
      neuronCores: mul(cap.neuronCoresPerNode, pool.maxNodes),
      resources: atMax,
    },
    price: {
      basis: p.basis,
      perNodeHourly: p.hourly ?? UNKNOWN,
      atMinHourly: price(p, min),
      atMaxHourly: price(top, pool.maxNodes),
      atMaxMonthly: top.hourly === undefined ? UNKNOWN : mul(top.hourly * HOURS_PER_MONTH, pool.maxNodes),
      ...(ceiling ? { atMaxInstanceType: ceiling.type, atMaxPerNodeHourly: ceiling.price.hourly } : {}),
      ...(p.source ? { source: p.source } : {}),
      ...(p.asOf ? { asOf: p.asOf } : {}),
      ...(p.region ? { region: p.region } : {}),
      ...(p.note ? { note: p.note } : {}),
      perUnitHourly: p.hourly === undefined ? {} : unitPrices(pool, p.hourly),
    },
  };
}

/** Sum of the known numbers, and how many were unknown. */
function total(values: Array<number | string>): { [key: string]: number } {
  const nums = values.filter((v): v is number => typeof v === 'number');
  return { known: round(nums.reduce((a, b) => a + b, 0)), unknownItems: values.length - nums.length };
}

/** The whole report of one stack, as plain JSON (keys sorted on writing). */
export function buildPlatformReport(
  stackName: string,
  clusters: ReportedCluster[],
  models: OnCluster<ReportedModel>[],
  tenants: OnCluster<ReportedTenant>[],
): any {
  const clustersOut: { [path: string]: any } = {};
  const allPools: any[] = [];
  for (const c of [...clusters].sort((a, b) => a.path.localeCompare(b.path))) {
    const pools: { [name: string]: any } = {};
    for (const pool of [...c.pools].sort((a, b) => a.name.localeCompare(b.name))) {
      pools[pool.name] = poolReport(c, pool);
      allPools.push(pools[pool.name]);
    }
    const capacity: { [resource: string]: any } = {};
    for (const pool of c.pools) {
      for (const [res, n] of Object.entries(pools[pool.name].atMaxNodes.resources as { [k: string]: number | string })) {
        const prev = capacity[res];
        capacity[res] = prev === undefined ? n : typeof prev === 'number' && typeof n === 'number' ? prev + n : UNKNOWN;
      }
    }
    clustersOut[c.path] = {
      name: c.name,
      cloud: c.cloud,
      region: c.region ?? UNKNOWN,
      pools,
      servedModels: models
        .filter((m) => m.cluster === c.path && c.pools.some((p) => p.name === m.entry.pool))
        .map((m) => m.entry)
        .sort((a, b) => `${a.namespace}/${a.servedName}`.localeCompare(`${b.namespace}/${b.servedName}`))
        .map((m) => modelReport(m, c)),
      tenants: quotaReport(
        pools,
        tenants.filter((t) => t.cluster === c.path).map((t) => t.entry),
      ),
    };
  }
  return {
    reportVersion: 1,
    stack: stackName,
    currency: 'USD',
    hoursPerMonth: HOURS_PER_MONTH,
    clusters: clustersOut,
    totals: {
      accelerators: total(allPools.map((p) => p.atMaxNodes.accelerators)),
      hourlyAtMin: total(allPools.map((p) => p.price.atMinHourly)),
      hourlyAtMax: total(allPools.map((p) => p.price.atMaxHourly)),
      monthlyAtMax: total(allPools.map((p) => p.price.atMaxMonthly)),
    },
  };
}

/** A model or tenant with the path of the cluster it was registered with. */
export interface OnCluster<T> {
  /** Path of the cluster inside the stack. */
  readonly cluster: string;
  /** The entry. */
  readonly entry: T;
}

function modelReport(m: ReportedModel, c: ReportedCluster): { [key: string]: any } {
  const pool = c.pools.find((p) => p.name === m.pool)!;
  const p = nodePrice(c.cloud, c.region, preferredInstanceType(pool), pool);
  const unit = p.hourly === undefined ? undefined : unitPrices(pool, p.hourly)[m.resourceName];
  return {
    servedName: m.servedName,
    namespace: m.namespace,
    servedBy: m.servedBy,
    repository: m.repository,
    task: m.task,
    pool: m.pool,
    resource: m.resourceName,
    unitsPerReplica: m.resourceCount,
    tensorParallelSize: m.tensorParallelSize,
    memoryPlan: {
      weightsGib: m.weightsGib,
      gpuMemoryUtilization: m.gpuMemoryUtilization,
      maxModelLen: m.maxModelLen,
      maxNumSeqs: m.maxNumSeqs,
      explanation: m.explanation,
    },
    replicas: { min: m.minReplicas, max: m.maxReplicas },
    unitsAtMaxReplicas: mul(m.resourceCount, m.maxReplicas),
    hourlyAtMinReplicas: unit === undefined ? UNKNOWN : mul(unit * m.resourceCount, m.minReplicas),
    hourlyAtMaxReplicas: unit === undefined ? UNKNOWN : mul(unit * m.resourceCount, m.maxReplicas),
  };
}

function quotaReport(pools: { [name: string]: any }, tenants: ReportedTenant[]): { [key: string]: any } {
  const byResource: { [key: string]: { quota: number; capacity: number | string } } = {};
  const out: { [name: string]: any } = {};
  for (const t of [...tenants].sort((a, b) => a.name.localeCompare(b.name))) {
    out[t.name] = {
      namespace: t.namespace,
      quotas: [...t.quotas]
        .sort((a, b) => `${a.pool}/${a.resource}`.localeCompare(`${b.pool}/${b.resource}`))
        .map((q) => ({ pool: q.pool, resource: q.resource, units: q.units })),
      ...(t.monthlyBudget !== undefined ? { monthlyBudget: t.monthlyBudget } : {}),
    };
    for (const q of t.quotas) {
      const key = `${q.pool}/${q.resource}`;
      const capacity = pools[q.pool]?.atMaxNodes.resources[q.resource] ?? 0;
      byResource[key] = { quota: (byResource[key]?.quota ?? 0) + q.units, capacity };
    }
  }
  const fit: { [key: string]: any } = {};
  for (const [key, v] of Object.entries(byResource).sort(([a], [b]) => a.localeCompare(b))) {
    fit[key] = {
      nominalQuota: v.quota,
      capacityAtMaxNodes: v.capacity,
      fits: typeof v.capacity === 'number' ? v.quota <= v.capacity : UNKNOWN,
    };
  }
  return tenants.length === 0 ? {} : { byTenant: out, quotaVsCapacity: fit };
}

/** JSON with every object's keys sorted, two-space indented, newline-terminated. */
export function stableJson(value: any): string {
  const sort = (v: any): any =>
    Array.isArray(v)
      ? v.map(sort)
      : v !== null && typeof v === 'object'
        ? Object.fromEntries(
            Object.keys(v)
              .sort()
              .map((k) => [k, sort(v[k])]),
          )
        : v;
  return `${JSON.stringify(sort(value), null, 2)}\n`;
}
