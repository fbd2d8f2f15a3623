import { App, TerraformStack, Testing } from 'cdktf';
import { RagAwsStack } from '../../examples/rag-aws/stack';
import { RagAzureStack } from '../../examples/rag-azure/stack';
import { Cloud, EndpointAccess, Gpu, GpuInferenceCluster, GpuNodePool, LlmModel, RagStack, ServedModel, VectorStore } from '../../lib';
import { DNS_1035_LABEL, DNS_LABEL, DNS_SUBDOMAIN, LABEL_VALUE } from '../../lib/private/naming';
import { awsStack, problemLines, resources } from '../helpers';

/** Every value under a key named `key`, anywhere in `node`. */
function collect(node: any, key: string, out: any[] = []): any[] {
  if (Array.isArray(node)) node.forEach((n) => collect(n, key, out));
  else if (node && typeof node === 'object')
    for (const [k, v] of Object.entries(node)) {
      if (k === key) out.push(v);
      collect(v, key, out);
    }
  return out;
}

/** The Kubernetes objects of a synthesized stack: [type, logical name, resource]. */
function kubernetesObjects(doc: any): [string, string, any][] {
  return Object.entries(doc.resource ?? {})
    .filter(([type]) => type.startsWith('kubernetes_'))
    .flatMap(([type, byName]) => Object.entries(byName as any).map(([n, r]) => [type, n, r] as [string, string, any]));
}

/** Names, labels and env_from of every Kubernetes object are what the API server accepts. */
function expectApplicableNames(doc: any): void {
  for (const [type, n, r] of kubernetesObjects(doc)) {
    const name = r.metadata?.name;
    if (typeof name !== 'string' || name.includes('${')) continue;
    const at = `${type}.${n} '${name}'`;
    if (type === 'kubernetes_service_v1') expect([at, DNS_1035_LABEL.test(name)]).toEqual([at, true]);
    else if (['kubernetes_namespace_v1', 'kubernetes_job_v1'].includes(type)) expect([at, DNS_LABEL.test(name)]).toEqual([at, true]);
    else expect([at, DNS_SUBDOMAIN.test(name)]).toEqual([at, true]);
    for (const labels of [...collect(r, 'labels'), ...collect(r, 'match_labels')]) {
      for (const [k, v] of Object.entries(labels as { [k: string]: string })) {
        if (String(v).includes('${')) continue;
        expect([at, k, v, LABEL_VALUE.test(String(v)) && String(v).length <= 63]).toEqual([at, k, v, true]);
      }
    }
    for (const refs of collect(r, 'env_from')) {
      for (const ref of refs as any[]) {
        const named = [ref.config_map_ref, ref.secret_ref].filter((x) => x !== undefined);
        expect(named.length).toBeGreaterThan(0);
        for (const x of named) expect([at, typeof x.name === 'string' && x.name.length > 0]).toEqual([at, true]);
      }
    }
  }
}

describe.each([
  ['rag-aws', (app: App) => new RagAwsStack(app, 'rag-aws')],
  ['rag-azure', (app: App) => new RagAzureStack(app, 'rag-azure')],
])('%s life cycle', (_name, make) => {
  const stack = make(Testing.app());
  const rag = stack.node.findChild('Rag') as RagStack;
  const doc = JSON.parse(Testing.synth(stack, true));
  const deployments = resources(doc, 'kubernetes_deployment_v1');

  test('every Kubernetes name, label value and env_from is one the API server accepts', () => {
    expectApplicableNames(doc);
  });

  test("model servers' Services carry the sanitized name, vLLM and KEDA the model's own", () => {
    for (const plan of Object.values(rag.plans)) {
      const [, d] = Object.entries(deployments).find(
        ([, x]: [string, any]) => x.metadata.labels['ai-platform.dev/served-model'] === plan.servedName,
      ) as [string, any];
      expect(d.metadata.name).toMatch(DNS_1035_LABEL);
      const args: string[] = d.spec.template.spec.container[0].args;
      expect(args[args.indexOf('--served-model-name') + 1]).toBe(plan.servedName);
      const scaled = rag.scalingManifests.find((m) => m.kind === 'ScaledObject' && m.spec.scaleTargetRef.name === d.metadata.name)!;
      expect(scaled.spec.triggers[0].metadata.query).toContain(`model_name="${plan.servedName}"`);
    }
  });

  test('the ingestion worker reads the endpoints ConfigMap by name', () => {
    const ingestion = Object.values(deployments).find((d: any) => d.metadata.labels['app.kubernetes.io/name'] === 'rag-ingestion') as any;
    if (!ingestion) return;
    expect(ingestion.spec.template.spec.container[0].env_from).toEqual([{ config_map_ref: { name: rag.endpointsConfigMapName } }]);
    const cm = Object.values(resources(doc, 'kubernetes_config_map_v1')).find(
      (c: any) => c.metadata.namespace === rag.namespace && c.metadata.name === rag.endpointsConfigMapName,
    );
    expect(cm).toBeDefined();
  });

  test('each endpoints ConfigMap says how its namespace logs in to the vector store, without a secret', () => {
    const maps = Object.values(resources(doc, 'kubernetes_config_map_v1')).filter(
      (c: any) => c.metadata.name === rag.endpointsConfigMapName,
    ) as any[];
    expect(maps.map((m) => m.metadata.namespace).sort()).toEqual(['chat', 'rag']);
    const pg = rag.vectorStore.kind === 'pgvector';
    const aws = 'aws_eks_cluster' in (doc.resource ?? {});
    for (const m of maps) {
      const d = m.data;
      expect(d.VECTOR_STORE_KIND).toBe(rag.vectorStore.kind);
      expect(d.VECTOR_STORE_HOST).toBeDefined();
      expect(d.VECTOR_STORE_PORT).toBeDefined();
      if (pg) {
        expect(d.VECTOR_STORE_DATABASE).toBe('rag');
        expect(d.VECTOR_STORE_SSLMODE).toBe('require');
        expect(d.VECTOR_STORE_AUTH).toBe(aws ? 'aws-iam' : 'entra');
        // The worker in the stack's namespace logs in as itself, the app as itself.
        expect(d.VECTOR_STORE_USER).toBe(m.metadata.namespace === 'rag' ? 'rag_ingestion' : 'chat_api');
      } else if (m.metadata.namespace === 'chat') {
        expect(d).toMatchObject({ VECTOR_STORE_AUTH: 'api-key', VECTOR_STORE_SECRET: rag.vectorStore.apiKeySecret!.name });
        expect(d.VECTOR_STORE_SSLMODE).toBeUndefined();
      }
      if (aws && pg) expect(d.AWS_REGION).toMatch(/^\$\{element\(split\(":", aws_eks_cluster\.\w+\.arn\), 3\)\}$/);
      else expect(d.AWS_REGION).toBeUndefined();
      // References and names only: no generated key or password is copied into a ConfigMap.
      for (const v of Object.values(d) as string[]) expect(v).not.toMatch(/kubernetes_secret_v1|uuid\(/);
    }
  });

  test('a second apply leaves the replicas of every Deployment KEDA scales to KEDA', () => {
    const targets = rag.scalingManifests.filter((m) => m.kind === 'ScaledObject').map((m) => m.spec.scaleTargetRef.name);
    expect(targets.length).toBeGreaterThan(0);
    for (const target of targets) {
      const d = Object.values(deployments).find((x: any) => x.metadata.name === target && x.metadata.namespace === rag.namespace) as any;
      expect([target, d?.lifecycle?.ignore_changes]).toEqual([target, expect.arrayContaining(['spec[0].replicas'])]);
      // Created with a count (vLLM at least one replica, the worker at zero), then KEDA's.
      expect(d.spec.replicas).toMatch(/^\d+$/);
    }
  });
});

describe('RagStack names from hostile input', () => {
  function build(stack: TerraformStack, id: string, servedNames: [string, string]): RagStack {
    const cluster = new GpuInferenceCluster(stack, 'Gpu', {
      cloud: Cloud.aws({ endpointAccess: EndpointAccess.publicAndPrivate(['203.0.113.0/24']) }),
      clusterName: 'ai',
      nodePools: [GpuNodePool.inference('l4', { gpu: Gpu.L4, maxNodes: 2 })],
    });
    return new RagStack(stack, id, {
      cluster,
      generator: ServedModel.of(LlmModel.QWEN2_5_7B, {
        pool: 'l4',
        contextLength: 4096,
        concurrentSequences: 4,
        servedName: servedNames[0],
      }),
      embedder: ServedModel.of(LlmModel.QWEN2_5_7B, { pool: 'l4', contextLength: 512, concurrentSequences: 4, servedName: servedNames[1] }),
      vectorStore: VectorStore.qdrant(),
      documents: { ingestion: { image: 'example.com/ingest:1.0' } },
    });
  }

  test('a construct id starting with a digit, long dotted served names and names that collide once sanitized', () => {
    const stack = awsStack();
    const long = `${'q'.repeat(30)}.${'w'.repeat(30)}`;
    const rag = build(stack, '1st_RAG..Stack', [long, long.replace('.', '-')]);
    expect(problemLines(stack)).toEqual([]);
    const doc = JSON.parse(Testing.synth(stack, true));
    expectApplicableNames(doc);
    const servers = Object.values(resources(doc, 'kubernetes_service_v1')).map((s: any) => s.metadata.name);
    // Two servers and two routers, four distinct Service names.
    expect(new Set(servers).size).toBe(4);
    expect(rag.routerUrl).toMatch(/^http:\/\/x-1st-rag-stack-router\.rag\.svc\.cluster\.local$/);
  });
});
