import { App, TerraformStack, Testing } from 'cdktf';
import { GATEWAY_POD_LABELS } from '../../lib/addons/inference-gateway/inference-gateway';
import { Construct } from 'constructs';
import { RagAwsStack } from '../../examples/rag-aws/stack';
import { RagAzureStack } from '../../examples/rag-azure/stack';
import {
  Cloud,
  EmbeddingModel,
  EndpointAccess,
  Gpu,
  GpuInferenceCluster,
  GpuNodePool,
  InferenceGateway,
  LlmModel,
  MigLayout,
  RagStack,
  ServedModel,
  VectorStore,
} from '../../lib';
import { crdProblems } from '../crd-schema';
import { awsStack, problemLines, resources, synthJson } from '../helpers';
import * as fs from 'fs';
import * as path from 'path';

const fixture = (name: string) => JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'keda', name), 'utf8'));
const scaledObjectCrd = fixture('ScaledObject.json');
const triggerAuthCrd = fixture('TriggerAuthentication.json');

function ragOf(stack: TerraformStack): RagStack {
  return stack.node.findChild('Rag') as RagStack;
}

describe.each([
  ['rag-aws', (app: App) => new RagAwsStack(app, 'rag-aws')],
  ['rag-azure', (app: App) => new RagAzureStack(app, 'rag-azure')],
])('%s', (_name, make) => {
  const stack = make(Testing.app());
  const rag = ragOf(stack);
  const synth = Testing.synth(stack, true);
  const doc = JSON.parse(synth);
  const deployments = Object.values(resources(doc, 'kubernetes_deployment_v1')) as any[];
  const servers = deployments.filter((d) => d.metadata.labels['app.kubernetes.io/name'] === 'vllm');

  test('each model scales on the sum of its own waiting requests, whatever the replica count', () => {
    const scaled = rag.scalingManifests.filter((m) => m.kind === 'ScaledObject' && m.metadata.name.startsWith('vllm-'));
    expect(scaled.map((m) => m.metadata.name).sort()).toEqual(servers.map((d) => d.metadata.name).sort());
    for (const m of scaled) {
      const server = servers.find((d) => d.metadata.name === m.metadata.name)!;
      const plan = Object.values(rag.plans).find((p) => p.servedName === server.metadata.labels['ai-platform.dev/served-model'])!;
      const queue = m.spec.triggers.find((t: any) => t.name === 'queue');
      expect(queue.metadata.query).toBe(`sum(vllm:num_requests_waiting{namespace="rag",model_name="${plan.servedName}"}) or vector(0)`);
      // Cooldowns never shorter than the model's load time.
      expect(m.spec.cooldownPeriod).toBeGreaterThanOrEqual(plan.startupSeconds);
      expect(m.spec.advanced.horizontalPodAutoscalerConfig.behavior.scaleDown.stabilizationWindowSeconds).toBeGreaterThanOrEqual(
        plan.startupSeconds,
      );
      // A model scaled to zero wakes on the router's request counter for that model.
      const wake = m.spec.triggers.find((t: any) => t.name === 'wake');
      if (plan.minReplicas === 0) {
        // The first request of a new router counter wakes the model; the trigger never asks for more than one replica.
        expect(wake.metadata.query).toMatch(/^clamp_max\(/);
        expect(wake.metadata.query).toContain(
          `unless vllm_router:num_incoming_requests_total{namespace="rag",model="${plan.servedName}"} offset 5m`,
        );
        // Both examples serve through the gateway: a request there wakes the model too. The picker counts the
        // requests it cannot place; a route without a picker (the reranker) shows in Envoy's failed connections to its Service.
        expect(wake.metadata.query).toContain(
          plan.task === 'score'
            ? `unless envoy_cluster_upstream_cx_connect_fail{envoy_cluster_name=~".*/rag/${server.metadata.name}/.*"} offset 5m`
            : `unless inference_objective_request_error_total{namespace="rag",model_name="${plan.servedName}"} offset 5m`,
        );
      } else expect(wake).toBeUndefined();
    }
  });

  test('KEDA objects match the pinned CRDs and go through Helm after KEDA', () => {
    for (const m of rag.scalingManifests) {
      const crd = m.kind === 'ScaledObject' ? scaledObjectCrd : triggerAuthCrd;
      expect(crdProblems(crd.schema, { apiVersion: m.apiVersion, kind: m.kind, metadata: m.metadata, spec: m.spec })).toEqual([]);
    }
    const releases = resources(doc, 'helm_release');
    const scaling = Object.entries(releases).find(([n]) => n.includes('Scaling'))![1] as any;
    const keda = Object.entries(releases).find(([, r]) => (r as any).name === 'keda')!;
    expect(scaling.depends_on).toContain(`helm_release.${keda[0]}`);
    expect(scaling.chart).toMatch(/^\.\/assets\/ai-platform-manifests-chart\/[0-9A-F]{32}$/);
    expect(doc.resource.kubernetes_manifest).toBeUndefined();
  });

  test("every served pod requests exactly a resource its pool advertises and tolerates exactly the pool's taints", () => {
    const cluster = stack.node.findChild('Gpu') as GpuInferenceCluster;
    for (const d of servers) {
      const plan = Object.values(rag.plans).find((p) => p.servedName === d.metadata.labels['ai-platform.dev/served-model'])!;
      const pool = cluster.acceleratorPools.find((p) => p.name === plan.pool)!;
      const c = d.spec.template.spec.container[0];
      const gpuKeys = Object.keys(c.resources.limits).filter((k) => k.startsWith('nvidia.com/'));
      expect(gpuKeys).toEqual([plan.resourceName]);
      expect(pool.capacity.map((r) => r.name)).toContain(plan.resourceName);
      expect(c.resources.limits[plan.resourceName]).toBe(String(plan.resourceCount));
      expect(c.resources.requests[plan.resourceName]).toBe(String(plan.resourceCount));
      const tolerated = d.spec.template.spec.toleration.map((t: any) => `${t.key}=${t.value}:${t.effect}`).sort();
      expect(tolerated).toEqual(pool.taints.map((t) => `${t.key}=${t.value}:${t.effect}`).sort());
      const terms = d.spec.template.spec.affinity.node_affinity.required_during_scheduling_ignored_during_execution.node_selector_term;
      expect(terms).toHaveLength(1);
      expect(Object.fromEntries(terms[0].match_expressions.map((e: any) => [e.key, e.values[0]]))).toEqual(pool.labels);
      expect(d.spec.template.spec.priority_class_name).toBe('ai-inference');
      expect(c.port).toEqual([expect.objectContaining({ name: 'http', container_port: 8000 })]);
      expect(d.spec.template.metadata.labels['ai-platform.dev/metrics']).toBe('vllm');
    }
  });

  test('no API key, password or token appears in the synth output', () => {
    expect(synth).not.toMatch(/"(password|api[_-]?key|token|hf_token|secret)"\s*:\s*"(?!\$\{)[^"]{8,}"/i);
    const key = Object.values(resources(doc, 'kubernetes_secret_v1')).find((s: any) => s.metadata.name === rag.apiKeySecret.name) as any;
    expect(key.data['api-key']).toBe('${replace(join("", [uuid(), uuid()]), "-", "")}');
    expect(key.lifecycle.ignore_changes).toEqual(['data']);
    // Servers and router read it from the secret.
    for (const d of deployments.filter(
      // The endpoint pickers take no key: they read the servers' /metrics, which is open.
      (x) => x.metadata.namespace === 'rag' && !['rag-ingestion', 'endpoint-picker'].includes(x.metadata.labels['app.kubernetes.io/name']),
    )) {
      const env = d.spec.template.spec.container[0].env.find((e: any) => e.name === 'VLLM_API_KEY');
      expect(env.value_from.secret_key_ref.name).toBe(rag.apiKeySecret.name);
    }
  });

  test('generation goes through a prefix-aware router, embedding and reranking through a round-robin one', () => {
    const routers = deployments.filter((d) => d.metadata.labels['app.kubernetes.io/name'] === 'vllm-router');
    const logic = Object.fromEntries(
      routers.map((r) => {
        const args: string[] = r.spec.template.spec.container[0].args;
        return [r.metadata.name, [args[args.indexOf('--routing-logic') + 1], args[args.indexOf('--k8s-label-selector') + 1]]];
      }),
    );
    expect(logic).toEqual({
      'rag-router': ['prefixaware', 'ai-platform.dev/router=rag-router,app.kubernetes.io/name=vllm'],
      'rag-pooling-router': ['roundrobin', 'ai-platform.dev/router=rag-pooling-router,app.kubernetes.io/name=vllm'],
    });
    for (const d of servers) {
      const router = d.metadata.labels['ai-platform.dev/router'];
      const args: string[] = d.spec.template.spec.container[0].args;
      expect(router).toBe(args.includes('--runner') ? 'rag-pooling-router' : 'rag-router');
      // vLLM 0.11 accepts --convert auto|classify|embed|none|reward: rerankers are recognised without it.
      if (args.includes('--convert')) expect(args[args.indexOf('--convert') + 1]).toBe('embed');
    }
  });

  test('the stack namespace admits monitoring and its own pods, not other platform namespaces', () => {
    const policies = Object.values(resources(doc, 'kubernetes_network_policy_v1')) as any[];
    const allow = policies.find((p) => p.metadata.namespace === 'rag' && p.metadata.name === 'allow-same-namespace')!;
    expect(allow.spec.ingress[0].from).toEqual([
      { pod_selector: {} },
      { namespace_selector: { match_labels: { 'kubernetes.io/metadata.name': 'monitoring' } } },
    ]);
    expect(policies.some((p) => p.metadata.namespace === 'rag' && p.metadata.name === 'allow-same-namespace-and-platform')).toBe(false);
  });

  test('a Prometheus outage keeps the replicas there are', () => {
    for (const m of rag.scalingManifests.filter((x) => x.kind === 'ScaledObject' && x.metadata.name.startsWith('vllm-')))
      expect(m.spec.fallback.behavior).toBe('currentReplicasIfHigher');
  });

  test('the app namespace gets the endpoints and the key by reference, and reaches the models through the gateway only', () => {
    const cms = Object.values(resources(doc, 'kubernetes_config_map_v1')) as any[];
    const copy = cms.find((c) => c.metadata.namespace === 'chat')!;
    // Both examples serve through the cluster's inference gateway.
    const gateway = stack.node.findChild('Gateway') as InferenceGateway;
    expect(copy.data.OPENAI_BASE_URL).toBe(`${gateway.url}/models/${rag.plans.generate.servedName}/v1`);
    const secret = Object.values(resources(doc, 'kubernetes_secret_v1')).find((s: any) => s.metadata.namespace === 'chat') as any;
    expect(secret.data['api-key']).toMatch(/^\$\{kubernetes_secret_v1\.Rag_ApiKey_\w+\.data\["api-key"\]\}$/);
    // No policy of the stack's namespace admits the app's namespace to a router or a model server.
    const policies = Object.values(resources(doc, 'kubernetes_network_policy_v1')).filter((p: any) =>
      p.metadata.name.startsWith('allow-chat-'),
    ) as any[];
    for (const p of policies) {
      expect(p.spec.ingress[0].from).toEqual([{ namespace_selector: { match_labels: { 'kubernetes.io/metadata.name': 'chat' } } }]);
      expect(['vllm', 'vllm-router']).not.toContain(p.spec.pod_selector.match_labels['app.kubernetes.io/name']);
    }
    // The app's namespace (the library made it) may send to the gateway's Envoy pods, by label: Cilium on
    // AKS matches no CIDR between pods.
    const egress = Object.values(resources(doc, 'kubernetes_network_policy_v1')).find(
      (p: any) => p.metadata.namespace === 'chat' && p.metadata.name === 'allow-egress-inference-gateway',
    ) as any;
    expect(egress.spec.egress).toEqual([
      {
        to: [
          {
            namespace_selector: { match_labels: { 'kubernetes.io/metadata.name': gateway.namespace } },
            pod_selector: { match_labels: GATEWAY_POD_LABELS },
          },
        ],
        ports: [{ port: '10443', protocol: 'TCP' }],
      },
    ]);
    // An in-cluster store's key is copied too, by reference: the read-only one (the app only queries),
    // never the admin key.
    if (rag.vectorStore.apiKeySecret) {
      const inChat = Object.values(resources(doc, 'kubernetes_secret_v1')).filter((x: any) => x.metadata.namespace === 'chat') as any[];
      const read = rag.vectorStore.readOnlyKeySecret!;
      const storeKey = inChat.find((x) => x.metadata.name === read.name);
      expect(storeKey.data[read.key]).toMatch(/^\$\{kubernetes_secret_v1\.\w+_ReadCredentials_\w+\.data\["api-key"\]\}$/);
      expect(inChat.map((x) => x.metadata.name)).not.toContain(rag.vectorStore.apiKeySecret.name);
      for (const x of inChat) expect(JSON.stringify(x.data)).not.toMatch(/_Credentials_/);
    }
    expect(copy.data.VECTOR_STORE_AUTH).toMatch(/^(aws-iam|entra|api-key)$/);
  });
});

describe('RagStack validation', () => {
  function cluster(stack: TerraformStack): GpuInferenceCluster {
    return new GpuInferenceCluster(stack, 'Gpu', {
      cloud: Cloud.aws({ endpointAccess: EndpointAccess.publicAndPrivate(['203.0.113.0/24']) }),
      clusterName: 'ai',
      nodePools: [
        GpuNodePool.inference('mig', { gpu: Gpu.H100_80GB, mig: MigLayout.uniform('1g.10gb'), maxNodes: 2 }),
        GpuNodePool.inference('l4', { gpu: Gpu.L4, maxNodes: 2 }),
      ],
    });
  }

  test('a model that cannot fit fails at synth with the numbers, together with every other problem', () => {
    const stack = awsStack();
    new RagStack(stack, 'Rag', {
      cluster: cluster(stack),
      generator: ServedModel.of(LlmModel.LLAMA_3_1_70B, { pool: 'mig' }),
      embedder: ServedModel.of(EmbeddingModel.BGE_M3, { pool: 'gpus' }),
      vectorStore: VectorStore.qdrant(),
      autoscaling: { targetQueueDepth: 0 },
      namespace: 'RAG',
    });
    const lines = problemLines(stack);
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^test\/Rag: autoscaling\.targetQueueDepth 0 is not a whole number >= 1; /),
        expect.stringMatching(/^test\/Rag: namespace 'RAG' is not a Kubernetes namespace name; /),
        expect.stringMatching(/^test\/Rag: generator .*llama-3\.1-70b.*mig.*GiB/),
        expect.stringMatching(/^test\/Rag: embedder\.pool 'gpus' /),
      ]),
    );
  });

  test("the egress prop becomes the RAG namespace's allow-egress-extra", () => {
    const stack = awsStack();
    new RagStack(stack, 'Rag', {
      cluster: cluster(stack),
      generator: ServedModel.of(LlmModel.QWEN2_5_7B, { pool: 'l4', contextLength: 4096, concurrentSequences: 4 }),
      embedder: ServedModel.of(EmbeddingModel.BGE_M3, { pool: 'mig' }),
      vectorStore: VectorStore.qdrant(),
      egress: [{ ports: [9000], cidrs: ['10.20.0.0/16'] }],
    });
    const extra = (Object.values(resources(synthJson(stack), 'kubernetes_network_policy_v1')) as any[]).find(
      (p) => p.metadata.name === 'allow-egress-extra',
    );
    expect(extra.metadata.namespace).toBe('rag');
    expect(extra.spec.egress[0].ports.map((p: any) => p.port)).toEqual(['9000']);
    expect(JSON.stringify(extra.spec.egress[0].to)).toContain('10.20.0.0/16');
  });

  test('a gated model without a Hugging Face token is refused; with one it is served with the token', () => {
    const stack = awsStack();
    new RagStack(stack, 'Rag', {
      cluster: cluster(stack),
      generator: ServedModel.of(LlmModel.LLAMA_3_1_8B, { pool: 'l4', contextLength: 4096, concurrentSequences: 4 }),
      embedder: ServedModel.of(EmbeddingModel.BGE_M3, { pool: 'mig' }),
      vectorStore: VectorStore.qdrant(),
    });
    expect(problemLines(stack)).toEqual([
      "test/Rag: generator.model 'llama-3.1-8b' is gated on Hugging Face (meta-llama/Llama-3.1-8B-Instruct), so the download fails with 401 without a token; pass huggingFaceToken (a secret in the stack's namespace holding a token of an account that accepted the licence) or serve an ungated model",
    ]);
    const ok = awsStack();
    new RagStack(ok, 'Rag', {
      cluster: cluster(ok),
      generator: ServedModel.of(LlmModel.LLAMA_3_1_8B, { pool: 'l4', contextLength: 4096, concurrentSequences: 4 }),
      embedder: ServedModel.of(EmbeddingModel.BGE_M3, { pool: 'mig' }),
      vectorStore: VectorStore.qdrant(),
      huggingFaceToken: { namespace: 'rag', name: 'hf-token', key: 'token' },
      // Pods download from the hub themselves (with the cache, only the staging job holds the token).
      modelCache: false,
    });
    const doc = synthJson(ok);
    const gen = (Object.values(resources(doc, 'kubernetes_deployment_v1')) as any[]).find((d) => d.metadata.name === 'vllm-llama-3-1-8b');
    expect(gen.spec.template.spec.container[0].env).toContainEqual({
      name: 'HF_TOKEN',
      value_from: { secret_key_ref: { name: 'hf-token', key: 'token' } },
    });
  });

  test('an unpinned ingestion image is refused', () => {
    const stack = awsStack();
    new RagStack(stack, 'Rag', {
      cluster: cluster(stack),
      generator: ServedModel.of(LlmModel.QWEN2_5_7B, { pool: 'l4', contextLength: 4096, concurrentSequences: 4 }),
      embedder: ServedModel.of(EmbeddingModel.BGE_M3, { pool: 'mig' }),
      vectorStore: VectorStore.qdrant(),
      documents: { ingestion: { image: 'example/ingest:latest' } },
    });
    expect(problemLines(stack)).toEqual([
      "test/Rag: documents.ingestion.image 'example/ingest:latest' is not pinned; use a version tag or a digest",
    ]);
  });

  test('per-workload store keys: a query namespace gets the read-only key, an ingest namespace the admin key', () => {
    const stack = awsStack();
    const c = cluster(stack);
    const rag = new RagStack(stack, 'Rag', {
      cluster: c,
      generator: ServedModel.of(LlmModel.QWEN2_5_7B, { pool: 'l4', contextLength: 4096, concurrentSequences: 4 }),
      embedder: ServedModel.of(EmbeddingModel.BGE_M3, { pool: 'mig' }),
      vectorStore: VectorStore.qdrant(),
    });
    const sa = (ns: string, name: string) =>
      c.bindServiceAccount(new Construct(stack, `${ns}-${name}`), name, { namespace: ns, serviceAccountName: name });
    rag.grantQuery(sa('chat', 'api'));
    rag.grantIngest(sa('loader', 'worker'));
    // One namespace with both: both keys, each once.
    rag.grantQuery(sa('both', 'reader'));
    rag.grantIngest(sa('both', 'writer'));
    rag.grantQuery(sa('both', 'reader2'));
    const doc = synthJson(stack);
    const secrets = Object.values(resources(doc, 'kubernetes_secret_v1')) as any[];
    const storeKeys = (ns: string) =>
      secrets
        .filter((x) => x.metadata.namespace === ns && x.metadata.name.startsWith('qdrant-'))
        .map((x) => [x.metadata.name, x.data[Object.keys(x.data)[0]].replace(/_[0-9A-F]{8}\./, '.')])
        .sort();
    const read = ['qdrant-read-credentials', '${kubernetes_secret_v1.Rag_VectorStore_ReadCredentials.data["api-key"]}'];
    const admin = ['qdrant-credentials', '${kubernetes_secret_v1.Rag_VectorStore_Credentials.data["api-key"]}'];
    expect(storeKeys('chat')).toEqual([read]);
    expect(storeKeys('loader')).toEqual([admin]);
    expect(storeKeys('both')).toEqual([admin, read]);
    const endpoints = (ns: string) =>
      (Object.values(resources(doc, 'kubernetes_config_map_v1')) as any[]).find((m) => m.metadata.namespace === ns).data;
    expect(endpoints('chat')).toMatchObject({ VECTOR_STORE_SECRET: 'qdrant-read-credentials', VECTOR_STORE_USER: 'read-only-api-key' });
    expect(endpoints('loader')).toMatchObject({ VECTOR_STORE_SECRET: 'qdrant-credentials', VECTOR_STORE_USER: 'api-key' });
  });

  test('a grant into the stack namespace copies nothing', () => {
    const stack = awsStack();
    const c = cluster(stack);
    const rag = new RagStack(stack, 'Rag', {
      cluster: c,
      generator: ServedModel.of(LlmModel.QWEN2_5_7B, { pool: 'l4', contextLength: 4096, concurrentSequences: 4 }),
      embedder: ServedModel.of(EmbeddingModel.BGE_M3, { pool: 'mig' }),
      vectorStore: VectorStore.qdrant(),
    });
    rag.grantQuery(c.bindServiceAccount(new Construct(stack, 'W'), 'worker', { namespace: 'rag', serviceAccountName: 'worker' }));
    const doc = synthJson(stack);
    expect(Object.values(resources(doc, 'kubernetes_config_map_v1')).every((m: any) => m.metadata.namespace === 'rag')).toBe(true);
  });
});

describe('replicas the pools cannot hold', () => {
  const build = (maxReplicas: number) => {
    const stack = awsStack();
    const cluster = new GpuInferenceCluster(stack, 'Gpu', {
      cloud: Cloud.aws({ endpointAccess: EndpointAccess.publicAndPrivate(['203.0.113.0/24']) }),
      clusterName: 'rag',
      nodePools: [GpuNodePool.inference('small', { gpu: Gpu.L4, maxNodes: 2 })],
    });
    const rag = new RagStack(stack, 'Rag', {
      cluster,
      generator: ServedModel.of(LlmModel.QWEN2_5_7B, { pool: 'small', contextLength: 4096, concurrentSequences: 4 }),
      embedder: ServedModel.of(EmbeddingModel.BGE_M3, { pool: 'small', maxReplicas: 1 }),
      vectorStore: VectorStore.qdrant(),
      autoscaling: { maxReplicas },
    });
    Testing.synth(stack, true);
    return rag.node.metadata.filter((m) => m.type === '@cdktf/warn').map((m) => String(m.data));
  };

  test('more than the pool gives at maxNodes: a warning with the numbers and the fix', () => {
    expect(build(3)).toEqual([
      expect.stringMatching(
        /^maxReplicas of the models on pool 'small' \(qwen2\.5-7b 3 x 1, bge-m3 1 x 1\) ask for 4 nvidia\.com\/gpu, more than the pool holds at maxNodes: 2 \(1 per node x 2 nodes\); replicas beyond that stay Pending: lower maxReplicas .* or raise the pool's maxNodes$/,
      ),
    ]);
  });

  test('within the pool: nothing to say', () => {
    expect(build(1)).toEqual([]);
  });
});
