import { Gpu } from '../gpu';
import { GpuNodePool, NodePoolRole } from '../core/node-pool';

/** Instance types chosen for a pool and the accelerators on each node. */
export interface AwsPoolShape {
  /** Instance types of the node group. */
  readonly instanceTypes: string[];
  /** Accelerator devices per node. */
  readonly acceleratorsPerNode: number;
}

/**
 * Picks instance types for a pool from the catalog (at the pool's preferred size), or checks the user's
 * choice. Spot pools add every type with the same GPU count to widen the capacity pool.
 */
export function selectAwsInstances(pool: GpuNodePool): { shape?: AwsPoolShape; errors: string[] } {
  const gpu = pool.gpu;
  const p = `nodePools[${pool.name}]`;
  if (!gpu) return { errors: [] }; // reported by the pool's own validation
  const offers = gpu.awsInstanceTypes;
  if (offers.length === 0) {
    const aws = Gpu.all()
      .filter((g) => g.awsInstanceTypes.length > 0 && g.kind === gpu.kind)
      .map((g) => g.name);
    return { errors: [`${p}.gpu ${gpu.name} has no AWS instance type; AWS offers ${aws.join(', ')}`] };
  }
  const requested = pool.requestedInstanceTypes;
  if (requested && requested.length) {
    const errors: string[] = [];
    const counts = new Set<number>();
    for (const t of requested) {
      const o = gpu.awsOffering(t);
      if (!o) {
        errors.push(`${p}.instanceType '${t}' does not carry ${gpu.name}; use one of ${offers.map((x) => x.instanceType).join(', ')}`);
      } else counts.add(o.acceleratorCount);
    }
    if (!errors.length && counts.size > 1) {
      errors.push(
        `${p}.instanceTypes ${JSON.stringify(requested)} mix ${[...counts].join(' and ')} accelerators per node; the autoscaler needs one node shape per group, so pick types with the same count`,
      );
    }
    if (errors.length) return { errors };
    return { shape: { instanceTypes: [...requested], acceleratorsPerNode: [...counts][0] }, errors };
  }
  const count = pool.preferredAcceleratorCount(offers.map((o) => o.acceleratorCount));
  const same = offers.filter((o) => o.acceleratorCount === count).map((o) => o.instanceType);
  const instanceTypes = pool.spot && pool.role !== NodePoolRole.NEURON ? same : [same[0]];
  return { shape: { instanceTypes, acceleratorsPerNode: count }, errors: [] };
}
