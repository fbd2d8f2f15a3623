import type { IPlatformCluster, PodToleration } from '../core/cluster';
import { GpuNodePool, NodePoolRole } from '../core/node-pool';

/**
 * Tolerations that let a node agent (device plugin, exporter, feature discovery) run on every node of the
 * given pools: one per taint the cluster's cloud puts on them, so agents follow the pools as they are.
 */
export function tolerationsForPools(cluster: IPlatformCluster, pools: GpuNodePool[]): PodToleration[] {
  const seen = new Set<string>();
  const out: PodToleration[] = [];
  for (const pool of pools) {
    for (const t of cluster.poolTaints(pool)) {
      const id = `${t.key}:${t.effect}`;
      if (seen.has(id)) continue;
      seen.add(id);
      out.push({ key: t.key, operator: 'Exists', effect: t.effect });
    }
  }
  return out;
}

/** Tolerations for agents on the cluster's NVIDIA GPU nodes. */
export function gpuNodeTolerations(cluster: IPlatformCluster): PodToleration[] {
  return tolerationsForPools(
    cluster,
    cluster.nodePools.filter((p) => p.role !== NodePoolRole.NEURON),
  );
}

/** Tolerations for agents on the cluster's AWS Neuron nodes. */
export function neuronNodeTolerations(cluster: IPlatformCluster): PodToleration[] {
  return tolerationsForPools(
    cluster,
    cluster.nodePools.filter((p) => p.role === NodePoolRole.NEURON),
  );
}
