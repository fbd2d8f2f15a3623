import { App, Testing } from 'cdktf';
import * as fs from 'fs';
import * as path from 'path';
import { RagAwsStack } from '../../examples/rag-aws/stack';
import { RagAzureStack } from '../../examples/rag-azure/stack';
import { EmbeddingModel, InferenceGateway, LlmModel, ObservabilityStack, RagStack, ServedModel, VectorStore } from '../../lib';
import { GATEWAY_POD_LABELS, inferencePoolCrd } from '../../lib/addons/inference-gateway/inference-gateway';
import { crdProblems } from '../crd-schema';
import { awsStack, problemLines, resources } from '../helpers';
import { eksCluster } from '../tenancy/fixtures';

// The models of rag-aws and rag-azure behind the inference gateway: pools that select exactly their
// servers on vLLM's port, routes that all ask for a credential, and no way into the models' namespace
// from the gateway but to servers and pickers.

const poolSchema = inferencePoolCrd().spec.versions.find((v: any) => v.name === 'v1').schema.openAPIV3Schema;
const fixture = (file: string) => JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'fixtures', file), 'utf8'));
/** The schema of each kind the stack's gateway release holds (Gateway API 1.6.1, Envoy Gateway 1.9.0). */
const schemas: { [kind: string]: any } = {
  InferencePool: poolSchema,
  HTTPRoute: fixture('gateway-api/HTTPRoute.json'),
  Backend: fixture('envoy-gateway/Backend.json'),
  BackendTrafficPolicy: fixture('envoy-gateway/BackendTrafficPolicy.json'),
  EnvoyExtensionPolicy: fixture('envoy-gateway/EnvoyExtensionPolicy.json'),
  HTTPRouteFilter: fixture('envoy-gateway/HTTPRouteFilter.json'),
  SecurityPolicy: fixture('envoy-gateway/SecurityPolicy.json'),
};
/** The objects of a kind that target an HTTPRoute. */
const targeting = (manifests: any[], kind: string, route: string) =>
  manifests.filter((m) => m.kind === kind && m.spec.targetRefs.some((t: any) => t.kind === 'HTTPRoute' && t.name === route));

/** Whether a pod's labels satisfy a matchLabels selector. */
const selects = (selector: { [k: string]: string }, labels: { [k: string]: string }) =>
  Object.entries(selector).every(([k, v]) => labels[k] === v);

describe.each([
  ['rag-aws', (app: App) => new RagAwsStack(app, 'rag-aws')],
  ['rag-azure', (app: App) => new RagAzureStack(app, 'rag-azure')],
])('%s', (_name, make) => {
  const stack = make(Testing.app());
  const rag = stack.node.findChild('Rag') as RagStack;
  const gateway = stack.node.findChild('Gateway') as InferenceGateway;
  const doc = JSON.parse(Testing.synth(stack, true));
  const deployments = Object.values<any>(resources(doc, 'kubernetes_deployment_v1'));
  const jobs = Object.values<any>(resources(doc, 'kubernetes_job_v1'));
  const inRag = (x: any) => x.metadata.namespace === rag.namespace;
  // Every pod template of the namespace: Deployments and Jobs.
  const podTemplates = [...deployments.filter(inRag), ...jobs.filter(inRag)].map((d) => ({
    name: d.metadata.name as string,
    labels: d.spec.template.metadata.labels as { [k: string]: string },
  }));
  const servers = deployments.filter((d) => inRag(d) && d.metadata.labels['app.kubernetes.io/name'] === 'vllm');
  const servedName = (d: any) => {
    const args: string[] = d.spec.template.spec.container[0].args;
    return args[args.indexOf('--served-model-name') + 1];
  };
  // The reranker goes without a picker: v1.5.0's parser refuses /v1/rerank and /v1/score.
  const picked = servers.filter((d) => servedName(d) !== rag.plans.score?.servedName);
  const pools = rag.gatewayManifests.filter((m) => m.kind === 'InferencePool');

  test('each served model has an InferencePool selecting exactly its pods, on the port vLLM listens on', () => {
    expect(servers.length).toBe(Object.keys(rag.plans).length);
    expect(picked.length).toBeGreaterThanOrEqual(2);
    expect(pools.map((p) => p.metadata.name).sort()).toEqual(picked.map((d) => d.metadata.name).sort());
    for (const pool of pools) {
      const server = servers.find((d) => d.metadata.name === pool.metadata.name)!;
      const selector = pool.spec.selector.matchLabels;
      // The Deployment's own selector, and no other pod template of the namespace matches it.
      expect(selector).toEqual(server.spec.selector.match_labels);
      expect(podTemplates.filter((t) => selects(selector, t.labels)).map((t) => t.name)).toEqual([server.metadata.name]);
      const container = server.spec.template.spec.container[0];
      const port = Number(container.args[container.args.indexOf('--port') + 1]);
      expect(pool.spec.targetPorts).toEqual([{ number: port }]);
      expect(container.port.map((p: any) => p.container_port)).toContain(port);
      expect(crdProblems(poolSchema, pool)).toEqual([]);
    }
  });

  test("each pool's endpoint picker exists and watches that pool", () => {
    for (const pool of pools) {
      const ref = pool.spec.endpointPickerRef;
      const picker = deployments.find((d) => inRag(d) && d.metadata.name === ref.name)!;
      const args: string[] = picker.spec.template.spec.container[0].args;
      expect(args[args.indexOf('--pool-name') + 1]).toBe(pool.metadata.name);
      expect(args[args.indexOf('--pool-namespace') + 1]).toBe(rag.namespace);
      const service = Object.values<any>(resources(doc, 'kubernetes_service_v1')).find((s) => inRag(s) && s.metadata.name === ref.name)!;
      expect(service.spec.port.map((p: any) => p.port)).toContain(ref.port.number);
      // A leader and a standby; no budget, since the standby is never ready and a budget would block drains.
      expect(picker.spec.replicas).toBe('2');
      expect(args).toContain('--ha-enable-leader-election');
      const budgets = Object.values<any>(resources(doc, 'kubernetes_pod_disruption_budget_v1')).filter(inRag);
      expect(budgets.filter((b) => selects(b.spec.selector.match_labels, picker.spec.template.metadata.labels))).toEqual([]);
      // Pod Security 'restricted' holds for the picker too.
      const sc = picker.spec.template.spec.container[0].security_context;
      expect(sc).toMatchObject({ run_as_non_root: true, allow_privilege_escalation: false, read_only_root_filesystem: true });
    }
  });

  test('every object fits its CRD', () => {
    expect(rag.gatewayManifests.length).toBeGreaterThan(0);
    for (const m of rag.gatewayManifests) {
      expect(schemas[m.kind]).toBeDefined();
      expect([m.kind, m.metadata.name, crdProblems(schemas[m.kind], m)]).toEqual([m.kind, m.metadata.name, []]);
    }
  });

  test("each model's path routes to its server's Service, whose endpoints are its pool's pods", () => {
    const routes = rag.gatewayManifests.filter((m) => m.kind === 'HTTPRoute');
    expect(routes).toHaveLength(servers.length);
    const services = Object.values<any>(resources(doc, 'kubernetes_service_v1')).filter(inRag);
    for (const server of servers) {
      const container = server.spec.template.spec.container[0];
      const served = container.args[container.args.indexOf('--served-model-name') + 1];
      const vllmPort = Number(container.args[container.args.indexOf('--port') + 1]);
      const route = routes.find((r) => r.metadata.name === server.metadata.name)!;
      expect(route.spec.parentRefs).toEqual([
        { group: 'gateway.networking.k8s.io', kind: 'Gateway', name: gateway.gatewayName, namespace: gateway.namespace },
      ]);
      const [rule] = route.spec.rules;
      expect(route.spec.rules).toHaveLength(1);
      expect(rule.matches).toEqual([{ path: { type: 'PathPrefix', value: `/models/${served}/v1` } }]);
      expect(rule.filters[0]).toEqual({
        type: 'URLRewrite',
        urlRewrite: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/v1' } },
      });
      // The Service selects what the pool selects, and lands on vLLM's port: the picker names pod IP and that port.
      const [ref] = rule.backendRefs;
      const service = services.find((x) => x.metadata.name === ref.name)!;
      expect(service.spec.selector).toEqual(server.spec.selector.match_labels);
      const port = service.spec.port.find((p: any) => p.port === ref.port);
      const named = container.port.find((p: any) => p.name === port.target_port);
      expect(named.container_port).toBe(vllmPort);
      const pool = pools.find((p) => p.metadata.name === server.metadata.name);
      if (picked.includes(server)) {
        expect(service.spec.selector).toEqual(pool!.spec.selector.matchLabels);
        expect(pool!.spec.targetPorts).toEqual([{ number: vllmPort }]);
      } else {
        // No picker: the Service's ClusterIP.
        expect(pool).toBeUndefined();
        expect(targeting(rag.gatewayManifests, 'EnvoyExtensionPolicy', route.metadata.name)).toEqual([]);
        const [lb] = targeting(rag.gatewayManifests, 'BackendTrafficPolicy', route.metadata.name);
        // Through the ClusterIP: Envoy Gateway would answer 503 itself for a Service without endpoints, so a
        // reranker at zero would never see the request that wakes it.
        expect(lb.spec.routingType).toBe('Service');
        expect(lb.spec.loadBalancer).toBeUndefined();
      }
    }
  });

  test("each route calls its pool's picker and goes to the pod it names", () => {
    for (const pool of pools) {
      const route = pool.metadata.name;
      const [ext] = targeting(rag.gatewayManifests, 'EnvoyExtensionPolicy', route);
      expect(ext.spec.extProc).toHaveLength(1);
      const proc = ext.spec.extProc[0];
      // The endpoint-picker protocol: headers and bodies both ways, full duplex; fail closed as the CRD demands.
      expect(proc.processingMode).toEqual({ request: { body: 'FullDuplexStreamed' }, response: { body: 'FullDuplexStreamed' } });
      expect(proc.failOpen).toBe(false);
      const backend = rag.gatewayManifests.find((m) => m.kind === 'Backend' && m.metadata.name === proc.backendRefs[0].name)!;
      expect(backend.spec.endpoints).toEqual([
        {
          fqdn: {
            hostname: `${pool.spec.endpointPickerRef.name}.${rag.namespace}.svc.cluster.local`,
            port: pool.spec.endpointPickerRef.port.number,
          },
        },
      ]);
      expect(proc.backendRefs[0].port).toBe(pool.spec.endpointPickerRef.port.number);
      const [lb] = targeting(rag.gatewayManifests, 'BackendTrafficPolicy', route);
      expect(lb.spec.loadBalancer.endpointOverride).toEqual({ extractFrom: [{ header: 'x-gateway-destination-endpoint' }] });
    }
  });

  test('every HTTPRoute is covered by an API-key policy, and the Gateway denies what none covers', () => {
    const routes = rag.gatewayManifests.filter((m) => m.kind === 'HTTPRoute').map((m) => m.metadata.name);
    expect(routes.length).toBeGreaterThan(0);
    const policies = rag.gatewayManifests.filter((m) => m.kind === 'SecurityPolicy');
    for (const name of routes) {
      const covering = policies.filter((p) => p.spec.targetRefs.some((t: any) => t.kind === 'HTTPRoute' && t.name === name));
      expect(covering).toHaveLength(1);
      expect(covering[0].metadata.namespace).toBe(rag.namespace);
      expect(covering[0].spec.apiKeyAuth).toEqual({
        credentialRefs: [{ group: '', kind: 'Secret', name: rag.apiKeySecret.name }],
        extractFrom: [{ headers: ['Authorization'] }],
      });
      const limits = rag.gatewayManifests.filter(
        (m) => m.kind === 'BackendTrafficPolicy' && m.spec.targetRefs.some((t: any) => t.kind === 'HTTPRoute' && t.name === name),
      );
      expect(limits.map((l) => l.spec.rateLimit.type)).toEqual(['Local']);
    }
    // A route attached without its own policy falls back to the Gateway's: deny everything.
    const gatewayPolicies = gateway.manifests.filter((m) => m.kind === 'SecurityPolicy');
    expect(gatewayPolicies).toHaveLength(1);
    expect(gatewayPolicies[0].spec.authorization).toEqual({ defaultAction: 'Deny' });
    // The gateway has one listener, HTTPS: no plain-text path in.
    expect(gateway.manifests.find((m) => m.kind === 'Gateway')!.spec.listeners.map((l: any) => l.protocol)).toEqual(['HTTPS']);
  });

  test('no path around the gateway: the namespace admits Envoy to servers and pickers only', () => {
    const policies = Object.values<any>(resources(doc, 'kubernetes_network_policy_v1')).filter(inRag);
    const fromGateway = policies.filter((p) =>
      (p.spec.ingress ?? []).some((i: any) =>
        (i.from ?? []).some((f: any) => f.namespace_selector?.match_labels?.['kubernetes.io/metadata.name'] === gateway.namespace),
      ),
    );
    expect(
      fromGateway.map((p) => [p.spec.pod_selector.match_labels['app.kubernetes.io/name'], p.spec.ingress[0].ports[0].port]).sort(),
    ).toEqual([
      ['endpoint-picker', '9002'],
      ['vllm', '8000'],
    ]);
    // Nothing else admits the gateway's namespace or every platform namespace.
    const names = policies.flatMap((p) => (p.spec.ingress ?? []).flatMap((i: any) => i.from ?? []));
    expect(names.some((f: any) => f.namespace_selector?.match_labels?.['app.kubernetes.io/part-of'] === 'ai-platform')).toBe(false);
  });

  test('Prometheus scrapes the pickers and the Envoy pods of the gateway', () => {
    const obs = stack.node.findChild('Obs') as ObservabilityStack;
    const monitors: any[] = obs.kubePrometheusStack.values.prometheus.additionalPodMonitors;
    const picker = monitors.find((m) => m.name === 'endpoint-picker');
    const envoy = monitors.find((m) => m.name === 'inference-gateway-envoy');
    for (const pool of pools) {
      const d = deployments.find((x) => inRag(x) && x.metadata.name === pool.spec.endpointPickerRef.name)!;
      expect(selects(picker.selector.matchLabels, d.spec.template.metadata.labels)).toBe(true);
      expect(d.spec.template.spec.container[0].port.map((p: any) => p.name)).toContain(picker.podMetricsEndpoints[0].port);
    }
    // Envoy Gateway names the Envoy container's stats port 'metrics' (19001, /stats/prometheus).
    expect(selects(envoy.selector.matchLabels, GATEWAY_POD_LABELS)).toBe(true);
    expect(envoy.namespaceSelector).toEqual({ matchNames: [gateway.namespace] });
    expect(envoy.podMetricsEndpoints[0]).toMatchObject({ port: 'metrics', path: '/stats/prometheus' });
    // What the dashboard and KEDA's wake trigger read survives the allow-list.
    const keep = new RegExp(`^(?:${envoy.podMetricsEndpoints[0].metricRelabelings[0].regex})$`);
    for (const name of ['envoy_cluster_upstream_rq_time_bucket', 'envoy_cluster_upstream_rq_xx', 'envoy_cluster_upstream_cx_connect_fail'])
      expect(name).toMatch(keep);
  });

  test("the app's ConfigMap points at each model's path on the gateway", () => {
    const endpoints = Object.values<any>(resources(doc, 'kubernetes_config_map_v1')).find(
      (c) => inRag(c) && c.metadata.name === rag.endpointsConfigMapName,
    );
    const served = (task: string) => rag.plans[task].servedName;
    expect(endpoints.data.OPENAI_BASE_URL).toBe(`${gateway.url}/models/${served('generate')}/v1`);
    expect(endpoints.data.EMBEDDINGS_BASE_URL).toBe(`${gateway.url}/models/${served('embed')}/v1`);
    if (rag.plans.score) expect(endpoints.data.RERANK_BASE_URL).toBe(`${gateway.url}/models/${served('score')}/v1`);
  });
});

test('a gateway of another cluster, and a rate limit without a gateway or below 1, are refused', () => {
  const stack = awsStack();
  const cluster = eksCluster(stack);
  const otherStack = awsStack('other');
  const foreign = new InferenceGateway(otherStack, 'Gateway', { cluster: eksCluster(otherStack) });
  const models = {
    cluster,
    generator: ServedModel.of(LlmModel.QWEN2_5_7B, { pool: 'l4', contextLength: 4096 }),
    embedder: ServedModel.of(EmbeddingModel.BGE_M3, { pool: 'l4' }),
    vectorStore: VectorStore.pgvector(),
  };
  new RagStack(stack, 'Rag', { ...models, gateway: foreign, gatewayRequestsPerMinute: 0 });
  new RagStack(stack, 'Other', { ...models, namespace: 'other', gatewayRequestsPerMinute: 60 });
  const lines = problemLines(stack);
  expect(lines).toHaveLength(3);
  expect(lines).toEqual(
    expect.arrayContaining([
      expect.stringMatching(
        /^test\/Rag: gateway 'other\/Gateway' belongs to another cluster; pass the InferenceGateway of cluster 'test\/Gpu'$/,
      ),
      expect.stringMatching(/^test\/Rag: gatewayRequestsPerMinute 0 is not a whole number of requests above 0; /),
      expect.stringMatching(/^test\/Other: gatewayRequestsPerMinute 60 is set without gateway; /),
    ]),
  );
});

describe('JWTs instead of the API key', () => {
  const stack = awsStack();
  const cluster = eksCluster(stack);
  const gateway = new InferenceGateway(stack, 'Gateway', { cluster });
  const rag = new RagStack(stack, 'Rag', {
    cluster,
    gateway,
    gatewayJwt: { issuer: 'https://login.example.com/', jwksUri: 'https://login.example.com/.well-known/jwks.json', audiences: ['rag'] },
    generator: ServedModel.of(LlmModel.QWEN2_5_7B, { pool: 'l4', contextLength: 4096 }),
    embedder: ServedModel.of(EmbeddingModel.BGE_M3, { pool: 'l4' }),
    vectorStore: VectorStore.pgvector(),
  });

  test('synthesizes without problems', () => {
    expect(problemLines(stack)).toEqual([]);
  });

  test('vLLM still gets the API key: each route swaps the token for it, from a Secret', () => {
    const [filter] = rag.gatewayManifests.filter((m) => m.kind === 'HTTPRouteFilter');
    expect(filter.spec.credentialInjection).toEqual({
      header: 'Authorization',
      overwrite: true,
      credential: { valueRef: { group: '', kind: 'Secret', name: filter.metadata.name } },
    });
    for (const route of rag.gatewayManifests.filter((m) => m.kind === 'HTTPRoute'))
      expect(route.spec.rules[0].filters).toContainEqual({
        type: 'ExtensionRef',
        extensionRef: { group: 'gateway.envoyproxy.io', kind: 'HTTPRouteFilter', name: filter.metadata.name },
      });
    const doc = JSON.parse(Testing.synth(stack, true));
    const secret = Object.values<any>(resources(doc, 'kubernetes_secret_v1')).find((x) => x.metadata.name === filter.metadata.name);
    // A reference to the generated key, never a literal.
    expect(secret.data.credential).toMatch(
      /^\$\{join\("", \["Bearer ", kubernetes_secret_v1\.Rag_ApiKey_[0-9A-F]+\.data\["api-key"\]\]\)\}$/,
    );
  });

  test("the route's policy asks for a token of the issuer, and no API key", () => {
    const policies = rag.gatewayManifests.filter((m) => m.kind === 'SecurityPolicy');
    expect(policies).toHaveLength(2);
    const [policy] = policies;
    expect(policy.spec).toEqual({
      targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', name: policy.spec.targetRefs[0].name }],
      jwt: {
        providers: [
          {
            name: 'issuer',
            issuer: 'https://login.example.com/',
            audiences: ['rag'],
            remoteJWKS: { uri: 'https://login.example.com/.well-known/jwks.json' },
          },
        ],
      },
    });
  });
});

test('JWT options are checked', () => {
  const stack = awsStack();
  const cluster = eksCluster(stack);
  new RagStack(stack, 'Rag', {
    cluster,
    gateway: new InferenceGateway(stack, 'Gateway', { cluster }),
    gatewayJwt: { issuer: '', jwksUri: 'http://login.example.com/jwks' },
    generator: ServedModel.of(LlmModel.QWEN2_5_7B, { pool: 'l4', contextLength: 4096 }),
    embedder: ServedModel.of(EmbeddingModel.BGE_M3, { pool: 'l4' }),
    vectorStore: VectorStore.pgvector(),
  });
  expect(problemLines(stack)).toEqual([
    expect.stringMatching(/^test\/Rag: gatewayJwt\.issuer '' is empty; /),
    expect.stringMatching(/^test\/Rag: gatewayJwt\.jwksUri 'http:\/\/login\.example\.com\/jwks' is not an https URL; /),
  ]);
});

test('one served name on one gateway from two stacks is refused, naming both', () => {
  const stack = awsStack();
  const cluster = eksCluster(stack);
  const gateway = new InferenceGateway(stack, 'Gateway', { cluster });
  const models = {
    cluster,
    gateway,
    generator: ServedModel.of(LlmModel.QWEN2_5_7B, { pool: 'l4', contextLength: 4096 }),
    embedder: ServedModel.of(EmbeddingModel.BGE_M3, { pool: 'l4' }),
    vectorStore: VectorStore.pgvector(),
  };
  new RagStack(stack, 'Rag', models);
  new RagStack(stack, 'Other', { ...models, namespace: 'other' });
  const lines = problemLines(stack);
  expect(lines.length).toBe(2);
  for (const l of lines)
    expect(l).toMatch(
      /^test\/Other: gateway model '[^']+' is already served through gateway 'test\/Gateway' by 'test\/Rag'; serve it from one RagStack, /,
    );
});

describe('the namespace of a stack behind the gateway', () => {
  const stack = awsStack();
  const cluster = eksCluster(stack);
  new RagStack(stack, 'Rag', {
    cluster,
    gateway: new InferenceGateway(stack, 'Gateway', { cluster }),
    generator: ServedModel.of(LlmModel.QWEN2_5_7B, { pool: 'l4', contextLength: 4096 }),
    embedder: ServedModel.of(EmbeddingModel.BGE_M3, { pool: 'l4' }),
    vectorStore: VectorStore.pgvector(),
  });
  const doc = JSON.parse(Testing.synth(stack, true));

  test('carries the label the listener admits routes by', () => {
    const ns = Object.values<any>(resources(doc, 'kubernetes_namespace_v1')).find((n) => n.metadata.name === 'rag');
    expect(ns.metadata.labels).toMatchObject({
      'ai-platform.io/inference-gateway-routes': 'true',
      'app.kubernetes.io/part-of': 'ai-platform',
    });
  });

  test("may send to the Envoy pods' container port (a Service on 443 lands there), selected by label", () => {
    const egress = Object.values<any>(resources(doc, 'kubernetes_network_policy_v1')).find(
      (p) => p.metadata.namespace === 'rag' && p.metadata.name === 'allow-egress-inference-gateway',
    );
    expect(egress.spec.policy_types).toEqual(['Egress']);
    // Labels, not CIDRs: Cilium (AKS) applies no CIDR rule between pods.
    expect(egress.spec.egress).toEqual([
      {
        to: [
          {
            namespace_selector: { match_labels: { 'kubernetes.io/metadata.name': 'envoy-gateway-system' } },
            pod_selector: { match_labels: GATEWAY_POD_LABELS },
          },
        ],
        ports: [{ port: '10443', protocol: 'TCP' }],
      },
    ]);
  });
});
