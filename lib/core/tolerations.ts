import type { PodToleration } from './cluster';
import { PlatformLabels } from './node-pool';

/**
 * Tolerations for node agents (device plugins, exporters, feature discovery) that must run on every
 * accelerator node this library creates, spot nodes of either cloud included. Callers drop what they do
 * not need (a GPU agent has no business on Neuron nodes).
 */
export function acceleratorTolerations(): PodToleration[] {
  return [
    { key: PlatformLabels.GPU_TAINT, operator: 'Exists', effect: 'NoSchedule' },
    { key: PlatformLabels.NEURON_TAINT, operator: 'Exists', effect: 'NoSchedule' },
    { key: PlatformLabels.SPOT_TAINT, operator: 'Exists', effect: 'NoSchedule' },
    { key: 'kubernetes.azure.com/scalesetpriority', operator: 'Exists', effect: 'NoSchedule' },
  ];
}

/** Tolerations for agents on NVIDIA GPU nodes. */
export function gpuNodeTolerations(): PodToleration[] {
  return acceleratorTolerations().filter((t) => t.key !== PlatformLabels.NEURON_TAINT);
}

/** Tolerations for agents on AWS Neuron nodes. */
export function neuronNodeTolerations(): PodToleration[] {
  return acceleratorTolerations().filter((t) => t.key !== PlatformLabels.GPU_TAINT);
}
