import { AcceleratorKind, Gpu } from '../gpu';
import { GpuNodePool, NodePoolRole } from '../core/node-pool';

/** The VM size chosen for a pool and the GPUs on each node. */
export interface AzurePoolShape {
  /** VM size. */
  readonly vmSize: string;
  /** GPUs per node. */
  readonly acceleratorsPerNode: number;
}

/**
 * Picks the VM size for a pool from the catalog, or checks the user's choice. AKS pools have one VM size,
 * so spot pools cannot spread over several as on AWS.
 */
export function selectAzureVmSize(pool: GpuNodePool): { shape?: AzurePoolShape; errors: string[] } {
  const p = `nodePools[${pool.name}]`;
  const gpu = pool.gpu;
  const azureGpus = () =>
    Gpu.all()
      .filter((g) => g.azureVmSizes.length > 0)
      .map((g) => g.name)
      .join(', ');
  if (pool.role === NodePoolRole.NEURON || (gpu && gpu.kind === AcceleratorKind.AWS_NEURON)) {
    const what = pool.instanceTypes?.[0] ? `.instanceType '${pool.instanceTypes[0]}'` : `.gpu ${gpu?.name}`;
    return {
      errors: [
        `${p}${what} is an AWS Inferentia/Trainium accelerator, which Azure cannot provide; on Azure use a GPU pool with one of ${azureGpus()}`,
      ],
    };
  }
  if (!gpu) return { errors: [] };
  const offers = gpu.azureVmSizes;
  if (offers.length === 0) {
    return { errors: [`${p}.gpu ${gpu.name} has no Azure VM size; Azure offers ${azureGpus()}`] };
  }
  // The pool's own VM size, or else the one its capacity reservation group holds.
  const requested = pool.requestedInstanceTypes;
  if (requested && requested.length) {
    if (requested.length > 1) {
      return {
        errors: [
          `${p}.instanceTypes ${JSON.stringify(requested)} lists several VM sizes; an AKS node pool has one, so pick one of ${offers.map((o) => o.instanceType).join(', ')}`,
        ],
      };
    }
    const o = gpu.azureOffering(requested[0]);
    if (!o)
      return {
        errors: [
          `${p}.instanceType '${requested[0]}' does not carry ${gpu.name}; use one of ${offers.map((x) => x.instanceType).join(', ')}`,
        ],
      };
    return { shape: { vmSize: o.instanceType, acceleratorsPerNode: o.acceleratorCount }, errors: [] };
  }
  const want = pool.preferredAcceleratorCount(offers.map((x) => x.acceleratorCount));
  const o = offers.find((x) => x.acceleratorCount === want)!;
  return { shape: { vmSize: o.instanceType, acceleratorsPerNode: o.acceleratorCount }, errors: [] };
}
