import type { AcceleratorPoolInfo, IAcceleratorCluster, PodToleration } from '../core/cluster';
import { AcceleratorKind } from '../gpu/accelerator';

/**
 * Tolerations that let a node agent (device plugin, exporter, feature discovery) run on every node of the
 * given pools: one per taint the pools carry, so agents follow the pools as they are.
 */
export function tolerationsForPools(pools: AcceleratorPoolInfo[]): PodToleration[] {
  const seen = new Set<string>();
  const out: PodToleration[] = [];
  for (const pool of pools) {
    for (const t of pool.taints) {
      const id = `${t.key}:${t.effect}`;
      if (seen.has(id)) continue;
      seen.add(id);
      out.push({ key: t.key, operator: 'Exists', effect: t.effect });
    }
  }
  return out;
}

/** Tolerations for agents on the cluster's NVIDIA GPU nodes. */
export function gpuNodeTolerations(cluster: IAcceleratorCluster): PodToleration[] {
  return tolerationsForPools(cluster.acceleratorPools.filter((p) => p.accelerator === AcceleratorKind.NVIDIA_GPU));
}

/** Tolerations for agents on the cluster's AWS Neuron nodes. */
export function neuronNodeTolerations(cluster: IAcceleratorCluster): PodToleration[] {
  return tolerationsForPools(cluster.acceleratorPools.filter((p) => p.accelerator === AcceleratorKind.AWS_NEURON));
}
