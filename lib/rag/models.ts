import { LlmModel } from '../gpu/memory-planner';

// Architecture numbers are copied from each repository's config.json: layers = num_hidden_layers,
// attentionHeads = num_attention_heads, kvHeads = num_key_value_heads (encoders have no grouped-query
// attention: kvHeads = attentionHeads), headDim = hidden_size / num_attention_heads. XLM-RoBERTa models
// list max_position_embeddings 8194 (or 514): two positions are reserved for the padding offset, so they
// take 8192 (or 512) tokens.

/**
 * A 24-layer encoder of 1024 dimensions (BERT large, XLM-RoBERTa large): 16 heads of 64, no grouped-query
 * attention. Every bge model here is one; only name, size and context differ.
 */
function largeEncoder(name: string, repository: string, parametersBillions: number, maxContextLength: number): LlmModel {
  return LlmModel.custom({
    name,
    repository,
    parametersBillions,
    layers: 24,
    attentionHeads: 16,
    kvHeads: 16,
    headDim: 64,
    maxContextLength,
  });
}

/**
 * Embedding models for retrieval, as `LlmModel`s so `MemoryPlan` and `ServedModel` size them like any model.
 * vLLM serves them as pooling models (`--runner pooling --convert embed`).
 */
export class EmbeddingModel {
  /** BAAI bge-m3: multilingual (100+ languages), 1024-dimension dense vectors, 8192 tokens; XLM-RoBERTa large. */
  public static readonly BGE_M3: LlmModel = largeEncoder('bge-m3', 'BAAI/bge-m3', 0.568, 8192);
  /** BAAI bge-large-en-v1.5: English, 1024-dimension vectors, 512 tokens; BERT large. */
  public static readonly BGE_LARGE_EN_V1_5: LlmModel = largeEncoder('bge-large-en-v1.5', 'BAAI/bge-large-en-v1.5', 0.335, 512);
  /**
   * intfloat e5-mistral-7b-instruct: 4096-dimension vectors from Mistral 7B (decoder, grouped-query attention).
   * Trained on 4096 tokens; config.json allows 32768, longer inputs are not recommended.
   */
  public static readonly E5_MISTRAL_7B: LlmModel = LlmModel.custom({
    name: 'e5-mistral-7b-instruct',
    repository: 'intfloat/e5-mistral-7b-instruct',
    parametersBillions: 7.11,
    layers: 32,
    attentionHeads: 32,
    kvHeads: 8,
    headDim: 128,
    maxContextLength: 4096,
  });

  /** Every embedding model of the catalog. */
  public static all(): LlmModel[] {
    return [EmbeddingModel.BGE_M3, EmbeddingModel.BGE_LARGE_EN_V1_5, EmbeddingModel.E5_MISTRAL_7B];
  }

  private constructor() {}
}

/**
 * Cross-encoder rerankers (query and passage in, relevance score out), as `LlmModel`s. vLLM serves them as
 * pooling models (`--runner pooling --convert score`).
 */
export class RerankerModel {
  /** BAAI bge-reranker-v2-m3: multilingual, 8192 tokens; XLM-RoBERTa large (from bge-m3). */
  public static readonly BGE_RERANKER_V2_M3: LlmModel = largeEncoder('bge-reranker-v2-m3', 'BAAI/bge-reranker-v2-m3', 0.568, 8192);
  /** BAAI bge-reranker-large: English and Chinese, 512 tokens; XLM-RoBERTa large. */
  public static readonly BGE_RERANKER_LARGE: LlmModel = largeEncoder('bge-reranker-large', 'BAAI/bge-reranker-large', 0.56, 512);

  /** Every reranker of the catalog. */
  public static all(): LlmModel[] {
    return [RerankerModel.BGE_RERANKER_V2_M3, RerankerModel.BGE_RERANKER_LARGE];
  }

  private constructor() {}
}
