import { Token } from 'cdktf';
import type { AcceleratorPoolInfo } from '../core/cluster';
import { PlatformLabels } from '../core/node-pool';
import { PoolMarket } from '../core/pool-pricing';
import { AcceleratorKind } from '../gpu/accelerator';
import { PriceCatalog } from './price-catalog';

/** How a pool's node price was found. */
export enum PriceBasis {
  /** The catalog's on-demand list price. */
  LIST = 'list',
  /**
   * A pool on reserved capacity without its own price: the on-demand list price stands in for the rate
   * paid, which the reservation's terms decide (and which is due whether nodes run or not).
   */
  RESERVED_AT_LIST = 'reserved-at-list',
  /** The pool's own price (negotiated or reserved). */
  OVERRIDE = 'override',
  /** The on-demand list price less the pool's expected spot discount. */
  SPOT_ESTIMATE = 'spot-estimate',
  /** Spot without an expected discount: the price varies, the on-demand list price is its ceiling. */
  SPOT_VARIES = 'spot-varies',
  /** Neither the catalog nor the pool knows the price. */
  UNKNOWN = 'unknown',
}

/** The price of one node of a pool, and where it comes from. */
export interface NodePrice {
  /** How it was found. */
  readonly basis: PriceBasis;
  /**
   * Price of one node-hour to count with: the price, the spot estimate, or the on-demand ceiling.
   * @default - unknown
   */
  readonly hourly?: number;
  /**
   * Where the price comes from.
   * @default - unknown
   */
  readonly source?: string;
  /**
   * When the source was read.
   * @default - unknown (a pool's own price)
   */
  readonly asOf?: string;
  /**
   * The region of a list price.
   * @default - none (a pool's own price)
   */
  readonly region?: string;
  /**
   * A remark (region fallback, ceiling).
   * @default - none
   */
  readonly note?: string;
}

/** What one node and the whole pool at its limits hold. */
export interface PoolCapacity {
  /**
   * Physical accelerators (GPUs, Neuron devices) on one node.
   * @default - unknown
   */
  readonly acceleratorsPerNode?: number;
  /** Extended resources one node advertises, by name. */
  readonly resourcesPerNode: { [name: string]: number };
  /** MIG instances on one node (all profiles). */
  readonly migSlicesPerNode: number;
  /** Time-sliced shares on one node (0 without time-slicing). */
  readonly timeSlicedSharesPerNode: number;
  /** NeuronCores on one node. */
  readonly neuronCoresPerNode: number;
}

const NEURON_CORE = 'aws.amazon.com/neuroncore';
const NEURON_DEVICE = 'aws.amazon.com/neuron';

/** The instance type the pool prefers (its first). */
export function preferredInstanceType(pool: AcceleratorPoolInfo): string | undefined {
  return pool.instanceTypes?.[0];
}

/** What a node of `pool` holds, from what it advertises and the catalog of its GPU. */
export function poolCapacity(pool: AcceleratorPoolInfo): PoolCapacity {
  const resources: { [name: string]: number } = {};
  for (const c of pool.capacity) resources[c.name] = c.count;
  const type = preferredInstanceType(pool);
  const offering = type && pool.gpu ? (pool.gpu.awsOffering(type) ?? pool.gpu.azureOffering(type)) : undefined;
  const timeSliced = (pool.labels[PlatformLabels.DEVICE_PLUGIN_CONFIG] ?? '').startsWith('time-slicing-');
  const migNamed = pool.capacity.filter((c) => c.name.startsWith('nvidia.com/mig-')).reduce((n, c) => n + c.count, 0);
  // Under the single strategy MIG instances are advertised as nvidia.com/gpu.
  const migSlices = pool.mig ? migNamed + (migNamed === 0 ? (resources['nvidia.com/gpu'] ?? 0) : 0) : 0;
  const accelerators =
    offering?.acceleratorCount ??
    (pool.accelerator === AcceleratorKind.AWS_NEURON
      ? resources[NEURON_DEVICE]
      : !pool.mig && !timeSliced
        ? resources['nvidia.com/gpu']
        : undefined);
  return {
    acceleratorsPerNode: accelerators,
    resourcesPerNode: resources,
    migSlicesPerNode: migSlices,
    timeSlicedSharesPerNode: timeSliced ? (resources['nvidia.com/gpu'] ?? 0) : 0,
    neuronCoresPerNode: resources[NEURON_CORE] ?? 0,
  };
}

/** The price of one node of `pool` in `region` of `cloud`: the pool's override, else the catalog's. */
export function nodePrice(
  cloud: string,
  region: string | undefined,
  instanceType: string | undefined,
  pool: AcceleratorPoolInfo,
): NodePrice {
  const pricing = pool.pricing;
  if (pricing?.hourlyPricePerNode !== undefined && !Token.isUnresolved(pricing.hourlyPricePerNode))
    return { basis: PriceBasis.OVERRIDE, hourly: pricing.hourlyPricePerNode, source: pricing.source };
  const list = instanceType ? PriceCatalog.DEFAULT.onDemand(cloud, instanceType, region) : undefined;
  if (!list) return { basis: PriceBasis.UNKNOWN };
  const where = { source: list.source, asOf: list.asOf, region: list.region };
  if (pool.market === PoolMarket.SPOT) {
    if (pricing?.spotDiscount !== undefined && !Token.isUnresolved(pricing.spotDiscount)) {
      return {
        basis: PriceBasis.SPOT_ESTIMATE,
        hourly: round(list.hourlyPricePerNode * (1 - pricing.spotDiscount)),
        ...where,
        note: `${Math.round(pricing.spotDiscount * 100)} % off on-demand (${pricing.source})${list.note ? `; ${list.note}` : ''}`,
      };
    }
    return {
      basis: PriceBasis.SPOT_VARIES,
      hourly: list.hourlyPricePerNode,
      ...where,
      note: `spot price varies; on-demand list price shown as the ceiling${list.note ? `; ${list.note}` : ''}`,
    };
  }
  if (pool.market === PoolMarket.RESERVED) {
    return {
      basis: PriceBasis.RESERVED_AT_LIST,
      hourly: list.hourlyPricePerNode,
      ...where,
      note: `reserved capacity at the on-demand list price: set the pool's pricing (PoolPricing.reserved) to the rate paid; a reservation is paid whether nodes run or not${list.note ? `; ${list.note}` : ''}`,
    };
  }
  return { basis: PriceBasis.LIST, hourly: list.hourlyPricePerNode, ...where, ...(list.note ? { note: list.note } : {}) };
}

/**
 * Price of one unit of each extended resource a node advertises: a whole GPU or Neuron device is the node
 * price over the devices; a MIG instance gets the share of its GPU's compute slices in the layout; a
 * time-sliced share or a NeuronCore splits its device evenly. Units fully allocated add up to the node price.
 */
export function unitPrices(pool: AcceleratorPoolInfo, nodeHourly: number): { [resource: string]: number } {
  const cap = poolCapacity(pool);
  const out: { [resource: string]: number } = {};
  const devices = cap.acceleratorsPerNode;
  if (pool.accelerator === AcceleratorKind.AWS_NEURON) {
    const chips = cap.resourcesPerNode[NEURON_DEVICE] ?? devices ?? 0;
    if (chips > 0) out[NEURON_DEVICE] = round(nodeHourly / chips);
    if (cap.neuronCoresPerNode > 0) out[NEURON_CORE] = round(nodeHourly / cap.neuronCoresPerNode);
    return out;
  }
  const migNamed = pool.capacity.filter((c) => c.name.startsWith('nvidia.com/mig-') && c.count > 0);
  if (migNamed.length > 0 && pool.gpu) {
    // Mixed strategy: weight each profile by its compute slices.
    const weight = (name: string) =>
      pool.gpu!.migProfiles.find((p) => `nvidia.com/mig-${p.name.replace('+', '.')}` === name)?.computeSlices ?? 1;
    const total = migNamed.reduce((n, c) => n + c.count * weight(c.name), 0);
    for (const c of migNamed) out[c.name] = round((nodeHourly * weight(c.name)) / total);
    return out;
  }
  const units = cap.resourcesPerNode['nvidia.com/gpu'] ?? 0;
  if (units > 0) out['nvidia.com/gpu'] = round(nodeHourly / units);
  return out;
}

/**
 * The instance types of `pool` the cost rules cannot price (no pool pricing and no catalog row), or
 * ['(none)'] when the pool names no instance type: its pods cost 0 in the rules, dashboards and budgets.
 */
export function unpricedInstanceTypes(cloud: string, region: string | undefined, pool: AcceleratorPoolInfo): string[] {
  const types = pool.instanceTypes ?? [];
  if (types.length === 0) return nodePrice(cloud, region, undefined, pool).hourly === undefined ? ['(none)'] : [];
  return types.filter((t) => nodePrice(cloud, region, t, pool).hourly === undefined);
}

/** Rounds a price to 6 decimals, so output stays stable across platforms. */
export function round(n: number): number {
  return Math.round(n * 1e6) / 1e6;
}
