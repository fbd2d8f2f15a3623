import { Gpu, GpuDomainError, LlmModel, MemoryPlan, Precision, validateMemoryPlan, validateModelArchitecture } from '../../lib/gpu';

const GIB = 2 ** 30;

describe('Precision', () => {
  test('bytes per parameter', () => {
    expect(Precision.all().map((p) => [p.name, p.bytesPerParam])).toEqual([
      ['fp32', 4],
      ['bf16', 2],
      ['fp16', 2],
      ['fp8', 1],
      ['int8', 1],
      ['int4', 0.5],
    ]);
    expect(Precision.of('BF16')).toBe(Precision.BF16);
    expect(() => Precision.of('fp6')).toThrow(/^precision 'fp6' is not known; use one of fp32, bf16, fp16, fp8, int8, int4$/);
  });
});

describe('LlmModel', () => {
  test('catalog', () => {
    expect(LlmModel.all()).toHaveLength(8);
    expect(LlmModel.of('Llama-3.1-70B')).toBe(LlmModel.LLAMA_3_1_70B);
    expect(LlmModel.GEMMA_2_9B).toMatchObject({ parametersBillions: 9.24, layers: 42, attentionHeads: 16, kvHeads: 8, headDim: 256 });
    for (const m of LlmModel.all()) expect(validateModelArchitecture(m)).toEqual([]);
    expect(() => LlmModel.of('gpt-5')).toThrow(
      /^model 'gpt-5' is not in the model catalog; use one of llama-3.1-8b, .*, or LlmModel.custom\(\)$/,
    );
  });

  test('custom models are validated', () => {
    const ok = LlmModel.custom({ name: 'tiny', parametersBillions: 1.1, layers: 22, attentionHeads: 32, kvHeads: 4, headDim: 64 });
    expect(ok.kvHeads).toBe(4);
    expect(() => LlmModel.custom({ name: 'x', parametersBillions: 1, layers: 1, attentionHeads: 32, kvHeads: 6, headDim: 64 })).toThrow(
      GpuDomainError,
    );
    expect(validateModelArchitecture({ name: '', parametersBillions: 0, layers: 0, attentionHeads: 32, kvHeads: 6, headDim: 1.5 })).toEqual(
      [
        expect.stringMatching(/^name '' is empty; give the model an id/),
        expect.stringMatching(/^parametersBillions 0 is not a positive number; use the parameter count in billions/),
        expect.stringMatching(/^layers 0 is not a whole number >= 1; copy it from the model's config.json$/),
        expect.stringMatching(/^headDim 1.5 is not a whole number >= 1/),
        expect.stringMatching(
          /^kvHeads 6 does not divide attentionHeads 32; grouped-query attention needs attentionHeads to be a multiple of kvHeads$/,
        ),
      ],
    );
  });
});

describe('MemoryPlan', () => {
  const llama8b = MemoryPlan.plan({ model: LlmModel.LLAMA_3_1_8B, contextLength: 8192, concurrentSequences: 16 });
  const llama70b = MemoryPlan.plan({ model: LlmModel.LLAMA_3_1_70B, contextLength: 8192, concurrentSequences: 16 });

  test('Llama 3.1 8B BF16 worked numbers', () => {
    expect(llama8b.weightsPrecision).toBe(Precision.BF16);
    expect(llama8b.kvCachePrecision).toBe(Precision.BF16);
    expect(llama8b.gpuMemoryUtilization).toBe(0.9);
    expect(llama8b.weightsGib).toBeCloseTo((8.03e9 * 2) / GIB, 6);
    expect(llama8b.weightsGib).toBeCloseTo(14.96, 2);
    expect(llama8b.kvCacheBytesPerToken).toBe(2 * 32 * 8 * 128 * 2);
    expect(llama8b.kvCacheBytesPerToken).toBe(131072);
    expect(llama8b.kvCacheGib).toBeCloseTo(16.0, 6);
    expect(llama8b.overheadGib).toBeCloseTo(1 + 1.496, 2);
    expect(llama8b.totalGib).toBeCloseTo(14.957 + 16 + 2.496, 2);
  });

  test('Llama 3.1 8B placement', () => {
    expect(llama8b.fitsOnGpu(Gpu.H100_80GB)).toBe(true);
    expect(llama8b.tensorParallelDegree(Gpu.H100_80GB)).toBe(1);
    expect(llama8b.fitsOnGpu(Gpu.L4)).toBe(false);
    // 7.48 weights + 16/2 KV + 1 + 0.75 = 17.2 GiB of 21.6 usable.
    expect(llama8b.perGpuGib(2)).toBeCloseTo(14.957 / 2 + 8 + 1 + 1.4957 / 2, 2);
    expect(llama8b.fitsOnGpu(Gpu.L4, 2)).toBe(true);
    expect(llama8b.tensorParallelDegree(Gpu.L4)).toBe(2);
    expect(llama8b.fitsOnMigProfile(Gpu.H100_80GB, '1g.10gb')).toBe(false);
    expect(llama8b.fitsOnMigProfile(Gpu.H100_80GB, '7g.80gb')).toBe(true);
  });

  test('Llama 3.1 8B INT4 with a short context fits an L4 and a 1g.10gb slice', () => {
    const small = MemoryPlan.plan({ model: LlmModel.LLAMA_3_1_8B, weightsPrecision: Precision.INT4, contextLength: 4096 });
    expect(small.weightsGib).toBeCloseTo(3.739, 3);
    expect(small.kvCacheGib).toBeCloseTo(0.5, 6);
    expect(small.totalGib).toBeCloseTo(3.739 + 0.5 + 1.374, 2);
    expect(small.fitsOnGpu(Gpu.L4)).toBe(true);
    expect(small.fitsOnMigProfile(Gpu.H100_80GB, '1g.10gb')).toBe(true);
    expect(small.fitsOnMigProfile(Gpu.A100_40GB, '1g.5gb')).toBe(false);
    expect(() => small.fitsOnMigProfile(Gpu.L4, '1g.10gb')).toThrow(/NVIDIA L4 does not support MIG/);
  });

  test('Llama 3.1 70B BF16 worked numbers and tensor parallelism', () => {
    expect(llama70b.weightsGib).toBeCloseTo(131.5, 1);
    expect(llama70b.kvCacheBytesPerToken).toBe(327680);
    expect(llama70b.kvCacheGib).toBeCloseTo(40.0, 6);
    expect(llama70b.overheadGib).toBeCloseTo(14.15, 2);
    expect(llama70b.totalGib).toBeCloseTo(185.65, 1);
    // tp 2: 65.75 + 20 + 1 + 6.58 = 93.3 > 72; tp 4: 32.9 + 10 + 1 + 3.29 = 47.2.
    expect(llama70b.perGpuGib(2)).toBeCloseTo(93.33, 1);
    expect(llama70b.perGpuGib(4)).toBeCloseTo(47.16, 1);
    expect(llama70b.fitsOnGpu(Gpu.H100_80GB, 2)).toBe(false);
    expect(llama70b.tensorParallelDegree(Gpu.H100_80GB)).toBe(4);
    expect(llama70b.tensorParallelDegree(Gpu.H200_141GB)).toBe(2);
    expect(llama70b.tensorParallelDegree(Gpu.L40S)).toBe(8);
    expect(llama70b.tensorParallelDegree(Gpu.L4)).toBe(0);
  });

  test('KV cache stops splitting beyond kvHeads', () => {
    // 8 KV heads: tp 16 holds the same KV share as tp 8.
    const p = MemoryPlan.plan({ model: LlmModel.LLAMA_3_1_405B, contextLength: 8192 });
    expect(p.perGpuGib(16) - (p.weightsGib * 1.1) / 16).toBeCloseTo(p.kvCacheGib / 8 + 1, 6);
  });

  test('Llama 3.1 405B needs FP8 on 8 H100s, or 16 Trainium2 chips at BF16', () => {
    const bf16 = MemoryPlan.plan({ model: LlmModel.LLAMA_3_1_405B, contextLength: 8192 });
    expect(bf16.weightsGib).toBeCloseTo(756.0, 0);
    expect(bf16.tensorParallelDegree(Gpu.H100_80GB)).toBe(0);
    expect(bf16.tensorParallelDegree(Gpu.TRAINIUM2)).toBe(16);
    const fp8 = MemoryPlan.plan({
      model: LlmModel.LLAMA_3_1_405B,
      weightsPrecision: Precision.FP8,
      kvCachePrecision: Precision.FP8,
      contextLength: 8192,
    });
    expect(fp8.tensorParallelDegree(Gpu.H100_80GB)).toBe(8);
  });

  test('tensor parallelism must divide the attention heads', () => {
    const arch = { name: 'odd-45b', parametersBillions: 45, layers: 40, attentionHeads: 20, kvHeads: 4, headDim: 128 };
    const odd = MemoryPlan.plan({ model: LlmModel.custom(arch), contextLength: 1024 });
    expect(odd.fitsOnGpu(Gpu.L4, 8)).toBe(true);
    expect(odd.tensorParallelDegree(Gpu.L4)).toBe(0);
    const even = MemoryPlan.plan({ model: LlmModel.custom({ ...arch, attentionHeads: 24, kvHeads: 8 }), contextLength: 1024 });
    expect(even.tensorParallelDegree(Gpu.L4)).toBe(8);
  });

  test('explain', () => {
    expect(llama70b.explain(Gpu.H100_80GB)).toBe(
      'llama-3.1-70b bf16: weights 131.5 GiB + KV 40.0 GiB (bf16, 8192 tokens x 16 sequences) + overhead 14.2 GiB = 185.7 GiB; ' +
        'needs tensor parallelism 4 on NVIDIA H100 80GB (47.2 GiB per GPU of 72.0 GiB usable per GPU)',
    );
    expect(llama8b.explain(Gpu.H100_80GB)).toMatch(/; fits on one NVIDIA H100 80GB \(72\.0 GiB usable per GPU\)$/);
    expect(llama70b.explain(Gpu.L4)).toMatch(/; does not fit on NVIDIA L4 within 8 GPUs \(21\.6 GiB usable per GPU\); use a larger GPU/);
  });

  test('input validation', () => {
    expect(() => MemoryPlan.plan({ model: LlmModel.MISTRAL_7B, contextLength: 0 })).toThrow(GpuDomainError);
    expect(
      validateMemoryPlan({ model: LlmModel.MISTRAL_7B, contextLength: 1.5, concurrentSequences: 0, gpuMemoryUtilization: 1.2 }),
    ).toEqual([
      expect.stringMatching(/^contextLength 1.5 is not a whole number >= 1; use the longest prompt plus output in tokens$/),
      expect.stringMatching(/^concurrentSequences 0 is not a whole number >= 1/),
      expect.stringMatching(/^gpuMemoryUtilization 1.2 is not in \(0, 1\]; use a fraction such as 0.9$/),
    ]);
    expect(validateMemoryPlan({ model: 'llama' as unknown as LlmModel, contextLength: 10 })).toEqual([
      expect.stringMatching(/^model llama is not an LlmModel/),
    ]);
    expect(() => llama8b.perGpuGib(3.5)).toThrow(/^tensorParallelDegree 3.5 is not a whole number >= 1/);
    expect(() => llama8b.fitsOnGpu(Gpu.H100_80GB, 0)).toThrow(GpuDomainError);
  });
});
