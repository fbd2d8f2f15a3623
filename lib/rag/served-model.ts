import { LlmModel, Precision } from '../gpu/memory-planner';

/** What a served model does, which decides how vLLM runs it and how its memory is sized. */
export enum ModelTask {
  /** Text generation (chat and completions API). */
  GENERATE = 'generate',
  /** Embeddings (embeddings API); vLLM runs a pooling model: `--runner pooling --convert embed`. */
  EMBED = 'embed',
  /** Relevance scores of query/passage pairs (score and rerank APIs): `--runner pooling --convert score`. */
  SCORE = 'score',
}

/** Where and how a model is served. */
export interface ServedModelOptions {
  /** Name of the accelerator pool of the cluster whose nodes run the model server. */
  readonly pool: string;
  /**
   * Tokens per sequence (prompt plus output) the server accepts: vLLM `--max-model-len`.
   * @default - generation: the model's context window, at most 8192; embeddings and scores: the model's context window (512 when unknown)
   */
  readonly contextLength?: number;
  /**
   * Sequences one server processes at once: vLLM `--max-num-seqs`.
   * @default - 16 for generation, 64 for embeddings and scores
   */
  readonly concurrentSequences?: number;
  /**
   * Format of the weights in GPU memory.
   * @default Precision.BF16
   */
  readonly weightsPrecision?: Precision;
  /**
   * Fewest replicas; 0 lets the model scale to zero when idle.
   * @default 1
   */
  readonly minReplicas?: number;
  /**
   * Most replicas.
   * @default 4
   */
  readonly maxReplicas?: number;
  /**
   * Name clients give in the OpenAI-compatible API (`model` field): vLLM `--served-model-name`.
   * @default - the model's name, e.g. 'llama-3.1-8b'
   */
  readonly servedName?: string;
}

/** Default context of generation models: long enough for RAG prompts, short enough to keep KV memory modest. */
const GENERATE_DEFAULT_CONTEXT = 8192;
/** Default context of pooling models whose window is unknown: BERT-class encoders take 512 tokens. */
const POOLING_DEFAULT_CONTEXT = 512;
const GENERATE_DEFAULT_SEQUENCES = 16;
const POOLING_DEFAULT_SEQUENCES = 64;
const DEFAULT_MIN_REPLICAS = 1;
const DEFAULT_MAX_REPLICAS = 4;

/**
 * A model and where and how to serve it.
 *
 * ```ts
 * ServedModel.of(LlmModel.LLAMA_3_1_8B, { pool: 'l4', contextLength: 8192, concurrentSequences: 4 })
 * ```
 */
export class ServedModel {
  /** Serves `model` with `options`; problems are reported when the model is planned onto a cluster. */
  public static of(model: LlmModel, options: ServedModelOptions): ServedModel {
    return new ServedModel(model, options);
  }

  /** The model. */
  public readonly model: LlmModel;
  /** The options as given. */
  public readonly options: ServedModelOptions;

  private constructor(model: LlmModel, options: ServedModelOptions) {
    this.model = model;
    this.options = options;
  }

  /** Name of the accelerator pool. */
  public get pool(): string {
    return this.options.pool;
  }

  /** Format of the weights. */
  public get weightsPrecision(): Precision {
    return this.options.weightsPrecision ?? Precision.BF16;
  }

  /** Fewest replicas. */
  public get minReplicas(): number {
    return this.options.minReplicas ?? DEFAULT_MIN_REPLICAS;
  }

  /** Most replicas. */
  public get maxReplicas(): number {
    return this.options.maxReplicas ?? DEFAULT_MAX_REPLICAS;
  }

  /** Name in the OpenAI-compatible API. */
  public get servedName(): string {
    return this.options.servedName ?? this.model?.name;
  }

  /** Tokens per sequence when serving for `task`: the option, or the task's default. */
  public contextLengthFor(task: ModelTask): number {
    if (this.options.contextLength !== undefined) return this.options.contextLength;
    const max = this.model?.maxContextLength;
    if (task === ModelTask.GENERATE) return Math.min(max ?? GENERATE_DEFAULT_CONTEXT, GENERATE_DEFAULT_CONTEXT);
    return max ?? POOLING_DEFAULT_CONTEXT;
  }

  /** Sequences processed at once when serving for `task`: the option, or the task's default. */
  public concurrentSequencesFor(task: ModelTask): number {
    if (this.options.concurrentSequences !== undefined) return this.options.concurrentSequences;
    return task === ModelTask.GENERATE ? GENERATE_DEFAULT_SEQUENCES : POOLING_DEFAULT_SEQUENCES;
  }
}
