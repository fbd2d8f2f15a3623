import {
  Cloud,
  EndpointAccess,
  ExistingCluster,
  Gpu,
  GpuInferenceCluster,
  GpuNodePool,
  IAcceleratorCluster,
  LlmModel,
  MemoryPlan,
  MigLayout,
  Precision,
  TaintEffect,
} from '../../lib';
import { validateModelArchitecture } from '../../lib/gpu';
import { EmbeddingModel, RerankerModel } from '../../lib/rag/models';
import { ModelTask, ServedModel, ServedModelOptions } from '../../lib/rag/served-model';
import { planServedModel, ServingPlan } from '../../lib/rag/serving-plan';
import { awsStack } from '../helpers';

const GIB = 2 ** 30;

/** A new EKS cluster: whole H100s (8 per node), uniform MIG slices, whole and time-sliced L4s, Inferentia. */
function eksCluster(): GpuInferenceCluster {
  return new GpuInferenceCluster(awsStack(), 'Cluster', {
    cloud: Cloud.aws({ endpointAccess: EndpointAccess.publicAndPrivate(['203.0.113.0/24']) }),
    clusterName: 'ai',
    nodePools: [
      GpuNodePool.inference('h100', { gpu: Gpu.H100_80GB, instanceType: 'p5.48xlarge', maxNodes: 2 }),
      GpuNodePool.inference('mig1g', { gpu: Gpu.H100_80GB, mig: MigLayout.uniform('1g.10gb'), maxNodes: 2 }),
      GpuNodePool.inference('mig3g', { gpu: Gpu.H100_80GB, mig: MigLayout.uniform('3g.40gb'), maxNodes: 2 }),
      GpuNodePool.inference('l4', { gpu: Gpu.L4, maxNodes: 4 }),
      GpuNodePool.inference('l4-shared', { gpu: Gpu.L4, timeSlicing: 4, spot: true, allowSpotInterruptions: true, maxNodes: 4 }),
      GpuNodePool.neuron('inf2', { instanceType: 'inf2.8xlarge', maxNodes: 2 }),
    ],
  });
}

/** A new EKS cluster whose MIG pool mixes profiles, so the device plugin advertises nvidia.com/mig-<profile>. */
function mixedMigCluster(): GpuInferenceCluster {
  return new GpuInferenceCluster(awsStack(), 'Cluster', {
    cloud: Cloud.aws({ endpointAccess: EndpointAccess.publicAndPrivate(['203.0.113.0/24']) }),
    clusterName: 'ai',
    nodePools: [
      GpuNodePool.inference('mixed', {
        gpu: Gpu.H100_80GB,
        mig: MigLayout.mixed([
          { profile: '3g.40gb', count: 1 },
          { profile: '2g.20gb', count: 1 },
          { profile: '1g.10gb', count: 2 },
        ]),
        maxNodes: 2,
      }),
    ],
  });
}

/** An existing EKS cluster described by what its nodes advertise. */
function existingCluster(): ExistingCluster {
  return ExistingCluster.fromEks(awsStack(), 'Shared', {
    clusterName: 'shared',
    storageClassName: 'gp3',
    acceleratorPools: [
      {
        name: 'a100',
        labels: { 'nvidia.com/gpu.product': 'NVIDIA-A100-SXM4-80GB', team: 'ml' },
        taints: [{ key: 'dedicated', value: 'llm', effect: TaintEffect.NO_EXECUTE }],
        // GPU model left out: the memory of one unit is what counts.
        capacity: [{ name: 'nvidia.com/gpu', count: 8, memoryGib: 80 }],
        maxNodes: 2,
      },
      {
        name: 'l4-shared',
        gpu: Gpu.L4,
        labels: { pool: 'l4-shared' },
        capacity: [{ name: 'nvidia.com/gpu', count: 4, memoryGib: 6 }],
        maxNodes: 2,
      },
      { name: 'unknown', labels: { pool: 'unknown' }, capacity: [{ name: 'nvidia.com/gpu', count: 1 }], maxNodes: 2 },
    ],
  });
}

function plan(model: LlmModel, options: ServedModelOptions, cluster: IAcceleratorCluster, task = ModelTask.GENERATE): ServingPlan {
  const result = planServedModel(ServedModel.of(model, options), task, cluster);
  expect(result.problems).toEqual([]);
  expect(result.plan).toBeDefined();
  return result.plan!;
}

function problems(model: LlmModel, options: ServedModelOptions, cluster: IAcceleratorCluster, task = ModelTask.GENERATE): string[] {
  const result = planServedModel(ServedModel.of(model, options), task, cluster);
  expect(result.plan).toBeUndefined();
  return result.problems;
}

/** The plan matches the pool: it requests a resource the pool advertises, selects all its labels, tolerates exactly its taints. */
function expectMatchesPool(p: ServingPlan, cluster: IAcceleratorCluster) {
  const pool = cluster.acceleratorPools.find((x) => x.name === p.pool)!;
  const advertised = pool.capacity.find((c) => c.name === p.resourceName);
  expect(advertised).toBeDefined();
  expect(advertised!.count).toBeGreaterThanOrEqual(p.resourceCount);
  expect(p.resourceCount).toBe(p.tensorParallelSize);
  expect(p.nodeLabels).toEqual(pool.labels);
  expect(p.tolerations).toEqual(pool.taints.map((t) => ({ key: t.key, operator: 'Equal', value: t.value, effect: t.effect })));
}

describe('model catalogs', () => {
  test('every generation model names its instruct repository and context window', () => {
    expect(LlmModel.all().map((m) => [m.name, m.repository, m.maxContextLength])).toEqual([
      ['llama-3.1-8b', 'meta-llama/Llama-3.1-8B-Instruct', 131072],
      ['llama-3.1-70b', 'meta-llama/Llama-3.1-70B-Instruct', 131072],
      ['llama-3.1-405b', 'meta-llama/Llama-3.1-405B-Instruct', 131072],
      ['mistral-7b', 'mistralai/Mistral-7B-Instruct-v0.3', 32768],
      ['mixtral-8x7b', 'mistralai/Mixtral-8x7B-Instruct-v0.1', 32768],
      ['qwen2.5-7b', 'Qwen/Qwen2.5-7B-Instruct', 32768],
      ['qwen2.5-72b', 'Qwen/Qwen2.5-72B-Instruct', 32768],
      ['gemma-2-9b', 'google/gemma-2-9b-it', 8192],
    ]);
  });

  test('embedding models and rerankers are LlmModels with config.json numbers', () => {
    expect(
      EmbeddingModel.all().map((m) => [m.name, m.repository, m.layers, m.attentionHeads, m.kvHeads, m.headDim, m.maxContextLength]),
    ).toEqual([
      ['bge-m3', 'BAAI/bge-m3', 24, 16, 16, 64, 8192],
      ['bge-large-en-v1.5', 'BAAI/bge-large-en-v1.5', 24, 16, 16, 64, 512],
      ['e5-mistral-7b-instruct', 'intfloat/e5-mistral-7b-instruct', 32, 32, 8, 128, 4096],
    ]);
    expect(RerankerModel.all().map((m) => [m.name, m.repository, m.maxContextLength])).toEqual([
      ['bge-reranker-v2-m3', 'BAAI/bge-reranker-v2-m3', 8192],
      ['bge-reranker-large', 'BAAI/bge-reranker-large', 512],
    ]);
    for (const m of [...LlmModel.all(), ...EmbeddingModel.all(), ...RerankerModel.all()]) {
      expect(m).toBeInstanceOf(LlmModel);
      expect(validateModelArchitecture(m)).toEqual([]);
    }
    // hidden_size 1024 over 16 heads; bf16 weights of 568M parameters.
    const m3 = MemoryPlan.plan({ model: EmbeddingModel.BGE_M3, contextLength: 8192 });
    expect(m3.weightsGib).toBeCloseTo((0.568e9 * 2) / GIB, 6);
    expect(m3.kvCacheBytesPerToken).toBe(2 * 24 * 16 * 64 * 2);
  });

  test('repository and maxContextLength are checked on custom models', () => {
    expect(
      validateModelArchitecture({
        name: 'x',
        parametersBillions: 1,
        layers: 1,
        attentionHeads: 8,
        kvHeads: 8,
        headDim: 64,
        repository: 'no-slash',
        maxContextLength: 0,
      }),
    ).toEqual([
      "repository 'no-slash' is not a Hugging Face repository id; use <org>/<name>, e.g. 'meta-llama/Llama-3.1-8B-Instruct'",
      "maxContextLength 0 is not a whole number >= 1; use the model's context window in tokens (max_position_embeddings in config.json)",
    ]);
    const custom = LlmModel.custom({ name: 'tiny', parametersBillions: 1.1, layers: 22, attentionHeads: 32, kvHeads: 4, headDim: 64 });
    expect(custom.repository).toBeUndefined();
    expect(custom.maxContextLength).toBeUndefined();
  });
});

describe('ServedModel defaults', () => {
  test('context and sequences depend on the task', () => {
    const llama = ServedModel.of(LlmModel.LLAMA_3_1_8B, { pool: 'l4' });
    expect(llama.contextLengthFor(ModelTask.GENERATE)).toBe(8192);
    expect(llama.concurrentSequencesFor(ModelTask.GENERATE)).toBe(16);
    expect(llama.weightsPrecision).toBe(Precision.BF16);
    expect([llama.minReplicas, llama.maxReplicas, llama.servedName]).toEqual([1, 4, 'llama-3.1-8b']);
    const m3 = ServedModel.of(EmbeddingModel.BGE_M3, { pool: 'l4' });
    expect(m3.contextLengthFor(ModelTask.EMBED)).toBe(8192);
    expect(m3.concurrentSequencesFor(ModelTask.EMBED)).toBe(64);
    expect(ServedModel.of(RerankerModel.BGE_RERANKER_LARGE, { pool: 'l4' }).contextLengthFor(ModelTask.SCORE)).toBe(512);
    const custom = ServedModel.of(
      LlmModel.custom({ name: 'c', parametersBillions: 1, layers: 2, attentionHeads: 8, kvHeads: 8, headDim: 64 }),
      { pool: 'l4' },
    );
    expect(custom.contextLengthFor(ModelTask.GENERATE)).toBe(8192);
    expect(custom.contextLengthFor(ModelTask.EMBED)).toBe(512);
    expect(ServedModel.of(LlmModel.GEMMA_2_9B, { pool: 'l4', servedName: 'chat' }).servedName).toBe('chat');
  });
});

describe('planServedModel on a new EKS cluster', () => {
  const cluster = eksCluster();

  test('Llama 3.1 8B fits one whole L4 at 8192 tokens x 4 sequences', () => {
    const p = plan(LlmModel.LLAMA_3_1_8B, { pool: 'l4', concurrentSequences: 4 }, cluster);
    expect(p).toMatchObject({
      pool: 'l4',
      servedName: 'llama-3.1-8b',
      repository: 'meta-llama/Llama-3.1-8B-Instruct',
      task: 'generate',
      tensorParallelSize: 1,
      maxModelLen: 8192,
      maxNumSeqs: 4,
      gpuMemoryUtilization: 0.9,
      resourceName: 'nvidia.com/gpu',
      resourceCount: 1,
      minReplicas: 1,
      maxReplicas: 4,
    });
    // 14.96 GiB weights x 2.5 + 10 = 47.4 -> 48; 300 s + 14.96 / 0.1 = 449.6 -> 450.
    expect(p.weightsGib).toBeCloseTo(14.96, 2);
    expect(p.cacheVolumeGib).toBe(48);
    expect(p.startupSeconds).toBe(450);
    // 14.96 + 4 KV + 1 + 1.50 = 21.45 GiB of 0.9 x 24.
    expect(p.explanation).toBe(
      "llama-3.1-8b bf16 on pool 'l4': 21.5 GiB per device (weights 15.0 GiB + KV 4.0 GiB for 8192 tokens x 4 sequences + overhead 2.5 GiB) of 21.6 GiB usable (0.9 x 24.0 GiB), 1 x nvidia.com/gpu (whole GPU of 24.0 GiB)",
    );
    expectMatchesPool(p, cluster);
  });

  test('Llama 3.1 8B at the default 16 sequences does not fit an L4: the message says what would', () => {
    // Room for KV: 21.6 - 17.45 = 4.15 GiB = 33,976 tokens: 2123 per sequence at 16, 4 sequences at 8192.
    expect(problems(LlmModel.LLAMA_3_1_8B, { pool: 'l4' }, cluster)).toEqual([
      "generator llama-3.1-8b (bf16, 8192 tokens x 16 sequences) needs 33.5 GiB per device on pool 'l4', more than the 21.6 GiB usable of nvidia.com/gpu (0.9 x 24.0 GiB); use contextLength <= 2048 at 16 sequences, concurrentSequences <= 4 at 8192 tokens, weightsPrecision int4 (quantised weights), or a pool with a larger GPU or more GPUs per node",
    ]);
  });

  test('Llama 3.1 8B does not fit a 1g.10gb MIG slice', () => {
    expect(problems(LlmModel.LLAMA_3_1_8B, { pool: 'mig1g', concurrentSequences: 4 }, cluster)).toEqual([
      "generator llama-3.1-8b (bf16, 8192 tokens x 4 sequences) needs 21.5 GiB per device on pool 'mig1g', more than the 9.0 GiB usable of nvidia.com/gpu (0.9 x 10.0 GiB); use a pool with a larger MIG profile or whole GPUs",
    ]);
  });

  test('Llama 3.1 8B fits a 3g.40gb slice, advertised as nvidia.com/gpu under the single strategy', () => {
    expect(cluster.migStrategy).toBe('single');
    const p = plan(LlmModel.LLAMA_3_1_8B, { pool: 'mig3g' }, cluster);
    expect(p).toMatchObject({ resourceName: 'nvidia.com/gpu', resourceCount: 1, tensorParallelSize: 1, gpuMemoryUtilization: 0.9 });
    expect(p.explanation).toMatch(/of 36\.0 GiB usable \(0\.9 x 40\.0 GiB\), 1 x nvidia\.com\/gpu \(MIG instance of 40\.0 GiB\)$/);
    expectMatchesPool(p, cluster);
  });

  test('Llama 3.1 70B needs tensor parallelism within one 8-GPU H100 node', () => {
    // bf16: 131.5 GiB of weights; per GPU at tp 2: 65.8 + 6.6 + 1 + 20 KV = 93.3 > 72; at tp 4: 47.2.
    const bf16 = plan(LlmModel.LLAMA_3_1_70B, { pool: 'h100' }, cluster);
    expect([bf16.tensorParallelSize, bf16.resourceCount, bf16.resourceName]).toEqual([4, 4, 'nvidia.com/gpu']);
    expect(bf16.explanation).toMatch(
      /^llama-3\.1-70b bf16 on pool 'h100': 47\.2 GiB per device .* tensor parallelism 4 over 4 x nvidia\.com\/gpu/,
    );
    expectMatchesPool(bf16, cluster);
    const fp8 = plan(LlmModel.LLAMA_3_1_70B, { pool: 'h100', weightsPrecision: Precision.FP8 }, cluster);
    expect([fp8.tensorParallelSize, fp8.resourceCount]).toEqual([2, 2]);
    expect(fp8.weightsGib).toBeCloseTo(65.75, 2);
    // 405B bf16 needs more than one node of 8: no placement.
    expect(problems(LlmModel.LLAMA_3_1_405B, { pool: 'h100' }, cluster)).toEqual([
      expect.stringMatching(
        /^generator llama-3\.1-405b \(bf16, 8192 tokens x 16 sequences\) needs \d+\.\d GiB per device split over 8 GPUs on pool 'h100', more than the 72\.0 GiB usable of nvidia\.com\/gpu \(0\.9 x 80\.0 GiB\); use weightsPrecision fp8 \(quantised weights\), or a pool with a larger GPU or more GPUs per node$/,
      ),
    ]);
  });

  test('tensor parallelism is never used over MIG slices or time-sliced shares', () => {
    expect(problems(LlmModel.LLAMA_3_1_70B, { pool: 'mig3g' }, cluster)[0]).toMatch(/needs \d+\.\d GiB per device on pool 'mig3g'/);
    expect(problems(LlmModel.LLAMA_3_1_8B, { pool: 'l4-shared' }, cluster)[0]).toMatch(
      /needs 33\.5 GiB per device on pool 'l4-shared', more than the 5\.4 GiB usable of nvidia\.com\/gpu \(0\.225 x 24\.0 GiB\); use a pool with fewer time-slicing replicas or a larger GPU$/,
    );
  });

  test('a time-sliced share gets its share of the device as gpuMemoryUtilization', () => {
    const p = plan(EmbeddingModel.BGE_M3, { pool: 'l4-shared' }, cluster, ModelTask.EMBED);
    // 6 GiB of a 24 GiB L4, times the usual 0.9: four servers on one GPU take 90% of it together.
    expect(p.gpuMemoryUtilization).toBeCloseTo((0.9 * 6) / 24, 6);
    expect(p).toMatchObject({
      task: 'embed',
      resourceName: 'nvidia.com/gpu',
      resourceCount: 1,
      tensorParallelSize: 1,
      maxModelLen: 8192,
      maxNumSeqs: 64,
    });
    // One pooling step holds 32768 tokens: 4 sequences of 8192.
    expect(p.explanation).toMatch(
      /KV 3\.0 GiB for 8192 tokens x 4 sequences .* of 5\.4 GiB usable \(0\.225 x 24\.0 GiB\), 1 x nvidia\.com\/gpu \(time-sliced share of 6\.0 GiB of a 24\.0 GiB GPU\)$/,
    );
    // Spot pool: both taints tolerated, exactly.
    expect(p.tolerations).toEqual([
      { key: 'nvidia.com/gpu', operator: 'Equal', value: 'true', effect: 'NoSchedule' },
      { key: 'ai-platform.dev/spot', operator: 'Equal', value: 'true', effect: 'NoSchedule' },
    ]);
    expectMatchesPool(p, cluster);
  });

  test('embedder and reranker fit a 1g.10gb slice', () => {
    const m3 = plan(EmbeddingModel.BGE_M3, { pool: 'mig1g' }, cluster, ModelTask.EMBED);
    expect(m3).toMatchObject({
      servedName: 'bge-m3',
      repository: 'BAAI/bge-m3',
      resourceName: 'nvidia.com/gpu',
      resourceCount: 1,
      gpuMemoryUtilization: 0.9,
    });
    expect(m3.explanation).toMatch(/^bge-m3 bf16 on pool 'mig1g': 5\.2 GiB per device .* of 9\.0 GiB usable/);
    expectMatchesPool(m3, cluster);
    const rr = plan(RerankerModel.BGE_RERANKER_V2_M3, { pool: 'mig1g', minReplicas: 0 }, cluster, ModelTask.SCORE);
    expect(rr).toMatchObject({ task: 'score', maxModelLen: 8192, minReplicas: 0, cacheVolumeGib: 13 });
    const e5 = plan(EmbeddingModel.E5_MISTRAL_7B, { pool: 'l4' }, cluster, ModelTask.EMBED);
    expect([e5.maxModelLen, e5.resourceName]).toEqual([4096, 'nvidia.com/gpu']);
  });

  test('the smallest device that fits is chosen', () => {
    const cl = mixedMigCluster();
    expect(cl.migStrategy).toBe('mixed');
    const m3 = plan(EmbeddingModel.BGE_M3, { pool: 'mixed' }, cl, ModelTask.EMBED);
    expect(m3.resourceName).toBe('nvidia.com/mig-1g.10gb');
    expectMatchesPool(m3, cl);
    // 21.5 GiB: more than 2g.20gb gives (18 usable), within 3g.40gb.
    const llama = plan(LlmModel.LLAMA_3_1_8B, { pool: 'mixed', concurrentSequences: 4 }, cl);
    expect(llama.resourceName).toBe('nvidia.com/mig-3g.40gb');
    expectMatchesPool(llama, cl);
  });

  test('unknown and Neuron pools', () => {
    expect(problems(LlmModel.LLAMA_3_1_8B, { pool: 'a10' }, cluster)).toEqual([
      "generator.pool 'a10' is not an accelerator pool of cluster ai (pools: h100, mig1g, mig3g, l4, l4-shared, inf2); use one of h100, mig1g, mig3g, l4, l4-shared",
    ]);
    expect(problems(EmbeddingModel.BGE_M3, { pool: 'inf2' }, cluster, ModelTask.EMBED)).toEqual([
      "embedder.pool 'inf2' is an AWS Neuron pool and the model server runs vLLM on CUDA; serve on an NVIDIA pool: use one of h100, mig1g, mig3g, l4, l4-shared",
    ]);
  });

  test('every input problem at once, with the caller prefix', () => {
    const noRepo = LlmModel.custom({
      name: 'Tiny',
      parametersBillions: 1,
      layers: 2,
      attentionHeads: 8,
      kvHeads: 8,
      headDim: 64,
      maxContextLength: 2048,
    });
    const result = planServedModel(
      ServedModel.of(noRepo, { pool: 'l4', contextLength: 4096, concurrentSequences: 0, minReplicas: 3, maxReplicas: 2 }),
      ModelTask.GENERATE,
      cluster,
      'rag.generator',
    );
    expect(result.plan).toBeUndefined();
    expect(result.problems).toEqual([
      "rag.generator.model Tiny has no repository; give LlmModel.custom() the Hugging Face repository id to serve, e.g. repository: 'org/model'",
      "rag.generator.servedName 'Tiny' is not a lower-case DNS-style name; use 1-63 lower-case letters, digits, '-' or '.', starting and ending with a letter or digit",
      'rag.generator.minReplicas 3 is greater than maxReplicas 2; use minReplicas <= maxReplicas',
      'rag.generator.contextLength 4096 is longer than Tiny supports (2048 tokens); use at most 2048',
      'rag.generator.concurrentSequences 0 is not a whole number >= 1; use the sequences one server processes at once',
    ]);
    expect(problems(LlmModel.LLAMA_3_1_8B, { pool: 'l4', minReplicas: -1, maxReplicas: 0.5, servedName: 'x'.repeat(64) }, cluster)).toEqual(
      [
        expect.stringMatching(/^generator\.servedName 'x{64}' is not a lower-case DNS-style name/),
        'generator.minReplicas -1 is not a whole number >= 0; use 0 to scale to zero, or the replicas always running',
        'generator.maxReplicas 0.5 is not a whole number >= 1; use the most replicas the model may scale to',
        expect.stringMatching(/^generator llama-3\.1-8b .* needs 33\.5 GiB per device/),
      ],
    );
  });
});

describe('planServedModel on an existing cluster', () => {
  const cluster = existingCluster();

  test('whole GPUs of an unnamed model: memoryGib decides, tensor parallelism within the node', () => {
    const p = plan(LlmModel.LLAMA_3_1_70B, { pool: 'a100' }, cluster);
    expect([p.tensorParallelSize, p.resourceCount, p.gpuMemoryUtilization]).toEqual([4, 4, 0.9]);
    expect(p.nodeLabels).toEqual({ 'nvidia.com/gpu.product': 'NVIDIA-A100-SXM4-80GB', team: 'ml' });
    expect(p.tolerations).toEqual([{ key: 'dedicated', operator: 'Equal', value: 'llm', effect: 'NoExecute' }]);
    expectMatchesPool(p, cluster);
  });

  test('a described time-sliced share', () => {
    const p = plan(RerankerModel.BGE_RERANKER_LARGE, { pool: 'l4-shared' }, cluster, ModelTask.SCORE);
    expect(p.gpuMemoryUtilization).toBeCloseTo(0.225, 6);
    expect(p.tolerations).toEqual([]);
    expectMatchesPool(p, cluster);
  });

  test('a pool without memoryGib asks for it', () => {
    expect(problems(EmbeddingModel.BGE_M3, { pool: 'unknown' }, cluster, ModelTask.EMBED)).toEqual([
      "embedder.pool 'unknown' advertises no NVIDIA device with known memory (capacity: nvidia.com/gpu x1); on an existing cluster set memoryGib on the pool's capacity entries (or its gpu), e.g. { name: 'nvidia.com/gpu', count: 1, memoryGib: 24 }",
    ]);
  });
});
