import { AcceleratorKind, Gpu } from '../gpu/accelerator';
import type { AcceleratorPoolInfo } from './cluster';
import { ExtendedResource, NodeTaint } from './node-pool';
import { PoolMarket, PoolPricing } from './pool-pricing';
import { isToken, shown, validateLabelValue, validateLabels, validateTaints } from '../private/validation';

/** An accelerator node pool of a cluster brought along, described by what its nodes carry. */
export interface ExistingPoolProps {
  /** Pool name (for messages, dashboards and quotas). */
  readonly name: string;
  /**
   * NVIDIA GPUs or AWS Neuron chips.
   * @default AcceleratorKind.NVIDIA_GPU
   */
  readonly accelerator?: AcceleratorKind;
  /**
   * GPU model, when known.
   * @default - unknown
   */
  readonly gpu?: Gpu;
  /** Labels every node of the pool carries (at least one, so agents and workloads can select the pool). */
  readonly labels: { [key: string]: string };
  /**
   * Taints every node of the pool carries.
   * @default - none
   */
  readonly taints?: NodeTaint[];
  /** Extended resources one node advertises, e.g. `{ name: 'nvidia.com/gpu', count: 8 }`. */
  readonly capacity: ExtendedResource[];
  /** Most nodes the pool scales to. */
  readonly maxNodes: number;
  /**
   * Instance type (AWS) or VM size (Azure) of the nodes, to price the pool in the platform report and the
   * cost rules (which also need the nodes to carry the `ai-platform.dev/pool` label with the pool's name).
   * @default - unknown: the pool's price is reported as unknown
   */
  readonly instanceType?: string;
  /**
   * A price replacing the catalog's list price (reserved or negotiated).
   * @default - the catalog's on-demand list price of `instanceType`
   */
  readonly pricing?: PoolPricing;
}

const RESOURCE = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)[-A-Za-z0-9_.]{1,63}$/;

/** Problems of an existing pool description, as `acceleratorPools[<name>].<prop> …; <fix>`. */
export function validateExistingPool(p: ExistingPoolProps, names: Set<string>): string[] {
  const at = `acceleratorPools[${p.name}]`;
  const out: string[] = [];
  if (names.has(p.name)) out.push(`${at}.name '${p.name}' is used twice; give every pool its own name`);
  names.add(p.name);
  // The name goes where the platform's pool label value goes (flavors, dashboards, selectors).
  if (p.name === '') out.push(`${at}.name '' is empty; name the pool, e.g. 'h100'`);
  else out.push(...validateLabelValue(`${at}.name`, p.name, 'h100'));
  if (p.pricing) out.push(...p.pricing.validate(at, false));
  if (Object.keys(p.labels).length === 0) out.push(`${at}.labels {} is empty; list a label every node of the pool carries`);
  out.push(...validateLabels(`${at}.labels`, p.labels), ...validateTaints(`${at}.taints`, p.taints));
  if (p.capacity.length === 0)
    out.push(`${at}.capacity [] is empty; list what one node advertises, e.g. { name: 'nvidia.com/gpu', count: 8 }`);
  for (const r of p.capacity) {
    if (!RESOURCE.test(r.name))
      out.push(`${at}.capacity '${r.name}' is not an extended resource name; use <domain>/<name>, e.g. nvidia.com/gpu`);
    if (!Number.isInteger(r.count) || r.count < 0)
      out.push(`${at}.capacity[${r.name}] ${r.count} is not a whole number of devices; use an integer >= 0`);
  }
  if (p.accelerator !== undefined && !Object.values(AcceleratorKind).includes(p.accelerator))
    out.push(`${at}.accelerator ${shown(p.accelerator)} is not an accelerator kind; use AcceleratorKind.NVIDIA_GPU or AWS_NEURON`);
  if (!isToken(p.maxNodes) && (!Number.isInteger(p.maxNodes) || p.maxNodes < 0))
    out.push(`${at}.maxNodes ${p.maxNodes} is not a whole number >= 0; give the pool's maximum size`);
  return out;
}

/** The pool as add-ons see it. */
export function existingPoolInfo(p: ExistingPoolProps): AcceleratorPoolInfo {
  return {
    name: p.name,
    accelerator: p.accelerator ?? AcceleratorKind.NVIDIA_GPU,
    gpu: p.gpu,
    labels: { ...p.labels },
    taints: [...(p.taints ?? [])],
    capacity: p.capacity.map((c) => ({ ...c, memoryGib: c.memoryGib ?? deviceMemory(p.gpu, c.name) })),
    maxNodes: p.maxNodes,
    mig: p.capacity.some((c) => c.name.startsWith('nvidia.com/mig-')),
    instanceTypes: p.instanceType !== undefined ? [p.instanceType] : undefined,
    market: p.pricing?.market ?? PoolMarket.ON_DEMAND,
    pricing: p.pricing,
  };
}

/** Memory of one unit of `resource` on `gpu`, when the GPU is known and the resource names a whole GPU or MIG instance. */
function deviceMemory(gpu: Gpu | undefined, resource: string): number | undefined {
  if (!gpu) return undefined;
  if (resource === 'nvidia.com/gpu') return gpu.memoryGib;
  const mig = /^nvidia\.com\/mig-(.+)$/.exec(resource);
  if (!mig) return undefined;
  const profile = gpu.migProfiles.find((m) => m.name === mig[1] || m.name === mig[1].replace(/\.(?=[a-z]+$)/, '+'));
  return profile?.memoryGb;
}
