import { AcceleratorKind, Gpu } from './accelerator';
import { GpuDomainError } from './errors';

/** Fewest replicas worth sharing a GPU for; 1 would be a whole GPU. */
export const MIN_TIME_SLICING_REPLICAS = 2;
/** Most replicas the platform accepts: beyond this, each share gets too little memory and time to be useful. */
export const MAX_TIME_SLICING_REPLICAS = 48;

/**
 * Problems with time-slicing `gpu` into `replicas` shares, as `<value> <problem>; <fix>` messages
 * (the caller prefixes the path of its `timeSlicing` property). Empty when valid.
 *
 * Time-slicing gives no memory isolation: every replica sees the whole GPU memory.
 */
export function validateTimeSlicing(gpu: Gpu, replicas: number): string[] {
  const out: string[] = [];
  if (gpu.kind !== AcceleratorKind.NVIDIA_GPU) {
    out.push(
      `${replicas} cannot be used on ${gpu.displayName}: time-slicing is an NVIDIA device plugin feature; remove timeSlicing for Neuron accelerators`,
    );
    return out;
  }
  if (!Number.isInteger(replicas) || replicas < MIN_TIME_SLICING_REPLICAS || replicas > MAX_TIME_SLICING_REPLICAS) {
    out.push(
      `${replicas} is not a whole number from ${MIN_TIME_SLICING_REPLICAS} to ${MAX_TIME_SLICING_REPLICAS}; use ${MIN_TIME_SLICING_REPLICAS}-${MAX_TIME_SLICING_REPLICAS} replicas per GPU`,
    );
  }
  return out;
}

/**
 * Renders an NVIDIA device-plugin config that advertises each GPU `replicas` times as `nvidia.com/gpu`.
 * The text is stable for a given count, so it can be a ConfigMap value without plan noise.
 */
export function renderTimeSlicingConfig(replicas: number): string {
  if (!Number.isInteger(replicas) || replicas < MIN_TIME_SLICING_REPLICAS || replicas > MAX_TIME_SLICING_REPLICAS) {
    throw new GpuDomainError(
      `timeSlicing ${replicas} is not a whole number from ${MIN_TIME_SLICING_REPLICAS} to ${MAX_TIME_SLICING_REPLICAS}; use ${MIN_TIME_SLICING_REPLICAS}-${MAX_TIME_SLICING_REPLICAS} replicas per GPU`,
    );
  }
  return [
    'version: v1',
    'flags:',
    // MIG and time-slicing are exclusive per pool, so a time-sliced pool never needs a MIG strategy.
    '  migStrategy: none',
    'sharing:',
    '  timeSlicing:',
    '    resources:',
    '      - name: nvidia.com/gpu',
    `        replicas: ${replicas}`,
    '',
  ].join('\n');
}
