import { Token } from 'cdktf';
import type { AcceleratorPoolInfo, IAcceleratorCluster } from '../core/cluster';
import { AcceleratorKind } from '../gpu/accelerator';
import { LlmModel, MemoryPlan, Precision } from '../gpu/memory-planner';
import { ModelTask, ServedModel } from './served-model';

/** A toleration of one node taint, matching key, value and effect exactly. */
export interface ServingToleration {
  /** Taint key. */
  readonly key: string;
  /** Always 'Equal'. */
  readonly operator: string;
  /** Taint value. */
  readonly value: string;
  /** Taint effect: NoSchedule, PreferNoSchedule or NoExecute. */
  readonly effect: string;
}

/** How one model server runs on one accelerator pool: what vLLM is told and what its pods request. */
export interface ServingPlan {
  /** The accelerator pool. */
  readonly pool: string;
  /** Name in the OpenAI-compatible API: vLLM `--served-model-name`. */
  readonly servedName: string;
  /** Hugging Face repository id of the weights: the model vLLM loads. */
  readonly repository: string;
  /** 'generate', 'embed' or 'score' (a ModelTask value). */
  readonly task: string;
  /** GPUs one server splits the model over: vLLM `--tensor-parallel-size`. */
  readonly tensorParallelSize: number;
  /** Tokens per sequence: vLLM `--max-model-len`. */
  readonly maxModelLen: number;
  /** Sequences processed at once: vLLM `--max-num-seqs`. */
  readonly maxNumSeqs: number;
  /**
   * Fraction of the device's memory the server may take: vLLM `--gpu-memory-utilization`. 0.9 on a whole
   * GPU or a MIG instance (the device CUDA shows the pod); on a time-sliced share 0.9 × share / GPU memory,
   * because every pod sharing the GPU sees the whole device.
   */
  readonly gpuMemoryUtilization: number;
  /** The extended resource the pod requests, one the pool advertises (e.g. `nvidia.com/gpu`, `nvidia.com/mig-3g.40gb`). */
  readonly resourceName: string;
  /** Units of `resourceName` one pod requests: the tensor-parallel size (1 for a MIG instance or a time-sliced share). */
  readonly resourceCount: number;
  /** Node selector: every label of the pool. */
  readonly nodeLabels: { [key: string]: string };
  /** One toleration per taint of the pool. */
  readonly tolerations: ServingToleration[];
  /** Size of the weights at the served precision, in GiB. */
  readonly weightsGib: number;
  /** Size of the weights cache volume in GiB: weights × 2.5 (download, conversion, a second revision) + 10, rounded up. */
  readonly cacheVolumeGib: number;
  /** Budget of the startup probe in seconds: 300 (image pull, CUDA graphs, compilation) + weights at 0.1 GiB/s (download from the hub, then load), rounded up, at most 3600. */
  readonly startupSeconds: number;
  /** Fewest replicas (0: scale to zero). */
  readonly minReplicas: number;
  /** Most replicas. */
  readonly maxReplicas: number;
  /** One line: the model, memory needed per device against memory available, and on which resource. */
  readonly explanation: string;
}

/** The outcome of planning a served model onto a cluster. */
export interface ServingPlanResult {
  /**
   * The plan.
   * @default - none: set exactly when `problems` is empty
   */
  readonly plan?: ServingPlan;
  /** Problems, as `<prop> <value> <problem>; <fix>` messages. */
  readonly problems: string[];
}

/** vLLM's --gpu-memory-utilization on a device of the pod's own (whole GPU, MIG instance). */
const DEVICE_UTILIZATION = 0.9;
/**
 * Tokens a pooling model (embeddings, scores) processes in one scheduler step: vLLM's default
 * max_num_batched_tokens for pooling models (POOLING_MODEL_MAX_NUM_BATCHED_TOKENS). Pooling requests end
 * with their prefill, so no more tokens than this (or one whole sequence, if longer) are ever in memory.
 */
const POOLING_TOKENS_PER_STEP = 32768;
/** Tensor-parallel degrees tried on whole GPUs of one node. */
const TP_DEGREES = [1, 2, 4, 8];
const CACHE_FACTOR = 2.5;
const CACHE_HEADROOM_GIB = 10;
const STARTUP_BASE_SECONDS = 300;
const LOAD_GIB_PER_SECOND = 0.1;
const STARTUP_MAX_SECONDS = 3600;
const SERVED_NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
const PROP_OF_TASK: Record<string, string> = {
  [ModelTask.GENERATE]: 'generator',
  [ModelTask.EMBED]: 'embedder',
  [ModelTask.SCORE]: 'reranker',
};

/** One unit of an extended resource, as the model server sees it. */
interface Device {
  readonly resource: string;
  /** Units per node. */
  readonly count: number;
  /** Memory one unit gives the pod. */
  readonly memoryGib: number;
  /** 'whole' GPU, 'mig' instance or time-'shared' GPU. */
  readonly kind: 'whole' | 'mig' | 'shared';
  /** Memory of the device CUDA shows the pod: the MIG instance, or the whole GPU (also when shared). */
  readonly deviceMemoryGib: number;
  /** vLLM --gpu-memory-utilization on that device. */
  readonly utilization: number;
}

/** A device and a tensor-parallel degree. */
interface Placement {
  readonly device: Device;
  readonly tp: number;
}

const gib = (n: number) => `${n.toFixed(1)} GiB`;
const round2 = (n: number) => Math.round(n * 100) / 100;

/**
 * Plans a served model onto a pool of `cluster`: the device it requests, the tensor-parallel size and vLLM's
 * memory settings. Never throws on input: problems come back as messages prefixed with `prop`.
 *
 * Memory (see MemoryPlan): per device, weights / tp × 1.1 + 1 GiB + KV cache / min(tp, kvHeads), where the KV
 * cache holds contextLength × sequences tokens. Generation holds `concurrentSequences` sequences; pooling
 * tasks (embed, score) hold one scheduler step: min(concurrentSequences, max(1, floor(32768 / contextLength)))
 * sequences. The model fits a device when that is at most the device's memory × gpuMemoryUtilization.
 *
 * Device choice: among the `nvidia.com/` resources the pool advertises with count > 0 and known memoryGib,
 * the smallest where the model fits on one unit; failing that, whole GPUs (not MIG instances or time-sliced
 * shares) split over 2, 4 or 8 GPUs of one node where the attention heads divide.
 *
 * @param prop prefix of the messages, e.g. 'generator'; default by task: generator, embedder, reranker
 */
export function planServedModel(served: ServedModel, task: ModelTask, cluster: IAcceleratorCluster, prop?: string): ServingPlanResult {
  const at = prop ?? PROP_OF_TASK[task] ?? 'model';
  const model = served.model;
  if (!(model instanceof LlmModel)) {
    return {
      problems: [
        `${at}.model ${String(model)} is not an LlmModel; use a member of LlmModel, EmbeddingModel or RerankerModel, or LlmModel.custom()`,
      ],
    };
  }
  const problems: string[] = [];
  if (!Object.values(ModelTask).includes(task)) {
    problems.push(`${at}.task '${task}' is not a ModelTask; use one of ${Object.values(ModelTask).join(', ')}`);
  }
  if (!model.repository) {
    problems.push(
      `${at}.model ${model.name} has no repository; give LlmModel.custom() the Hugging Face repository id to serve, e.g. repository: 'org/model'`,
    );
  }
  const servedName = served.servedName;
  if (typeof servedName !== 'string' || servedName.length > 63 || !SERVED_NAME.test(servedName)) {
    problems.push(
      `${at}.servedName '${servedName}' is not a lower-case DNS-style name; use 1-63 lower-case letters, digits, '-' or '.', starting and ending with a letter or digit`,
    );
  }
  problems.push(...replicaProblems(at, served.minReplicas, served.maxReplicas));

  const contextLength = served.contextLengthFor(task);
  const sequences = served.concurrentSequencesFor(task);
  const precision = served.weightsPrecision;
  let sizable = true;
  if (!Number.isInteger(contextLength) || contextLength < 1) {
    problems.push(`${at}.contextLength ${contextLength} is not a whole number >= 1; use the longest prompt plus output in tokens`);
    sizable = false;
  } else if (model.maxContextLength !== undefined && contextLength > model.maxContextLength) {
    problems.push(
      `${at}.contextLength ${contextLength} is longer than ${model.name} supports (${model.maxContextLength} tokens); use at most ${model.maxContextLength}`,
    );
    sizable = false;
  }
  if (!Number.isInteger(sequences) || sequences < 1) {
    problems.push(`${at}.concurrentSequences ${sequences} is not a whole number >= 1; use the sequences one server processes at once`);
    sizable = false;
  }
  if (!(precision instanceof Precision)) {
    problems.push(`${at}.weightsPrecision ${String(precision)} is not a Precision; use Precision.BF16, Precision.FP8 or another member`);
    sizable = false;
  }

  const pool = findPool(at, served.pool, cluster, problems);
  if (!pool || !sizable) return { problems };
  const devices = poolDevices(pool, cluster.migStrategy);
  if (devices.length === 0) {
    const advertised =
      pool.capacity.map((c) => `${c.name} x${c.count}${c.memoryGib ? ` (${c.memoryGib} GiB)` : ''}`).join(', ') || 'nothing';
    problems.push(
      `${at}.pool '${pool.name}' advertises no NVIDIA device with known memory (capacity: ${advertised}); on an existing cluster set memoryGib on the pool's capacity entries (or its gpu), e.g. { name: 'nvidia.com/gpu', count: 1, memoryGib: 24 }`,
    );
    return { problems };
  }

  const sizing = (ctx: number, seqs: number, p: Precision, utilization: number) =>
    MemoryPlan.plan({
      model,
      weightsPrecision: p,
      contextLength: ctx,
      concurrentSequences: task === ModelTask.GENERATE ? seqs : Math.min(seqs, Math.max(1, Math.floor(POOLING_TOKENS_PER_STEP / ctx))),
      gpuMemoryUtilization: utilization,
    });
  const fits = (ctx: number, seqs: number, p: Precision, place: Placement) =>
    sizing(ctx, seqs, p, place.device.utilization).perGpuGib(place.tp) <= usable(place.device);
  const placements = candidatePlacements(devices, (tp) => sizing(1, 1, precision, DEVICE_UTILIZATION).splitsAttentionHeads(tp));
  const chosen = placements.find((place) => fits(contextLength, sequences, precision, place));

  if (!chosen) {
    problems.push(noFitMessage(at, model, pool, contextLength, sequences, precision, placements, sizing, fits));
    return { problems };
  }
  if (problems.length) return { problems };

  const { device, tp } = chosen;
  const plan = sizing(contextLength, sequences, precision, device.utilization);
  const weights = plan.weightsGib;
  const perDevice = plan.perGpuGib(tp);
  const kvPerDevice = plan.kvCacheGib / Math.min(tp, model.kvHeads);
  const unit =
    device.kind === 'mig'
      ? `MIG instance of ${gib(device.memoryGib)}`
      : device.kind === 'shared'
        ? `time-sliced share of ${gib(device.memoryGib)} of a ${gib(device.deviceMemoryGib)} GPU`
        : `whole GPU of ${gib(device.memoryGib)}`;
  const explanation =
    `${model.name} ${precision.name} on pool '${pool.name}': ${gib(perDevice)} per device` +
    ` (weights ${gib(weights / tp)} + KV ${gib(kvPerDevice)} for ${contextLength} tokens x ${plan.concurrentSequences} sequences + overhead ${gib(perDevice - weights / tp - kvPerDevice)})` +
    ` of ${gib(usable(device))} usable (${device.utilization} x ${gib(device.deviceMemoryGib)}),` +
    ` ${tp > 1 ? `tensor parallelism ${tp} over ` : ''}${tp} x ${device.resource} (${unit})`;
  return {
    problems,
    plan: {
      pool: pool.name,
      servedName,
      repository: model.repository!,
      task,
      tensorParallelSize: tp,
      maxModelLen: contextLength,
      maxNumSeqs: sequences,
      gpuMemoryUtilization: device.utilization,
      resourceName: device.resource,
      resourceCount: tp,
      nodeLabels: { ...pool.labels },
      tolerations: pool.taints.map((t) => ({ key: t.key, operator: 'Equal', value: t.value, effect: t.effect })),
      weightsGib: round2(weights),
      cacheVolumeGib: Math.ceil(weights * CACHE_FACTOR + CACHE_HEADROOM_GIB),
      startupSeconds: Math.min(STARTUP_MAX_SECONDS, Math.ceil(STARTUP_BASE_SECONDS + weights / LOAD_GIB_PER_SECOND)),
      minReplicas: served.minReplicas,
      maxReplicas: served.maxReplicas,
      explanation,
    },
  };
}

function replicaProblems(at: string, min: number, max: number): string[] {
  const out: string[] = [];
  const minKnown = !Token.isUnresolved(min);
  const maxKnown = !Token.isUnresolved(max);
  const minOk = minKnown && Number.isInteger(min) && min >= 0;
  const maxOk = maxKnown && Number.isInteger(max) && max >= 1;
  if (minKnown && !minOk)
    out.push(`${at}.minReplicas ${min} is not a whole number >= 0; use 0 to scale to zero, or the replicas always running`);
  if (maxKnown && !maxOk) out.push(`${at}.maxReplicas ${max} is not a whole number >= 1; use the most replicas the model may scale to`);
  if (minOk && maxOk && min > max) out.push(`${at}.minReplicas ${min} is greater than maxReplicas ${max}; use minReplicas <= maxReplicas`);
  return out;
}

function findPool(at: string, name: string, cluster: IAcceleratorCluster, problems: string[]): AcceleratorPoolInfo | undefined {
  const pools = cluster.acceleratorPools;
  const nvidia = pools.filter((p) => p.accelerator === AcceleratorKind.NVIDIA_GPU).map((p) => p.name);
  const choice = nvidia.length ? `use one of ${nvidia.join(', ')}` : 'add an NVIDIA GPU pool to the cluster';
  const pool = pools.find((p) => p.name === name);
  if (!pool) {
    const known = pools.length ? ` (pools: ${pools.map((p) => p.name).join(', ')})` : ' (it has no accelerator pools)';
    problems.push(`${at}.pool '${name}' is not an accelerator pool of cluster ${cluster.clusterName}${known}; ${choice}`);
    return undefined;
  }
  if (pool.accelerator !== AcceleratorKind.NVIDIA_GPU) {
    problems.push(`${at}.pool '${name}' is an AWS Neuron pool and the model server runs vLLM on CUDA; serve on an NVIDIA pool: ${choice}`);
    return undefined;
  }
  return pool;
}

/**
 * The NVIDIA devices a pool offers one pod, smallest first. `nvidia.com/gpu` is a MIG instance on a MIG pool
 * under the single strategy, a time-sliced share when it gives less than the pool's GPU, else a whole GPU
 * (also when the GPU model is unknown).
 */
function poolDevices(pool: AcceleratorPoolInfo, migStrategy: string): Device[] {
  const gpuMemory = pool.gpu?.memoryGib;
  const devices: Device[] = [];
  for (const r of pool.capacity) {
    const memory = r.memoryGib;
    if (!r.name.startsWith('nvidia.com/') || !(r.count > 0) || typeof memory !== 'number' || !(memory > 0)) continue;
    let kind: Device['kind'];
    if (r.name.startsWith('nvidia.com/mig-')) kind = 'mig';
    else if (r.name !== 'nvidia.com/gpu') continue;
    else if (pool.mig && migStrategy === 'single') kind = 'mig';
    else if (gpuMemory !== undefined && memory < gpuMemory) kind = 'shared';
    else kind = 'whole';
    if (kind === 'shared') {
      const fraction = Math.floor(((DEVICE_UTILIZATION * memory) / gpuMemory!) * 1000 + 1e-9) / 1000;
      devices.push({
        resource: r.name,
        count: r.count,
        memoryGib: memory,
        kind,
        deviceMemoryGib: gpuMemory!,
        utilization: Math.min(DEVICE_UTILIZATION, fraction),
      });
    } else {
      devices.push({ resource: r.name, count: r.count, memoryGib: memory, kind, deviceMemoryGib: memory, utilization: DEVICE_UTILIZATION });
    }
  }
  const rank = { mig: 0, whole: 1, shared: 2 };
  return devices.sort((a, b) => a.memoryGib - b.memoryGib || rank[a.kind] - rank[b.kind]);
}

/** Memory the server may use on one unit. */
function usable(device: Device): number {
  return device.deviceMemoryGib * device.utilization;
}

/** One unit of each device, smallest first; then whole GPUs of one node split 2, 4, 8 ways. */
function candidatePlacements(devices: Device[], splitsHeads: (tp: number) => boolean): Placement[] {
  const out: Placement[] = devices.map((device) => ({ device, tp: 1 }));
  for (const tp of TP_DEGREES.slice(1)) {
    if (!splitsHeads(tp)) continue;
    for (const device of devices) if (device.kind === 'whole' && tp <= device.count) out.push({ device, tp });
  }
  return out;
}

/** The model fits no placement: say how far off the closest one is and what would fit. */
function noFitMessage(
  at: string,
  model: LlmModel,
  pool: AcceleratorPoolInfo,
  ctx: number,
  seqs: number,
  precision: Precision,
  placements: Placement[],
  sizing: (ctx: number, seqs: number, p: Precision, utilization: number) => MemoryPlan,
  fits: (ctx: number, seqs: number, p: Precision, place: Placement) => boolean,
): string {
  const need = (place: Placement) => sizing(ctx, seqs, precision, place.device.utilization).perGpuGib(place.tp);
  const closest = placements.reduce((best, p) => (usable(p.device) - need(p) > usable(best.device) - need(best) ? p : best));
  const anyFits = (c: number, s: number, p: Precision) => placements.some((place) => fits(c, s, p, place));
  const fixes: string[] = [];
  const maxCtx = largest(ctx - 1, (c) => anyFits(c, seqs, precision));
  if (maxCtx > 0) fixes.push(`contextLength <= ${maxCtx >= 256 ? maxCtx - (maxCtx % 256) : maxCtx} at ${seqs} sequences`);
  const maxSeqs = largest(seqs - 1, (s) => anyFits(ctx, s, precision));
  if (maxSeqs > 0) fixes.push(`concurrentSequences <= ${maxSeqs} at ${ctx} tokens`);
  const lower = Precision.all().find((p) => p.bytesPerParam < precision.bytesPerParam && anyFits(ctx, seqs, p));
  if (lower) fixes.push(`weightsPrecision ${lower.name} (quantised weights)`);
  const bigger = {
    whole: 'a larger GPU or more GPUs per node',
    mig: 'a larger MIG profile or whole GPUs',
    shared: 'fewer time-slicing replicas or a larger GPU',
  };
  fixes.push(`a pool with ${bigger[closest.device.kind]}`);
  const { device, tp } = closest;
  const sequencesHeld = sizing(ctx, seqs, precision, device.utilization).concurrentSequences;
  const split = tp > 1 ? ` split over ${tp} GPUs` : '';
  return (
    `${at} ${model.name} (${precision.name}, ${ctx} tokens x ${sequencesHeld} sequences) needs ${gib(need(closest))} per device${split} on pool '${pool.name}'` +
    `, more than the ${gib(usable(device))} usable of ${device.resource} (${device.utilization} x ${gib(device.deviceMemoryGib)})` +
    `; use ${fixes.length > 1 ? `${fixes.slice(0, -1).join(', ')}, or ${fixes[fixes.length - 1]}` : fixes[0]}`
  );
}

/** The largest n in [1, upTo] with ok(n), for ok monotone (true up to some n); 0 when none. */
function largest(upTo: number, ok: (n: number) => boolean): number {
  if (upTo < 1 || !ok(1)) return 0;
  let lo = 1;
  let hi = upTo;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (ok(mid)) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
