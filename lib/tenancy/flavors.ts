import { Token } from 'cdktf';
import type { AcceleratorPoolInfo, IAcceleratorCluster, IPlatformCluster, PodToleration } from '../core/cluster';
import { NodeTaint, PlatformLabels } from '../core/node-pool';
import { AcceleratorKind } from '../gpu/accelerator';
import { GpuQuota } from './quota';

/** One resource a ResourceFlavor's nodes advertise. */
export interface KueueFlavorResource {
  /** Resource name, e.g. `nvidia.com/gpu`, `nvidia.com/mig-1g.10gb`, `aws.amazon.com/neuroncore`. */
  readonly name: string;
  /** Units one node advertises. */
  readonly perNode: number;
}

/**
 * A Kueue ResourceFlavor derived from an accelerator pool: the pool's node labels and taints as they
 * are, and what its nodes advertise (one flavor per pool, or per pool and MIG profile under the mixed
 * strategy).
 */
export interface KueueFlavor {
  /** ResourceFlavor name: the pool name, plus `-<profile>` for a MIG profile under the mixed strategy. */
  readonly name: string;
  /** The pool. */
  readonly pool: string;
  /**
   * The pool's GPU model (catalog name).
   * @default - unknown (a pool described without its GPU)
   */
  readonly gpuName?: string;
  /**
   * The MIG profile of the flavor (mixed strategy) or of the pool's uniform layout (single strategy).
   * @default - none: whole GPUs, or a MIG layout of several profiles under the single strategy
   */
  readonly migProfile?: string;
  /** True for a MIG-partitioned pool. */
  readonly mig: boolean;
  /** NVIDIA GPUs or AWS Neuron chips. */
  readonly accelerator: AcceleratorKind;
  /** True for a pool labelled as an inference pool (its quota is not lent by default). */
  readonly inference: boolean;
  /** `spec.nodeLabels`: the pool's labels. */
  readonly nodeLabels: { [key: string]: string };
  /** `spec.nodeTaints`: the pool's taints. */
  readonly nodeTaints: NodeTaint[];
  /**
   * `spec.tolerations`: every taint of the pool (device, spot, team taints), which Kueue adds to the pods it
   * admits on this flavor. Whether a tenant may land on a pool (spot included) is its ClusterQueue's choice:
   * the flavors its resource groups list.
   */
  readonly tolerations: PodToleration[];
  /** Resources the flavor covers, per node. */
  readonly resources: KueueFlavorResource[];
  /** Most nodes of the pool. */
  readonly maxNodes: number;
}

/** A quota resolved to a flavor and the resources it covers there. */
export interface ResolvedQuota {
  /** The flavor. */
  readonly flavor: KueueFlavor;
  /** Units per resource name. */
  readonly amounts: { [resource: string]: number };
  /** Whether other tenants may borrow it. */
  readonly lendable: boolean;
}

/** The flavor of cpu and memory (no node labels; tolerations of `ordinaryPodTolerations`). */
export const DEFAULT_FLAVOR = 'default-flavor';
/** A ResourceFlavor takes at most 8 node labels, 8 taints and 8 tolerations (CRD maxProperties/maxItems). */
export const FLAVOR_LIMIT = 8;
/** A ClusterQueue takes at most 16 resource groups (CRD maxItems). */
export const MAX_RESOURCE_GROUPS = 16;
const FLAVOR_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const MIG_RESOURCE = /^nvidia\.com\/mig-(.+)$/;

/**
 * Where a tenant's pods that need no accelerator can run, as the tolerations the cpu/memory flavor
 * (`default-flavor`) adds to every pod Kueue admits: the one place that decides it. It is the pool the
 * cluster contract names for ordinary workloads (`workloadTolerations`): none for AKS's untainted general
 * pool or EKS's untainted system group, CriticalAddonsOnly where the AKS general pool is turned off.
 *
 * Tolerations only, never node labels: a pod's cpu and memory are charged to this flavor while its GPUs
 * are charged to a pool's flavor, and Kueue merges the node labels of every flavor assigned to a pod into
 * its nodeSelector, so a label here would be required of GPU nodes too. The accelerator pools stay out of
 * reach of CPU-only pods through their own taints, which this flavor does not tolerate.
 */
export function ordinaryPodTolerations(cluster: IPlatformCluster): PodToleration[] {
  return cluster.workloadTolerations.map((t) => ({ ...t }));
}

/** Capacity of a flavor's resource at maxNodes, or undefined when a count is known only at apply time. */
export function flavorCapacity(f: KueueFlavor, resource: string): number | undefined {
  const r = f.resources.find((x) => x.name === resource);
  if (!r || Token.isUnresolved(f.maxNodes) || Token.isUnresolved(r.perNode)) return undefined;
  return r.perNode * f.maxNodes;
}

/**
 * Tolerations of every taint of a pool, one per key and effect. Kueue admits a workload on a flavor only
 * when its pods tolerate the flavor's `nodeTaints` or the flavor's own `tolerations` match them (then
 * added to the pods): a flavor that tolerated less than its pool's taints (the spot taint, say) would admit
 * no job unless every job tolerated it by hand. Which pools a tenant uses is decided by the flavors its
 * ClusterQueue lists, not by tolerations in each job.
 */
export function poolTolerations(pool: AcceleratorPoolInfo): PodToleration[] {
  const out: PodToleration[] = [];
  for (const t of pool.taints) {
    if (!out.some((x) => x.key === t.key && x.effect === t.effect)) out.push({ key: t.key, operator: 'Exists', effect: t.effect });
  }
  return out;
}

function flavorOf(pool: AcceleratorPoolInfo, name: string, resources: KueueFlavorResource[], migProfile?: string): KueueFlavor {
  const tolerations = poolTolerations(pool);
  return {
    name,
    pool: pool.name,
    gpuName: pool.gpu?.name,
    migProfile,
    mig: pool.mig,
    accelerator: pool.accelerator,
    inference: pool.labels[PlatformLabels.ROLE] === 'inference',
    nodeLabels: { ...pool.labels },
    nodeTaints: pool.taints.map((t) => ({ ...t })),
    tolerations,
    resources,
    maxNodes: pool.maxNodes,
  };
}

/**
 * The flavors of a cluster's accelerator pools: one per pool with every resource its nodes advertise,
 * except MIG pools advertising per-profile resources (mixed strategy), which get one flavor per profile.
 */
export function planFlavors(cluster: IAcceleratorCluster): KueueFlavor[] {
  const out: KueueFlavor[] = [];
  for (const pool of cluster.acceleratorPools) {
    const advertised = pool.capacity.filter((c) => Token.isUnresolved(c.count) || c.count > 0);
    const perProfile = advertised.filter((c) => MIG_RESOURCE.test(c.name));
    if (perProfile.length) {
      for (const c of perProfile) {
        const profile = MIG_RESOURCE.exec(c.name)![1];
        out.push(flavorOf(pool, `${pool.name}-${profile}`, [{ name: c.name, perNode: c.count }], profile));
      }
      const rest = advertised.filter((c) => !MIG_RESOURCE.test(c.name));
      if (rest.length)
        out.push(
          flavorOf(
            pool,
            pool.name,
            rest.map((c) => ({ name: c.name, perNode: c.count })),
          ),
        );
    } else if (advertised.length) {
      const uniform = pool.mig ? pool.labels[PlatformLabels.MIG_PROFILE] : undefined;
      out.push(
        flavorOf(
          pool,
          pool.name,
          advertised.map((c) => ({ name: c.name, perNode: c.count })),
          uniform,
        ),
      );
    }
  }
  return out;
}

/** Problems of the flavors themselves: names Kueue refuses, more labels or taints than a flavor takes. */
export function flavorProblems(flavors: KueueFlavor[]): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const f of flavors) {
    const at = `cluster.acceleratorPools[${f.pool}]`;
    if (!Token.isUnresolved(f.name) && (!FLAVOR_NAME.test(f.name) || f.name.length > 253))
      out.push(`${at}.name '${f.pool}' cannot name a Kueue ResourceFlavor ('${f.name}'); give the pool a lower-case DNS name, e.g. 'h100'`);
    if (f.name === DEFAULT_FLAVOR || seen.has(f.name))
      out.push(`${at}.name '${f.pool}' gives a ResourceFlavor name '${f.name}' that is already taken; rename the pool`);
    seen.add(f.name);
    const labels = Object.keys(f.nodeLabels).length;
    if (labels > FLAVOR_LIMIT)
      out.push(
        `${at}.labels ${labels} labels exceed the ${FLAVOR_LIMIT} a Kueue ResourceFlavor takes as nodeLabels; remove extra labels from the pool (the platform's own are at most 7)`,
      );
    if (f.nodeTaints.length > FLAVOR_LIMIT)
      out.push(
        `${at}.taints ${f.nodeTaints.length} taints exceed the ${FLAVOR_LIMIT} a Kueue ResourceFlavor takes as nodeTaints; taint the pool with at most ${FLAVOR_LIMIT}`,
      );
  }
  return out;
}

/** What each flavor offers, for messages: `llm (H100_80GB, nvidia.com/gpu), ...`. */
export function describeFlavors(flavors: KueueFlavor[]): string {
  if (!flavors.length) return 'no accelerator pool';
  return flavors
    .map((f) => {
      const what = [f.gpuName ?? 'unknown GPU', ...(f.migProfile ? [`MIG ${f.migProfile}`] : [])].join(' ');
      return `${f.name} (${what}: ${f.resources.map((r) => r.name).join(', ')})`;
    })
    .join('; ');
}

/**
 * The flavor and amounts of a quota, or a problem listing what the cluster offers. A MIG quota lands on
 * a per-profile flavor (mixed strategy) or on a uniform pool of that profile (single strategy, where a
 * slice is advertised as `nvidia.com/gpu`); a GPU quota on a pool of whole (or time-sliced) GPUs; a Neuron
 * quota counts devices and their NeuronCores.
 */
export function resolveQuota(q: GpuQuota, flavors: KueueFlavor[]): { resolved?: ResolvedQuota; problem?: string } {
  const gpuFlavors = flavors.filter((f) => f.gpuName === q.gpu.name);
  let candidates: KueueFlavor[];
  if (q.migProfile !== undefined) {
    // Resource names and labels write a `+me` profile as `.me`.
    const profile = q.migProfile.replace('+', '.');
    candidates = gpuFlavors.filter((f) => f.mig && f.migProfile === profile);
  } else if (q.gpu.kind === AcceleratorKind.AWS_NEURON) {
    candidates = gpuFlavors.filter((f) => f.resources.some((r) => r.name === 'aws.amazon.com/neuron'));
  } else {
    candidates = gpuFlavors.filter((f) => !f.mig && f.resources.some((r) => r.name === 'nvidia.com/gpu'));
  }
  if (q.pool !== undefined) candidates = candidates.filter((f) => f.pool === q.pool);
  const what = `${q.description}${q.pool !== undefined ? ` on pool '${q.pool}'` : ''}`;
  if (candidates.length === 0)
    return {
      problem: ` ${what} is offered by no pool of the cluster; it offers ${describeFlavors(flavors)}: quote one of those, or add a pool`,
    };
  if (candidates.length > 1)
    return {
      problem: ` ${what} is offered by several pools (${candidates.map((f) => f.pool).join(', ')}); set pool to the one the quota is for`,
    };
  const flavor = candidates[0];
  const amounts: { [resource: string]: number } = {};
  if (q.migProfile !== undefined) {
    amounts[flavor.resources.find((r) => MIG_RESOURCE.test(r.name))?.name ?? 'nvidia.com/gpu'] = q.count;
  } else if (q.gpu.kind === AcceleratorKind.AWS_NEURON) {
    amounts['aws.amazon.com/neuron'] = q.count;
    if (flavor.resources.some((r) => r.name === 'aws.amazon.com/neuroncore'))
      amounts['aws.amazon.com/neuroncore'] = q.count * q.gpu.neuronCoresPerDevice;
  } else {
    amounts['nvidia.com/gpu'] = q.count;
  }
  return { resolved: { flavor, amounts, lendable: q.lendable ?? !flavor.inference } };
}

/** A ClusterQueue resource group: resources covered together and the flavors that provide them. */
export interface ResourceGroupPlan {
  /** Covered resources, in order. */
  readonly coveredResources: string[];
  /** Flavors, in order. */
  readonly flavors: KueueFlavor[];
}

/**
 * Resource groups over the flavors: flavors sharing a resource share a group (Kueue lets a resource sit
 * in one group only); each flavor then lists every resource of its group (0 where it offers none).
 */
export function resourceGroups(flavors: KueueFlavor[]): ResourceGroupPlan[] {
  const groups: { resources: string[]; flavors: KueueFlavor[] }[] = [];
  for (const f of flavors) {
    const names = f.resources.map((r) => r.name);
    const touching = groups.filter((g) => g.resources.some((r) => names.includes(r)));
    const merged = { resources: [] as string[], flavors: [] as KueueFlavor[] };
    for (const g of touching) {
      merged.resources.push(...g.resources);
      merged.flavors.push(...g.flavors);
      groups.splice(groups.indexOf(g), 1);
    }
    for (const n of names) if (!merged.resources.includes(n)) merged.resources.push(n);
    merged.flavors.push(f);
    groups.push(merged);
  }
  return groups.map((g) => ({ coveredResources: g.resources, flavors: g.flavors }));
}
