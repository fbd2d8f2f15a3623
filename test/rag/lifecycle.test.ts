import { App, TerraformStack, Testing } from 'cdktf';
import { Construct } from 'constructs';
import { RagAwsStack } from '../../examples/rag-aws/stack';
import { RagAzureStack } from '../../examples/rag-azure/stack';
import { Cloud, EndpointAccess, Gpu, GpuInferenceCluster, GpuNodePool, LlmModel, RagStack, ServedModel, VectorStore } from '../../lib';
import { AzureDataServices } from '../../lib/azure/data';
// The API server's rules, written independently of the sanitizer under test.
import { DNS_1035, DNS_LABEL, DNS_SUBDOMAIN, LABEL_NAME } from '../fuzz/deployability';
import { awsStack, azureStack, problemLines, resources, synthAppMerged } from '../helpers';

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
    if (type === 'kubernetes_service_v1') expect([at, DNS_1035.test(name)]).toEqual([at, true]);
    else if (['kubernetes_namespace_v1', 'kubernetes_job_v1'].includes(type)) expect([at, DNS_LABEL.test(name)]).toEqual([at, true]);
    else expect([at, DNS_SUBDOMAIN.test(name)]).toEqual([at, true]);
    for (const labels of [...collect(r, 'labels'), ...collect(r, 'match_labels')]) {
      for (const [k, v] of Object.entries(labels as { [k: string]: string })) {
        if (String(v).includes('${')) continue;
        expect([at, k, v, String(v) === '' || LABEL_NAME.test(String(v))]).toEqual([at, k, v, true]);
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
      expect(d.metadata.name).toMatch(DNS_1035);
      const args: string[] = d.spec.template.spec.container[0].args;
      expect(args[args.indexOf('--served-model-name') + 1]).toBe(plan.servedName);
      const scaled = rag.scalingManifests.find((m) => m.kind === 'ScaledObject' && m.spec.scaleTargetRef.name === d.metadata.name)!;
      expect(scaled.spec.triggers[0].metadata.query).toContain(`model_name="${plan.servedName}"`);
    }
  });

  test('the ingestion worker reads the endpoints ConfigMap by name', () => {
    // Both RAG examples run an ingestion worker.
    const ingestion = Object.values(deployments).find((d: any) => d.metadata.labels['app.kubernetes.io/name'] === 'rag-ingestion') as any;
    expect(ingestion).toBeDefined();
    expect(ingestion.spec.template.spec.container[0].env_from).toEqual([{ config_map_ref: { name: rag.endpointsConfigMapName } }]);
    // What its pods read exists first: the endpoints ConfigMap and the API key secret.
    const byName = (type: string, name: string) =>
      Object.entries(resources(doc, type)).find(([, r]: [string, any]) => r.metadata.name === name && r.metadata.namespace === 'rag')![0];
    expect(ingestion.depends_on).toEqual(
      expect.arrayContaining([
        `kubernetes_config_map_v1.${byName('kubernetes_config_map_v1', rag.endpointsConfigMapName)}`,
        `kubernetes_secret_v1.${byName('kubernetes_secret_v1', rag.apiKeySecret.name)}`,
      ]),
    );
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
        // The app queries: it is told the read-only key's secret, not the admin key's.
        expect(d).toMatchObject({
          VECTOR_STORE_AUTH: 'api-key',
          VECTOR_STORE_SECRET: rag.vectorStore.readOnlyKeySecret!.name,
          VECTOR_STORE_SECRET_KEY: rag.vectorStore.readOnlyKeySecret!.key,
        });
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
      // A budget never blocks a node drain, at one replica or none: maxUnavailable, not minAvailable.
      for (const pdb of Object.values(resources(doc, 'kubernetes_pod_disruption_budget_v1')) as any[]) {
        if (pdb.metadata.name !== target) continue;
        expect(pdb.spec.min_available).toBeUndefined();
        expect(pdb.spec.max_unavailable).toBe('1');
      }
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

describe('rag-azure ingestion: Event Grid to a Storage queue, a worker KEDA scales from zero', () => {
  let stack!: RagAzureStack;
  // The events account and topic live in the data stack, the queue and subscription with the cluster.
  const { doc } = synthAppMerged((app) => (stack = new RagAzureStack(app, 'rag-azure')));
  const rag = stack.node.findChild('Rag') as RagStack;
  const queue = Object.values(resources(doc, 'azurerm_storage_queue'))[0] as any;
  const [queueId] = Object.keys(resources(doc, 'azurerm_storage_queue'));
  const accounts = resources(doc, 'azurerm_storage_account');
  const assignments = Object.values(resources(doc, 'azurerm_role_assignment')) as any[];
  const onQueue = (role: string) =>
    assignments.filter((a) => a.scope === `\${azurerm_storage_queue.${queueId}.id}` && a.role_definition_name === role);
  const identityOf = (ref: string) => /azurerm_user_assigned_identity\.(\w+)\./.exec(ref)?.[1];

  test('the example synthesizes the path: one queue, fed by the documents system topic', () => {
    expect(Object.keys(resources(doc, 'azurerm_storage_queue'))).toHaveLength(1);
    const events = Object.entries(accounts).find(([id]) => queue.storage_account_id === `\${azurerm_storage_account.${id}.id}`)!;
    expect(events[1]).toMatchObject({
      shared_access_key_enabled: false,
      network_rules: { default_action: 'Deny', bypass: ['AzureServices'] },
    });
    const topic = Object.values(resources(doc, 'azurerm_eventgrid_system_topic'))[0] as any;
    expect(topic).toMatchObject({ topic_type: 'Microsoft.Storage.StorageAccounts', identity: { type: 'SystemAssigned' } });
    const sub = Object.values(resources(doc, 'azurerm_eventgrid_system_topic_event_subscription'))[0] as any;
    expect(sub).toMatchObject({
      included_event_types: ['Microsoft.Storage.BlobCreated'],
      delivery_identity: { type: 'SystemAssigned' },
      storage_queue_endpoint: { queue_name: `\${azurerm_storage_queue.${queueId}.name}` },
    });
    // The subscription waits for the topic's sender role to propagate (Event Grid checks the destination).
    const [sleepId, sleep] = Object.entries(resources(doc, 'time_sleep')).find(([, t]: [string, any]) =>
      (t.depends_on ?? []).some((d: string) => d.includes('TopicSender')),
    ) as [string, any];
    expect(sub.depends_on).toContain(`time_sleep.${sleepId}`);
    expect(sleep.create_duration).toBe('300s');
    const sender = onQueue('Storage Queue Data Message Sender');
    expect(sender).toHaveLength(1);
    expect(sender[0].principal_id).toMatch(/^\$\{azurerm_eventgrid_system_topic\.\w+\.identity\[0\]\.principal_id\}$/);
  });

  test("KEDA reads the queue length with its own workload identity; the worker consumes with the worker's", () => {
    const scaled = rag.scalingManifests.find((m) => m.kind === 'ScaledObject' && m.spec.triggers[0].type === 'azure-queue')!;
    const events = Object.entries(accounts).find(([id]) => queue.storage_account_id === `\${azurerm_storage_account.${id}.id}`)!;
    expect(scaled.spec.triggers[0].metadata).toEqual({ queueName: queue.name, accountName: events[1].name, queueLength: '10' });
    expect(scaled.spec.minReplicaCount).toBe(0);
    const auth = rag.scalingManifests.find((m) => m.kind === 'TriggerAuthentication')!;
    expect(scaled.spec.triggers[0].authenticationRef).toEqual({ name: auth.metadata.name });
    expect(auth.spec).toEqual({ podIdentity: { provider: 'azure-workload' } });

    const keda = (Object.values(resources(doc, 'helm_release')) as any[]).find((r) => r.name === 'keda');
    const kedaIdentity = /client-id: '\$\{azurerm_user_assigned_identity\.(\w+)\.client_id\}'/.exec(keda.values[0])![1];
    expect(keda.values[0]).toMatch(/podLabels:\n {2}keda:\n {4}azure\.workload\.identity\/use: "true"/);
    const reader = onQueue('Storage Queue Data Reader');
    expect(reader.map((a) => identityOf(a.principal_id))).toEqual([kedaIdentity]);

    const worker = (Object.values(resources(doc, 'kubernetes_deployment_v1')) as any[]).find(
      (d) => d.metadata.labels['app.kubernetes.io/name'] === 'rag-ingestion',
    );
    expect(worker.spec.template.metadata.labels['azure.workload.identity/use']).toBe('true');
    const sa = (Object.values(resources(doc, 'kubernetes_service_account_v1')) as any[]).find(
      (s) => s.metadata.name === worker.spec.template.spec.service_account_name,
    );
    const workerIdentity = identityOf(sa.metadata.annotations['azure.workload.identity/client-id']);
    const processor = onQueue('Storage Queue Data Message Processor');
    expect(processor.map((a) => identityOf(a.principal_id))).toEqual([workerIdentity]);
    expect(workerIdentity).not.toBe(kedaIdentity);
    // The worker reaches Qdrant with its key (the ConfigMap only names the secret).
    expect(worker.spec.template.spec.container[0].env).toContainEqual({
      name: 'VECTOR_STORE_API_KEY',
      value_from: { secret_key_ref: { name: rag.vectorStore.apiKeySecret!.name, key: rag.vectorStore.apiKeySecret!.key } },
    });
    const cm = (Object.values(resources(doc, 'kubernetes_config_map_v1')) as any[]).find(
      (c) => c.metadata.namespace === 'rag' && c.metadata.name === rag.endpointsConfigMapName,
    );
    expect(cm.data.DOCUMENTS_QUEUE_URL).toBe(`https://${events[1].name}.queue.core.windows.net/${queue.name}`);
  });
});

describe('Azure object events under an id of their own', () => {
  test("a queue with the id 'Events' synthesizes; with any other id the shared part keeps its path", () => {
    const paths = (id: string) => {
      const stack = azureStack();
      const data = new AzureDataServices({
        clusterName: 'ai',
        location: 'eastus2',
        resourceGroupName: 'rg',
        network: {
          networkId: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v',
          privateSubnetIds: ['/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/n'],
        },
        tags: {},
        cluster: { providers: () => ({}) as any, addonDependencies: () => [] },
      });
      const docs = new Construct(stack, 'Docs');
      data.objectEvents(new Construct(docs, id), data.objectStore(docs, {}), {});
      const doc = JSON.parse(Testing.synth(stack, true));
      return Object.keys(resources(doc, 'azurerm_eventgrid_system_topic')).map((n) => n.replace(/_[0-9A-F]{8}$/, ''));
    };
    // RagStack's own queue is 'Events' (the example above): the shared part moves aside.
    expect(paths('Events')).toEqual(['Docs_SharedEvents_Topic']);
    expect(paths('Ingest')).toEqual(['Docs_Events_Topic']);
  });
});
