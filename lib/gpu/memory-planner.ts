import { Gpu } from './accelerator';
import { GpuDomainError, throwIfMessages } from './errors';

const GIB = 2 ** 30;
/** CUDA context, NCCL buffers and the serving runtime itself, per GPU, before any model data. */
const RUNTIME_GIB_PER_GPU = 1;
/** Activations and CUDA graphs scale roughly with model size; 10% of weights is the planner's allowance. */
const ACTIVATION_FRACTION_OF_WEIGHTS = 0.1;
/** Tensor-parallel degrees the planner tries: powers of two, which is what attention head counts divide by. */
const TP_DEGREES = [1, 2, 4, 8, 16];

/** The numeric format of weights or KV cache. */
export class Precision {
  /** 32-bit float. */
  public static readonly FP32 = new Precision('fp32', 4);
  /** bfloat16, the usual serving precision. */
  public static readonly BF16 = new Precision('bf16', 2);
  /** IEEE half precision. */
  public static readonly FP16 = new Precision('fp16', 2);
  /** 8-bit float (Hopper and later run it natively). */
  public static readonly FP8 = new Precision('fp8', 1);
  /** 8-bit integer quantisation. */
  public static readonly INT8 = new Precision('int8', 1);
  /** 4-bit integer quantisation (AWQ, GPTQ); scales and zero points are ignored. */
  public static readonly INT4 = new Precision('int4', 0.5);

  /** Every precision. */
  public static all(): Precision[] {
    return [Precision.FP32, Precision.BF16, Precision.FP16, Precision.FP8, Precision.INT8, Precision.INT4];
  }

  /** Looks a precision up by name, case-insensitively, e.g. `bf16`. */
  public static of(name: string): Precision {
    const found = Precision.all().find((p) => p.name === String(name).toLowerCase());
    if (!found)
      throw new GpuDomainError(
        `precision '${name}' is not known; use one of ${Precision.all()
          .map((p) => p.name)
          .join(', ')}`,
      );
    return found;
  }

  /** Lower-case name, e.g. `bf16`. */
  public readonly name: string;
  /** Storage per parameter or cache element. */
  public readonly bytesPerParam: number;

  private constructor(name: string, bytesPerParam: number) {
    this.name = name;
    this.bytesPerParam = bytesPerParam;
  }
}

/** The shape of a decoder-only transformer, as far as memory is concerned. */
export interface ModelArchitectureProps {
  /**
   * True when the Hugging Face repository is gated: downloads need a token of an account that accepted the licence.
   * @default false
   */
  readonly gated?: boolean;
  /** Model id used in messages, e.g. `llama-3.1-8b`. */
  readonly name: string;
  /** Total parameters in billions (all experts for mixture-of-experts models: all are resident). */
  readonly parametersBillions: number;
  /** Transformer layers. */
  readonly layers: number;
  /** Query attention heads. */
  readonly attentionHeads: number;
  /** Key/value heads (fewer than attentionHeads with grouped-query attention). */
  readonly kvHeads: number;
  /** Dimension of one attention head. */
  readonly headDim: number;
  /**
   * Hugging Face repository id of the weights to serve, e.g. `meta-llama/Llama-3.1-8B-Instruct`.
   * @default - none: memory planning works, serving needs it
   */
  readonly repository?: string;
  /**
   * Longest sequence (prompt plus output) the model supports, in tokens (its trained context window).
   * @default - unknown: contexts are not checked against it
   */
  readonly maxContextLength?: number;
}

/** `<org>/<name>` as the Hugging Face Hub spells repository ids. */
const HF_REPOSITORY = /^[A-Za-z0-9][-A-Za-z0-9_.]{0,95}\/[A-Za-z0-9][-A-Za-z0-9_.]{0,95}$/;

/**
 * Problems with a model architecture, as `<prop> <value> <problem>; <fix>` messages. Empty when valid.
 */
export function validateModelArchitecture(props: ModelArchitectureProps): string[] {
  const out: string[] = [];
  if (!props.name || !String(props.name).trim()) out.push(`name '${props.name}' is empty; give the model an id such as 'llama-3.1-8b'`);
  if (!(props.parametersBillions > 0) || !Number.isFinite(props.parametersBillions)) {
    out.push(`parametersBillions ${props.parametersBillions} is not a positive number; use the parameter count in billions, e.g. 8.03`);
  }
  for (const prop of ['layers', 'attentionHeads', 'kvHeads', 'headDim'] as const) {
    const v = props[prop];
    if (!Number.isInteger(v) || v < 1) out.push(`${prop} ${v} is not a whole number >= 1; copy it from the model's config.json`);
  }
  if (
    Number.isInteger(props.attentionHeads) &&
    Number.isInteger(props.kvHeads) &&
    props.kvHeads >= 1 &&
    props.attentionHeads % props.kvHeads !== 0
  ) {
    out.push(
      `kvHeads ${props.kvHeads} does not divide attentionHeads ${props.attentionHeads}; grouped-query attention needs attentionHeads to be a multiple of kvHeads`,
    );
  }
  if (props.repository !== undefined && !HF_REPOSITORY.test(String(props.repository))) {
    out.push(
      `repository '${props.repository}' is not a Hugging Face repository id; use <org>/<name>, e.g. 'meta-llama/Llama-3.1-8B-Instruct'`,
    );
  }
  if (props.maxContextLength !== undefined && (!Number.isInteger(props.maxContextLength) || props.maxContextLength < 1)) {
    out.push(
      `maxContextLength ${props.maxContextLength} is not a whole number >= 1; use the model's context window in tokens (max_position_embeddings in config.json)`,
    );
  }
  return out;
}

/** A large language model's memory-relevant architecture. */
export class LlmModel {
  /** Meta Llama 3.1 8B Instruct (128k context). */
  public static readonly LLAMA_3_1_8B = new LlmModel({
    name: 'llama-3.1-8b',
    parametersBillions: 8.03,
    layers: 32,
    attentionHeads: 32,
    kvHeads: 8,
    headDim: 128,
    repository: 'meta-llama/Llama-3.1-8B-Instruct',
    gated: true,
    maxContextLength: 131072,
  });
  /** Meta Llama 3.1 70B Instruct (128k context). */
  public static readonly LLAMA_3_1_70B = new LlmModel({
    name: 'llama-3.1-70b',
    parametersBillions: 70.6,
    layers: 80,
    attentionHeads: 64,
    kvHeads: 8,
    headDim: 128,
    repository: 'meta-llama/Llama-3.1-70B-Instruct',
    gated: true,
    maxContextLength: 131072,
  });
  /**
   * Meta Llama 3.1 405B Instruct, bf16 weights (128k context). Meta also publishes
   * `meta-llama/Llama-3.1-405B-Instruct-FP8`, which fits one 8-GPU H100/H200 node: use
   * `LlmModel.custom()` with that repository and plan with `Precision.FP8`.
   */
  public static readonly LLAMA_3_1_405B = new LlmModel({
    name: 'llama-3.1-405b',
    parametersBillions: 405.9,
    layers: 126,
    attentionHeads: 128,
    kvHeads: 8,
    headDim: 128,
    repository: 'meta-llama/Llama-3.1-405B-Instruct',
    gated: true,
    maxContextLength: 131072,
  });
  /** Mistral 7B Instruct v0.3 (32k context). */
  public static readonly MISTRAL_7B = new LlmModel({
    name: 'mistral-7b',
    parametersBillions: 7.25,
    layers: 32,
    attentionHeads: 32,
    kvHeads: 8,
    headDim: 128,
    repository: 'mistralai/Mistral-7B-Instruct-v0.3',
    gated: true,
    maxContextLength: 32768,
  });
  /** Mixtral 8x7B Instruct v0.1 (mixture of experts; every expert stays in memory; 32k context). */
  public static readonly MIXTRAL_8X7B = new LlmModel({
    name: 'mixtral-8x7b',
    parametersBillions: 46.7,
    layers: 32,
    attentionHeads: 32,
    kvHeads: 8,
    headDim: 128,
    repository: 'mistralai/Mixtral-8x7B-Instruct-v0.1',
    gated: true,
    maxContextLength: 32768,
  });
  /** Qwen2.5 7B Instruct (32k context without YaRN rope scaling). */
  public static readonly QWEN2_5_7B = new LlmModel({
    name: 'qwen2.5-7b',
    parametersBillions: 7.62,
    layers: 28,
    attentionHeads: 28,
    kvHeads: 4,
    headDim: 128,
    repository: 'Qwen/Qwen2.5-7B-Instruct',
    maxContextLength: 32768,
  });
  /** Qwen2.5 72B Instruct (32k context without YaRN rope scaling). */
  public static readonly QWEN2_5_72B = new LlmModel({
    name: 'qwen2.5-72b',
    parametersBillions: 72.7,
    layers: 80,
    attentionHeads: 64,
    kvHeads: 8,
    headDim: 128,
    repository: 'Qwen/Qwen2.5-72B-Instruct',
    maxContextLength: 32768,
  });
  /** Google Gemma 2 9B instruction-tuned (8k context). */
  public static readonly GEMMA_2_9B = new LlmModel({
    name: 'gemma-2-9b',
    parametersBillions: 9.24,
    layers: 42,
    attentionHeads: 16,
    kvHeads: 8,
    headDim: 256,
    repository: 'google/gemma-2-9b-it',
    gated: true,
    maxContextLength: 8192,
  });

  /** Every catalog model. */
  public static all(): LlmModel[] {
    return [
      LlmModel.LLAMA_3_1_8B,
      LlmModel.LLAMA_3_1_70B,
      LlmModel.LLAMA_3_1_405B,
      LlmModel.MISTRAL_7B,
      LlmModel.MIXTRAL_8X7B,
      LlmModel.QWEN2_5_7B,
      LlmModel.QWEN2_5_72B,
      LlmModel.GEMMA_2_9B,
    ];
  }

  /** A catalog model by id (`llama-3.1-70b`), case-insensitively. */
  public static of(name: string): LlmModel {
    const found = LlmModel.all().find((m) => m.name === String(name).toLowerCase());
    if (!found)
      throw new GpuDomainError(
        `model '${name}' is not in the model catalog; use one of ${LlmModel.all()
          .map((m) => m.name)
          .join(', ')}, or LlmModel.custom()`,
      );
    return found;
  }

  /**
   * A model outside the catalog.
   * @throws GpuDomainError when a dimension is not positive or kvHeads does not divide attentionHeads
   */
  public static custom(props: ModelArchitectureProps): LlmModel {
    throwIfMessages(validateModelArchitecture(props));
    return new LlmModel(props);
  }

  /** Model id. */
  public readonly name: string;
  /** Parameters in billions. */
  public readonly parametersBillions: number;
  /** Transformer layers. */
  public readonly layers: number;
  /** Query attention heads. */
  public readonly attentionHeads: number;
  /** Key/value heads. */
  public readonly kvHeads: number;
  /** Dimension of one attention head. */
  public readonly headDim: number;
  /**
   * Hugging Face repository id of the weights to serve.
   * @default - none
   */
  public readonly repository?: string;
  /** True when the Hugging Face repository needs a token of an account that accepted the licence. */
  public readonly gated: boolean;
  /**
   * Longest sequence the model supports, in tokens.
   * @default - unknown
   */
  public readonly maxContextLength?: number;

  private constructor(props: ModelArchitectureProps) {
    this.name = props.name;
    this.parametersBillions = props.parametersBillions;
    this.layers = props.layers;
    this.attentionHeads = props.attentionHeads;
    this.kvHeads = props.kvHeads;
    this.headDim = props.headDim;
    this.repository = props.repository;
    this.gated = props.gated ?? false;
    this.maxContextLength = props.maxContextLength;
  }
}

/** What to serve and how much of it at once. */
export interface MemoryPlanProps {
  /** The model. */
  readonly model: LlmModel;
  /**
   * Format of the weights.
   * @default Precision.BF16
   */
  readonly weightsPrecision?: Precision;
  /**
   * Format of the KV cache; independent of the weights because quantised weights usually keep a 16-bit cache.
   * @default Precision.BF16
   */
  readonly kvCachePrecision?: Precision;
  /** Tokens per sequence (prompt plus output) the server must hold, e.g. vLLM `--max-model-len`. */
  readonly contextLength: number;
  /**
   * Sequences held in the KV cache at once at full context length.
   * @default 1
   */
  readonly concurrentSequences?: number;
  /**
   * Fraction of each GPU's memory the server may use, like vLLM `--gpu-memory-utilization`.
   * @default 0.9
   */
  readonly gpuMemoryUtilization?: number;
}

/**
 * Problems with memory-plan inputs, as `<prop> <value> <problem>; <fix>` messages. Empty when valid.
 */
export function validateMemoryPlan(props: MemoryPlanProps): string[] {
  const out: string[] = [];
  if (!(props.model instanceof LlmModel))
    out.push(`model ${String(props.model)} is not an LlmModel; use LlmModel.of(), a catalog member or LlmModel.custom()`);
  if (!Number.isInteger(props.contextLength) || props.contextLength < 1) {
    out.push(`contextLength ${props.contextLength} is not a whole number >= 1; use the longest prompt plus output in tokens`);
  }
  const seqs = props.concurrentSequences ?? 1;
  if (!Number.isInteger(seqs) || seqs < 1)
    out.push(`concurrentSequences ${seqs} is not a whole number >= 1; use the sequences served at once`);
  const util = props.gpuMemoryUtilization ?? 0.9;
  if (!(util > 0 && util <= 1)) out.push(`gpuMemoryUtilization ${util} is not in (0, 1]; use a fraction such as 0.9`);
  return out;
}

/**
 * GPU memory needed to serve an LLM, and the tensor-parallel degree that makes it fit.
 *
 * Formulas (GiB = 2^30 bytes):
 * - weights = parameters × bytes per parameter
 * - KV bytes per token = 2 (K and V) × layers × kvHeads × headDim × KV bytes per element
 * - KV cache = KV bytes per token × contextLength × concurrentSequences
 * - overhead = 1 GiB per GPU (CUDA context, runtime) + 10% of weights (activations, CUDA graphs)
 * - usable per GPU = GPU memory × gpuMemoryUtilization
 *
 * With tensor parallelism `tp`, each GPU holds weights / tp and overhead 1 GiB + 10% × weights / tp.
 * KV heads split across GPUs only up to kvHeads; beyond that vLLM replicates them, so each GPU
 * holds KV / min(tp, kvHeads).
 */
export class MemoryPlan {
  /**
   * Plans memory for the given model and load.
   * @throws GpuDomainError when an input is out of range
   */
  public static plan(props: MemoryPlanProps): MemoryPlan {
    throwIfMessages(validateMemoryPlan(props));
    return new MemoryPlan(props);
  }

  /** The model. */
  public readonly model: LlmModel;
  /** Format of the weights. */
  public readonly weightsPrecision: Precision;
  /** Format of the KV cache. */
  public readonly kvCachePrecision: Precision;
  /** Tokens per sequence. */
  public readonly contextLength: number;
  /** Sequences held at once. */
  public readonly concurrentSequences: number;
  /** Fraction of GPU memory the server may use. */
  public readonly gpuMemoryUtilization: number;
  /** Memory of the weights in GiB. */
  public readonly weightsGib: number;
  /** KV cache bytes per token over all layers. */
  public readonly kvCacheBytesPerToken: number;
  /** KV cache for the whole load in GiB. */
  public readonly kvCacheGib: number;
  /** Runtime and activation allowance on a single GPU in GiB. */
  public readonly overheadGib: number;
  /** Weights, KV cache and overhead on a single GPU in GiB. */
  public readonly totalGib: number;

  private constructor(props: MemoryPlanProps) {
    this.model = props.model;
    this.weightsPrecision = props.weightsPrecision ?? Precision.BF16;
    this.kvCachePrecision = props.kvCachePrecision ?? Precision.BF16;
    this.contextLength = props.contextLength;
    this.concurrentSequences = props.concurrentSequences ?? 1;
    this.gpuMemoryUtilization = props.gpuMemoryUtilization ?? 0.9;
    const m = this.model;
    this.weightsGib = (m.parametersBillions * 1e9 * this.weightsPrecision.bytesPerParam) / GIB;
    this.kvCacheBytesPerToken = 2 * m.layers * m.kvHeads * m.headDim * this.kvCachePrecision.bytesPerParam;
    this.kvCacheGib = (this.kvCacheBytesPerToken * this.contextLength * this.concurrentSequences) / GIB;
    this.overheadGib = RUNTIME_GIB_PER_GPU + ACTIVATION_FRACTION_OF_WEIGHTS * this.weightsGib;
    this.totalGib = this.weightsGib + this.kvCacheGib + this.overheadGib;
  }

  /** Memory one GPU needs in GiB when the model is split over `tensorParallelDegree` GPUs. */
  public perGpuGib(tensorParallelDegree: number): number {
    const tp = tensorParallelDegree;
    if (!Number.isInteger(tp) || tp < 1) {
      throw new GpuDomainError(`tensorParallelDegree ${tp} is not a whole number >= 1; use the number of GPUs the model is split over`);
    }
    const weights = this.weightsGib / tp;
    const kv = this.kvCacheGib / Math.min(tp, this.model.kvHeads);
    return weights + kv + RUNTIME_GIB_PER_GPU + ACTIVATION_FRACTION_OF_WEIGHTS * weights;
  }

  /** Memory the server may use on one device of `gpu` in GiB. */
  public usableGib(gpu: Gpu): number {
    return gpu.memoryGib * this.gpuMemoryUtilization;
  }

  /**
   * True when the load fits on `count` GPUs of the model with tensor parallelism `count`.
   * Only memory is checked; see `tensorParallelDegree` for head divisibility.
   * @param count GPUs the model is split over; default 1
   */
  public fitsOnGpu(gpu: Gpu, count?: number): boolean {
    return this.perGpuGib(count ?? 1) <= this.usableGib(gpu);
  }

  /**
   * True when the load fits in one MIG instance of `profile` on `gpu` (MIG instances cannot be combined
   * for tensor parallelism in a single server).
   * @throws GpuDomainError when the GPU does not offer the profile
   */
  public fitsOnMigProfile(gpu: Gpu, profile: string): boolean {
    return this.perGpuGib(1) <= gpu.migProfile(profile).memoryGb * this.gpuMemoryUtilization;
  }

  /**
   * The smallest power-of-two tensor-parallel degree (1-16) at which each GPU's share fits, that
   * divides the attention heads and is compatible with the KV heads (vLLM's rules), within the
   * largest machine that carries the GPU. 0 when no such degree exists.
   */
  public tensorParallelDegree(gpu: Gpu): number {
    return this.tensorParallelDegreeWithin(gpu.memoryGib, Math.max(1, Math.min(16, gpu.maxAcceleratorsPerMachine)));
  }

  /**
   * The smallest power-of-two tensor-parallel degree up to `maxDegree` (and 16) at which each device's share
   * fits in `deviceMemoryGib` × gpuMemoryUtilization and the attention heads split (see
   * `splitsAttentionHeads`). 0 when no such degree exists.
   * @param deviceMemoryGib memory of one device in GiB
   * @param maxDegree most devices the model may be split over, e.g. the GPUs of one node
   */
  public tensorParallelDegreeWithin(deviceMemoryGib: number, maxDegree: number): number {
    for (const tp of TP_DEGREES) {
      if (tp > maxDegree) break;
      if (this.splitsAttentionHeads(tp) && this.perGpuGib(tp) <= deviceMemoryGib * this.gpuMemoryUtilization) return tp;
    }
    return 0;
  }

  /**
   * True when vLLM can split the model's heads over `tensorParallelDegree` GPUs: the degree divides the
   * attention heads, and divides the KV heads or is a multiple of them (KV heads are then replicated).
   */
  public splitsAttentionHeads(tensorParallelDegree: number): boolean {
    const m = this.model;
    const tp = tensorParallelDegree;
    return Number.isInteger(tp) && tp >= 1 && m.attentionHeads % tp === 0 && (m.kvHeads % tp === 0 || tp % m.kvHeads === 0);
  }

  /** One-line summary of the plan on `gpu`, for logs and docs. */
  public explain(gpu: Gpu): string {
    const f = (n: number) => `${n.toFixed(1)} GiB`;
    const head =
      `${this.model.name} ${this.weightsPrecision.name}: weights ${f(this.weightsGib)} + KV ${f(this.kvCacheGib)}` +
      ` (${this.kvCachePrecision.name}, ${this.contextLength} tokens x ${this.concurrentSequences} sequences)` +
      ` + overhead ${f(this.overheadGib)} = ${f(this.totalGib)}`;
    const usable = `${f(this.usableGib(gpu))} usable per GPU`;
    const tp = this.tensorParallelDegree(gpu);
    if (tp === 1) return `${head}; fits on one ${gpu.displayName} (${usable})`;
    if (tp > 1) return `${head}; needs tensor parallelism ${tp} on ${gpu.displayName} (${f(this.perGpuGib(tp))} per GPU of ${usable})`;
    return `${head}; does not fit on ${gpu.displayName} within ${Math.max(1, Math.min(16, gpu.maxAcceleratorsPerMachine))} GPUs (${usable}); use a larger GPU, a lower precision, a shorter context or fewer sequences`;
  }
}
