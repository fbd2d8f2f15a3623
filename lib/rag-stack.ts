import { ConfigMapV1 } from '@cdktf/provider-kubernetes/lib/config-map-v1';
import { DeploymentV1 } from '@cdktf/provider-kubernetes/lib/deployment-v1';
import { NetworkPolicyV1 } from '@cdktf/provider-kubernetes/lib/network-policy-v1';
import { PersistentVolumeClaimV1 } from '@cdktf/provider-kubernetes/lib/persistent-volume-claim-v1';
import { SecretV1 } from '@cdktf/provider-kubernetes/lib/secret-v1';
import { ServiceAccountV1 } from '@cdktf/provider-kubernetes/lib/service-account-v1';
import { Annotations, dependable, Fn, ITerraformDependable, TerraformOutput, Token } from 'cdktf';
import { Construct } from 'constructs';
import { ChartOverrides } from './addons/chart';
import { Keda } from './addons/keda';
import { ManifestsRelease } from './addons/manifests';
import { PlatformNamespace } from './addons/namespace';
import { EgressRule, PRIVATE_RANGES } from './addons/egress';
import { requestEgress } from './core/egress-requests';
import { IAcceleratorCluster, IWorkloadIdentity } from './core/cluster';
import { IObjectEventQueue, ISharedFileSystem, KubernetesSecretKeyRef, RemovalPolicy, ServiceLogin } from './core/data-services';
import { ObjectStore } from './data-services';
import { kubernetesName, kubernetesNames, outputName } from './private/naming';
import { containerSecurityContext, podSecurityContext, writableDirs } from './private/pod-security';
import { reportProblems } from './private/problems';
import { ModelTask, ServedModel, ServingPlan, planServedModel } from './rag/served-model';
import { ModelCacheMount, ModelRouter, ModelServer, ModelStagingJob, modelScaledObject } from './rag/serving';
import { IVectorStoreBinding, RagContext } from './rag/types';
import { VectorStore } from './rag/vector-store';

/** How served models scale. */
export interface RagAutoscalingOptions {
  /**
   * Most replicas of each served model (a model's own `maxReplicas` wins).
   * @default 4
   */
  readonly maxReplicas?: number;
  /**
   * Waiting requests per replica KEDA aims for; more adds a replica.
   * @default 5
   */
  readonly targetQueueDepth?: number;
}

/** A user-supplied ingestion worker: reads new documents, embeds them, writes the vector store. */
export interface IngestionOptions {
  /** Container image (pin a digest or tag). */
  readonly image: string;
  /**
   * Command (entrypoint override).
   * @default - the image's entrypoint
   */
  readonly command?: string[];
  /**
   * Most worker replicas.
   * @default 4
   */
  readonly maxReplicas?: number;
  /**
   * Queued documents per replica KEDA aims for.
   * @default 10
   */
  readonly messagesPerReplica?: number;
}

/** The document store of a RagStack. */
export interface RagDocumentsOptions {
  /**
   * What destroy does to the documents.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Raise an event on a queue for each new document (S3 notifications to SQS, Event Grid to a Storage queue).
   * @default true when `ingestion` is set
   */
  readonly events?: boolean;
  /**
   * An ingestion worker scaled by KEDA on the event queue, from zero.
   * @default - none
   */
  readonly ingestion?: IngestionOptions;
}

/** Props of a RagStack. */
export interface RagStackProps {
  /** The cluster (GpuInferenceCluster or ExistingCluster). */
  readonly cluster: IAcceleratorCluster;
  /** The LLM that writes answers, e.g. `ServedModel.of(LlmModel.LLAMA_3_1_8B, { pool: 'llm' })`. */
  readonly generator: ServedModel;
  /** The embedding model, e.g. `ServedModel.of(EmbeddingModel.BGE_M3, { pool: 'small' })`. */
  readonly embedder: ServedModel;
  /**
   * A reranker, e.g. `ServedModel.of(RerankerModel.BGE_RERANKER_V2_M3, { pool: 'small' })`.
   * @default - none
   */
  readonly reranker?: ServedModel;
  /** Where vectors live: `VectorStore.pgvector()` (managed) or an in-cluster Qdrant, Milvus or Weaviate. */
  readonly vectorStore: VectorStore;
  /**
   * The document bucket and its ingestion.
   * @default - a retained bucket, no events, no ingestion worker
   */
  readonly documents?: RagDocumentsOptions;
  /**
   * Scaling on queue depth.
   * @default - up to 4 replicas per model, 5 waiting requests per replica
   */
  readonly autoscaling?: RagAutoscalingOptions;
  /**
   * Namespace of the stack's workloads. Pod Security 'restricted' (the vector store's `podSecurity`:
   * 'baseline' for Qdrant and Milvus, whose charts cannot drop capabilities); ingestion images must run as a
   * numeric non-root user.
   * @default 'rag'
   */
  readonly namespace?: string;
  /**
   * Namespace of the ObservabilityStack, admitted to scrape the stack's pods.
   * @default 'monitoring'
   */
  readonly monitoringNamespace?: string;
  /**
   * Prometheus query URL for KEDA (pass `observability.prometheusUrl`).
   * @default - the in-cluster URL of an ObservabilityStack in namespace 'monitoring'
   */
  readonly prometheusUrl?: string;
  /**
   * A secret in the stack's namespace with a Hugging Face token, for gated models (create it out of band,
   * e.g. from a secret manager; it is never in the configuration).
   * @default - public models only
   */
  readonly huggingFaceToken?: KubernetesSecretKeyRef;
  /**
   * What destroy does to the vector store's data (and to the model cache's file system).
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * A model-weight cache: a shared ReadWriteMany volume (EFS on AWS, Azure Files premium on Azure) that one
   * staging job per model fills from the Hugging Face hub once; model servers mount it read-only and load
   * from it instead of each new pod downloading the weights. `false`: every pod downloads from the hub.
   * @default true
   */
  readonly modelCache?: boolean;
  /**
   * Version and values overrides of the KEDA chart (installed once per cluster).
   * @default - the pinned version and the library's values
   */
  readonly kedaChart?: ChartOverrides;
  /**
   * Terraform outputs: router URL, endpoints ConfigMap, documents URL.
   * @default false
   */
  readonly outputs?: boolean;
  /**
   * Further destinations the namespace's pods may reach (e.g. an ingestion source on a port other than 443): TCP ports at IPv4 CIDRs, the cloud
   * metadata ranges cut out. Egress is otherwise denied but for DNS, the namespace, HTTPS and what grants
   * request.
   * @default - none
   */
  readonly egress?: EgressRule[];
}

const DEFAULT_MAX_REPLICAS = 4;
const DEFAULT_QUEUE_DEPTH = 5;

/**
 * Retrieval-augmented generation on a GPU cluster: an LLM, an embedding model and an optional reranker
 * served by vLLM behind one OpenAI-compatible router, sized at synth for their pools and scaled by KEDA on
 * each model's queue, loading weights from a shared model cache staged once per model; a vector store with
 * authentication on; a document bucket with optional new-document events and an ingestion worker. App teams
 * get one ConfigMap and an API key through `grantQuery`.
 *
 * ```ts
 * const rag = new RagStack(this, 'Rag', {
 *   cluster,
 *   generator: ServedModel.of(LlmModel.LLAMA_3_1_8B, { pool: 'llm', contextLength: 8192, concurrentSequences: 32 }),
 *   embedder: ServedModel.of(EmbeddingModel.BGE_M3, { pool: 'small' }),
 *   vectorStore: VectorStore.pgvector(),
 * });
 * rag.grantQuery(appIdentity);
 * ```
 */
export class RagStack extends Construct {
  /** Namespace of the stack's workloads. */
  public readonly namespace: string;
  /** In-cluster URL of the generator's router (OpenAI API under `/v1`). */
  public readonly routerUrl: string;
  /**
   * In-cluster URL of the embedder's and reranker's router (`/v1/embeddings`, `/v1/rerank`).
   * @default - none without an embedder or reranker
   */
  public readonly poolingRouterUrl?: string;
  /** Sizing of each served model, by task ('generate', 'embed', 'score'). */
  public readonly plans: { [task: string]: ServingPlan } = {};
  /** The vector store. */
  public readonly vectorStore: IVectorStoreBinding;
  /** The document bucket. */
  public readonly documents: ObjectStore;
  /** The new-document queue, when events are on. */
  public readonly documentEvents?: IObjectEventQueue;
  /** Name of the ConfigMap with the endpoints (in the stack's namespace and in each granted namespace). */
  public readonly endpointsConfigMapName: string;
  /** The KEDA objects installed through Helm after KEDA (ScaledObjects, the ingestion TriggerAuthentication). */
  public readonly scalingManifests: { [key: string]: any }[];
  /** The API key secret clients send as `Authorization: Bearer` (generated at apply time). */
  public readonly apiKeySecret: KubernetesSecretKeyRef;
  /**
   * The shared file system of the model cache.
   * @default - none when `modelCache` is false
   */
  public readonly modelCacheFileSystem?: ISharedFileSystem;
  /**
   * Name of the model cache's claim (ReadWriteMany, in the stack's namespace).
   * @default - none when `modelCache` is false
   */
  public readonly modelCacheClaimName?: string;
  private readonly cluster: IAcceleratorCluster;
  private ingestionDeployment?: DeploymentV1;
  private readonly ctx: RagContext;
  private readonly apiKey: SecretV1;
  private readonly endpoints: { [key: string]: string };
  private readonly routerPodLabels: { [key: string]: string }[];
  private readonly granted = new Map<string, ITerraformDependable[]>();
  private namespaceLogin?: ServiceLogin;

  constructor(scope: Construct, id: string, props: RagStackProps) {
    super(scope, id);
    const cluster = props.cluster;
    this.cluster = cluster;
    this.namespace = props.namespace ?? 'rag';
    // Every Kubernetes name below starts with this one: a DNS-1035 label (routers are Services), short
    // enough for the longest suffix.
    const stackName = kubernetesName(id, 'service', 30);
    const problems: string[] = [];
    const autoscaling = props.autoscaling ?? {};
    const queueDepth = autoscaling.targetQueueDepth ?? DEFAULT_QUEUE_DEPTH;
    if (!Number.isInteger(queueDepth) || queueDepth < 1)
      problems.push(
        `autoscaling.targetQueueDepth ${queueDepth} is not a whole number >= 1; use the waiting requests per replica to aim for, e.g. 5`,
      );
    if (autoscaling.maxReplicas !== undefined && (!Number.isInteger(autoscaling.maxReplicas) || autoscaling.maxReplicas < 1))
      problems.push(`autoscaling.maxReplicas ${autoscaling.maxReplicas} is not a whole number >= 1; use the most replicas per model`);
    if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(this.namespace))
      problems.push(`namespace '${this.namespace}' is not a Kubernetes namespace name; use lower-case letters, digits and '-'`);

    // Sizing at synth: each model on its pool, or a message naming what does not fit.
    const models: [string, ModelTask, ServedModel | undefined][] = [
      ['generator', ModelTask.GENERATE, props.generator],
      ['embedder', ModelTask.EMBED, props.embedder],
      ['reranker', ModelTask.SCORE, props.reranker],
    ];
    for (const [prop, task, served] of models) {
      if (!served) continue;
      const result = planServedModel(served, task, cluster, prop);
      problems.push(...result.problems);
      if (result.plan) {
        const max = served.options.maxReplicas ?? autoscaling.maxReplicas ?? DEFAULT_MAX_REPLICAS;
        this.plans[task] = { ...result.plan, maxReplicas: Math.max(max, result.plan.minReplicas) };
      }
    }
    for (const [prop, , served] of models) {
      if (served?.model.gated && !props.huggingFaceToken)
        problems.push(
          `${prop}.model '${served.model.name}' is gated on Hugging Face (${served.model.repository}), so the download fails with 401 without a token; ` +
            "pass huggingFaceToken (a secret in the stack's namespace holding a token of an account that accepted the licence) or serve an ungated model",
        );
    }
    this.warnOfUnschedulableReplicas(cluster);
    const names = Object.values(this.plans).map((p) => p.servedName);
    const dup = names.find((n, i) => names.indexOf(n) !== i);
    if (dup) problems.push(`servedName '${dup}' is used by two models; give each served model its own servedName`);
    reportProblems(this, problems);

    // The namespace: Pod Security as strict as the vector store's pods allow ('restricted' for pgvector and
    // Weaviate; 'baseline' for Qdrant and Milvus, whose pinned chart values cannot drop capabilities or set
    // seccomp; the library's own pods pass 'restricted'), default-deny ingress; platform namespaces
    // (monitoring) may scrape; granted app namespaces may reach the router only.
    // Not open to other platform namespaces: model servers and routers ask for the API key on every route but
    // /health and /metrics (rag/api-auth.ts); apps come in through grants, to the routers.
    const ns = new PlatformNamespace(this, 'Namespace', {
      cluster,
      name: this.namespace,
      podSecurity: props.vectorStore.podSecurity,
      admitPlatformNamespaces: false,
      admitNamespaces: [props.monitoringNamespace ?? 'monitoring'],
      egressToPlatformNamespaces: false,
      egress: props.egress,
    });
    this.ctx = {
      cluster,
      namespace: this.namespace,
      dependables: ns.dependables,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    };
    const inNamespace = [...cluster.addonDependencies(this), ...ns.dependables];

    // The API key, generated at apply time (two UUIDs), never in the configuration; kept across applies.
    this.apiKeySecret = { namespace: this.namespace, name: kubernetesName(`${stackName}-api-key`), key: 'api-key' };
    this.apiKey = new SecretV1(this, 'ApiKey', {
      provider: cluster.providers(this).kubernetes,
      metadata: { name: this.apiKeySecret.name, namespace: this.namespace, labels: { 'app.kubernetes.io/part-of': 'ai-platform' } },
      type: 'Opaque',
      data: { 'api-key': Fn.replace(Fn.join('', [Fn.uuid(), Fn.uuid()]), '-', '') },
      lifecycle: { ignoreChanges: ['data'] },
      dependsOn: inNamespace,
    });

    this.vectorStore = props.vectorStore.bind(new Construct(this, 'VectorStore'), this.ctx);
    // Egress is denied but for DNS, the namespace, HTTPS (model hub, model and document stores, queues, the
    // API server for the router's discovery); a managed store (pgvector) is reached at its private endpoint.
    if (this.vectorStore.kind === 'pgvector') inNamespace.push(ns.allowEgress('vector-store', { ports: [this.vectorStore.port] }));
    this.documents = new ObjectStore(this, 'Documents', { cluster, removalPolicy: props.documents?.removalPolicy });

    const keda = Keda.of(this, cluster, props.kedaChart);
    const prometheusUrl = props.prometheusUrl ?? 'http://kube-prometheus-stack-prometheus.monitoring.svc.cluster.local:9090';
    const manifests: { [key: string]: any }[] = [];
    const serverDeps = [...inNamespace, this.apiKey];
    // Generation behind a prefix-aware router; embedding and scoring behind a round-robin one (prefix-aware
    // routing reads a prompt that those requests do not have).
    const generatorRouter = kubernetesName(`${stackName}-router`, 'service');
    const poolingRouter = kubernetesName(`${stackName}-pooling-router`, 'service');
    // Model servers are Services named after their model ('qwen2.5-7b' gives 'vllm-qwen2-5-7b'); the served
    // name (vLLM's --served-model-name, the KEDA queries, the endpoints) stays the model's own.
    const tasks = models.map(([, task]) => task).filter((task) => this.plans[task]);
    const serverNames = new Map(
      kubernetesNames(
        tasks.map((task) => `vllm-${this.plans[task].servedName}`),
        'service',
      ).map((n, i) => [tasks[i], n]),
    );
    const stagingNames = new Map(
      kubernetesNames(
        tasks.map((task) => `stage-${this.plans[task].servedName}`),
        'label',
      ).map((n, i) => [tasks[i], n]),
    );
    // Named before the ingestion worker, whose env_from reads it.
    this.endpointsConfigMapName = kubernetesName(`${stackName}-endpoints`);
    // The model cache: one shared volume, filled once per model by a staging job the servers wait for.
    const staged = new Map<string, { mount: ModelCacheMount; job: ModelStagingJob }>();
    const plans = Object.values(this.plans);
    if ((props.modelCache ?? true) && plans.length > 0) {
      const fs = cluster.dataServices.sharedFileSystem(new Construct(this, 'ModelCache'), { removalPolicy: this.ctx.removalPolicy });
      this.modelCacheFileSystem = fs;
      this.modelCacheClaimName = kubernetesName(`${stackName}-model-cache`);
      const claim = new PersistentVolumeClaimV1(this, 'ModelCacheClaim', {
        provider: cluster.providers(this).kubernetes,
        metadata: { name: this.modelCacheClaimName, namespace: this.namespace, labels: { 'app.kubernetes.io/part-of': 'ai-platform' } },
        spec: {
          accessModes: ['ReadWriteMany'],
          storageClassName: fs.storageClassName,
          // Room for every model's download (weights x 2.5 + headroom each). EFS is elastic: a nominal size
          // that never changes (claims cannot shrink, and EFS classes do not expand). Azure Files premium
          // shares start at 100 GiB and grow with the models.
          resources: {
            requests: {
              storage: fs.elastic
                ? '1Ti'
                : `${Math.max(
                    100,
                    plans.reduce((sum, p) => sum + p.cacheVolumeGib, 0),
                  )}Gi`,
            },
          },
        },
        waitUntilBound: false,
        dependsOn: [...fs.dependables, ...inNamespace],
      });
      for (const [, task] of models) {
        const plan = this.plans[task];
        if (!plan) continue;
        const job = new ModelStagingJob(this, `Stage-${task}`, {
          ctx: this.ctx,
          plan,
          jobName: stagingNames.get(task)!,
          claimName: this.modelCacheClaimName,
          huggingFaceToken: props.huggingFaceToken,
          dependsOn: [...inNamespace, claim],
        });
        staged.set(task, { mount: { claimName: this.modelCacheClaimName, path: plan.repository }, job });
      }
    }
    for (const [, task] of models) {
      const plan = this.plans[task];
      if (!plan) continue;
      const stage = staged.get(task);
      const server = new ModelServer(this, `Model-${task}`, {
        ctx: this.ctx,
        stackName,
        serverName: serverNames.get(task)!,
        routerName: task === ModelTask.GENERATE ? generatorRouter : poolingRouter,
        plan,
        task,
        apiKey: this.apiKeySecret,
        huggingFaceToken: props.huggingFaceToken,
        modelCache: stage?.mount,
        dependsOn: stage ? [...serverDeps, stage.job.job] : serverDeps,
      });
      manifests.push(
        modelScaledObject({
          namespace: this.namespace,
          deploymentName: server.deploymentName,
          plan,
          prometheusUrl,
          targetQueueDepth: queueDepth,
        }),
      );
    }
    const router = new ModelRouter(this, 'Router', {
      ctx: this.ctx,
      stackName,
      routerName: generatorRouter,
      routingLogic: 'prefixaware',
      apiKey: this.apiKeySecret,
      dependsOn: serverDeps,
    });
    this.routerUrl = router.url;
    this.routerPodLabels = [router.podLabels];
    if (this.plans[ModelTask.EMBED] || this.plans[ModelTask.SCORE]) {
      const pooling = new ModelRouter(this, 'PoolingRouter', {
        ctx: this.ctx,
        stackName,
        routerName: poolingRouter,
        routingLogic: 'roundrobin',
        apiKey: this.apiKeySecret,
        dependsOn: serverDeps,
      });
      this.poolingRouterUrl = pooling.url;
      this.routerPodLabels.push(pooling.podLabels);
    }

    // New documents: a queue, and optionally a worker scaled on it from zero.
    const docs = props.documents ?? {};
    if (docs.events ?? docs.ingestion !== undefined) {
      this.documentEvents = this.documents.addObjectEvents('Events');
      this.documentEvents.grantMonitor(keda.operatorIdentity);
    }
    if (docs.ingestion) {
      if (!this.documentEvents) {
        reportProblems(this, [
          'documents.events false with documents.ingestion set leaves the worker without a queue; remove events: false or the ingestion worker',
        ]);
      } else {
        manifests.push(...this.ingestion(docs.ingestion, stackName, this.documentEvents, inNamespace));
      }
    }

    // ScaledObjects (and the ingestion TriggerAuthentication) through Helm, after KEDA installed its CRDs.
    this.scalingManifests = manifests;
    new ManifestsRelease(this, 'Scaling', {
      cluster,
      releaseName: kubernetesName(`${stackName}-scaling`, 'label', 53),
      namespace: this.namespace,
      manifests,
      dependsOn: [...keda.dependables, ...serverDeps],
    });

    this.endpoints = {
      OPENAI_BASE_URL: `${this.routerUrl}/v1`,
      ...(this.poolingRouterUrl
        ? { EMBEDDINGS_BASE_URL: `${this.poolingRouterUrl}/v1`, RERANK_BASE_URL: `${this.poolingRouterUrl}/v1` }
        : {}),
      API_KEY_SECRET: this.apiKeySecret.name,
      ...(this.plans[ModelTask.GENERATE] ? { GENERATOR_MODEL: this.plans[ModelTask.GENERATE].servedName } : {}),
      ...(this.plans[ModelTask.EMBED] ? { EMBEDDING_MODEL: this.plans[ModelTask.EMBED].servedName } : {}),
      ...(this.plans[ModelTask.SCORE] ? { RERANKER_MODEL: this.plans[ModelTask.SCORE].servedName } : {}),
      VECTOR_STORE_KIND: this.vectorStore.kind,
      VECTOR_STORE_HOST: this.vectorStore.host,
      VECTOR_STORE_PORT: Token.isUnresolved(this.vectorStore.port) ? Token.asString(this.vectorStore.port) : String(this.vectorStore.port),
      ...(this.vectorStore.database ? { VECTOR_STORE_DATABASE: this.vectorStore.database } : {}),
      ...(this.vectorStore.apiKeySecret ? { VECTOR_STORE_SECRET: this.vectorStore.apiKeySecret.name } : {}),
      DOCUMENTS_URL: this.documents.url,
      ...(this.documentEvents ? { DOCUMENTS_QUEUE_URL: this.documentEvents.queueUrl } : {}),
    };
    const endpointsMap = new ConfigMapV1(this, 'Endpoints', {
      provider: cluster.providers(this).kubernetes,
      metadata: { name: this.endpointsConfigMapName, namespace: this.namespace },
      data: { ...this.endpoints, ...(this.namespaceLogin ? this.loginEndpoints(this.namespaceLogin) : {}) },
      dependsOn: inNamespace,
    });
    this.ingestionDeployment?.dependsOn?.push(dependable(endpointsMap));

    if (props.outputs) {
      const output = (oid: string, value: string, description: string) =>
        new TerraformOutput(this, oid, { value, description }).overrideLogicalId(outputName(this, oid));
      output('openai_base_url', `${this.routerUrl}/v1`, 'OpenAI-compatible base URL of the RAG models (in-cluster)');
      output('endpoints_config_map', `${this.namespace}/${this.endpointsConfigMapName}`, 'ConfigMap with every endpoint of the RAG stack');
      output('documents_url', this.documents.url, 'Document store URL');
    }
  }

  /**
   * Lets an app's identity call the models and use the vector store: its namespace gets a copy of the
   * endpoints ConfigMap and of the API key secret, a network policy admits it to the router (and the
   * in-cluster vector store), and the identity gets the vector store login and read access to the documents.
   * `after`: what the copies wait for (the app's namespace, which the app team owns).
   */
  public grantQuery(identity: IWorkloadIdentity, after?: ITerraformDependable[]): void {
    this.admit(identity, after ?? [], this.vectorStore.grantAccess(identity));
    this.documents.grantRead(identity);
  }

  /**
   * Lets an ingestion identity read documents, call the embedder and write the vector store (everything
   * grantQuery gives, plus consuming the new-document queue).
   */
  public grantIngest(identity: IWorkloadIdentity, after?: ITerraformDependable[]): void {
    this.admit(identity, after ?? [], this.vectorStore.grantAccess(identity, true));
    this.documents.grantRead(identity);
    this.documentEvents?.grantConsume(identity);
  }

  /**
   * What a client of the vector store needs besides host, port and database to connect with `login` (no
   * secret): user, authentication ('aws-iam', 'entra' or 'api-key'), sslmode, and the region IAM tokens
   * are signed for.
   */
  private loginEndpoints(login: ServiceLogin): { [key: string]: string } {
    return {
      VECTOR_STORE_USER: login.user,
      VECTOR_STORE_AUTH: login.authentication,
      ...(this.vectorStore.sslMode ? { VECTOR_STORE_SSLMODE: this.vectorStore.sslMode } : {}),
      ...(login.authentication === 'aws-iam' ? { AWS_REGION: this.cluster.region } : {}),
      // The secret this login's key is in (a reader's is the read-only key's), and its key.
      ...(login.passwordSecret
        ? { VECTOR_STORE_SECRET: login.passwordSecret.name, VECTOR_STORE_SECRET_KEY: login.passwordSecret.key }
        : {}),
    };
  }

  /** Copies endpoints and API key into the identity's namespace and admits it to the router, once per namespace. */
  private admit(identity: IWorkloadIdentity, after: ITerraformDependable[], login: ServiceLogin): ITerraformDependable[] {
    const target = identity.namespace;
    // The stack's own namespace (the ingestion worker): its ConfigMap carries this login.
    if (target === this.namespace) this.namespaceLogin ??= login;
    const storeKey = target !== this.namespace ? this.copyStoreKey(identity, after, login) : [];
    const known = this.granted.get(target);
    if (known) {
      known.push(...storeKey);
      return known;
    }
    const provider = this.cluster.providers(this).kubernetes;
    const sid = `Grant-${target}`;
    const deps: ITerraformDependable[] = [];
    const admitFrom = [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': target } } }];
    this.routerPodLabels.forEach((labels, i) =>
      deps.push(
        new NetworkPolicyV1(this, `${sid}-Router${i || ''}`, {
          provider,
          metadata: { name: kubernetesName(`allow-${target}-to-${labels['app.kubernetes.io/instance']}`), namespace: this.namespace },
          spec: {
            podSelector: { matchLabels: { ...labels } },
            policyTypes: ['Ingress'],
            ingress: [{ from: admitFrom, ports: [{ port: '8000', protocol: 'TCP' }] }],
          },
          dependsOn: this.ctx.dependables,
        }),
      ),
    );
    this.vectorStore.exposedPorts.forEach((p, i) =>
      deps.push(
        new NetworkPolicyV1(this, `${sid}-Store${i}`, {
          provider,
          metadata: { name: kubernetesName(`allow-${target}-to-store-${p.port}`), namespace: this.namespace },
          spec: {
            podSelector: { matchLabels: { ...p.podLabels } },
            policyTypes: ['Ingress'],
            ingress: [{ from: admitFrom, ports: [{ port: String(p.port), protocol: 'TCP' }] }],
          },
          dependsOn: this.ctx.dependables,
        }),
      ),
    );
    // The identity's pods query a managed store (pgvector) themselves: their namespace, if the library
    // created it, allows its port.
    if (target !== this.namespace && this.vectorStore.kind === 'pgvector')
      requestEgress(this.cluster, { namespace: target, name: 'vector-store', cidrs: [...PRIVATE_RANGES], ports: [this.vectorStore.port] });
    if (target !== this.namespace) {
      // The app's namespace must exist: it belongs to the app team. Copies are Terraform-managed; keys are
      // references to the generated ones (in state, never in the configuration).
      deps.push(
        new ConfigMapV1(this, `${sid}-Endpoints`, {
          provider,
          metadata: { name: this.endpointsConfigMapName, namespace: target },
          data: { ...this.endpoints, ...this.loginEndpoints(login) },
          dependsOn: [...identity.dependables, ...after],
        }),
        new SecretV1(this, `${sid}-ApiKey`, {
          provider,
          metadata: { name: this.apiKeySecret.name, namespace: target },
          type: 'Opaque',
          data: { 'api-key': Fn.lookup(this.apiKey.data, 'api-key', '') },
          dependsOn: [...identity.dependables, ...after],
        }),
      );
      deps.push(...storeKey);
    }
    this.granted.set(target, deps);
    return deps;
  }

  /**
   * Copies the in-cluster store's key of this login into the identity's namespace, once per namespace and
   * key: a query grant gets the read-only key (where the store has one), an ingest grant the admin key.
   */
  private copyStoreKey(identity: IWorkloadIdentity, after: ITerraformDependable[], login: ServiceLogin): ITerraformDependable[] {
    const store = this.vectorStore;
    const ref = login.passwordSecret;
    if (!ref) return [];
    const readOnly = store.readOnlyKeySecret?.name === ref.name;
    const value = readOnly ? store.readOnlyKeyValue : ref.name === store.apiKeySecret?.name ? store.apiKeyValue : undefined;
    const id = `Grant-${identity.namespace}-${readOnly ? 'StoreReadKey' : 'StoreKey'}`;
    if (!value || this.node.tryFindChild(id)) return [];
    return [
      new SecretV1(this, id, {
        provider: this.cluster.providers(this).kubernetes,
        metadata: { name: ref.name, namespace: identity.namespace },
        type: 'Opaque',
        data: { [ref.key]: value },
        dependsOn: [...identity.dependables, ...after, ...store.dependables],
      }),
    ];
  }

  /**
   * Replicas KEDA may start beyond what their pool holds at maxNodes stay Pending forever (and keep the
   * autoscaler asking): said at synth, per pool, with the numbers.
   */
  private warnOfUnschedulableReplicas(cluster: IAcceleratorCluster): void {
    for (const pool of cluster.acceleratorPools) {
      const plans = Object.values(this.plans).filter((p) => p.pool === pool.name);
      for (const resource of new Set(plans.map((p) => p.resourceName))) {
        const on = plans.filter((p) => p.resourceName === resource);
        const perNode = pool.capacity.find((c) => c.name === resource)?.count;
        if (perNode === undefined || Token.isUnresolved(perNode) || Token.isUnresolved(pool.maxNodes)) continue;
        if (on.some((p) => Token.isUnresolved(p.maxReplicas))) continue;
        const wanted = on.reduce((sum, p) => sum + p.maxReplicas * p.resourceCount, 0);
        const capacity = perNode * pool.maxNodes;
        if (wanted <= capacity) continue;
        const who = on.map((p) => `${p.servedName} ${p.maxReplicas} x ${p.resourceCount}`).join(', ');
        Annotations.of(this).addWarning(
          `maxReplicas of the models on pool '${pool.name}' (${who}) ask for ${wanted} ${resource}, more than the pool holds at maxNodes: ${capacity} (${perNode} per node x ${pool.maxNodes} nodes); replicas beyond that stay Pending: lower maxReplicas (per model or autoscaling.maxReplicas) or raise the pool's maxNodes`,
        );
      }
    }
  }

  /** The ingestion worker: identity, service account, Deployment, and its KEDA objects (returned as manifests). */
  private ingestion(
    o: IngestionOptions,
    stackName: string,
    queue: IObjectEventQueue,
    deps: ITerraformDependable[],
  ): { [key: string]: any }[] {
    const cluster = this.cluster;
    const provider = cluster.providers(this).kubernetes;
    const name = kubernetesName(`${stackName}-ingestion`);
    const problems: string[] = [];
    const per = o.messagesPerReplica ?? 10;
    const max = o.maxReplicas ?? 4;
    if (!Number.isInteger(per) || per < 1)
      problems.push(`documents.ingestion.messagesPerReplica ${per} is not a whole number >= 1; use e.g. 10`);
    if (!Number.isInteger(max) || max < 1) problems.push(`documents.ingestion.maxReplicas ${max} is not a whole number >= 1; use e.g. 4`);
    if (!Token.isUnresolved(o.image) && !/^[^\s:@]+(:[\w][\w.-]{0,127})?(@sha256:[a-f0-9]{64})?$/.test(o.image))
      problems.push(`documents.ingestion.image '${o.image}' is not an image reference; use registry/name:tag or name@sha256:<digest>`);
    if (!Token.isUnresolved(o.image) && /:latest$|^[^:@]+$/.test(o.image))
      problems.push(`documents.ingestion.image '${o.image}' is not pinned; use a version tag or a digest`);
    reportProblems(this, problems);

    const identity = cluster.bindServiceAccount(this, 'Ingestion', { namespace: this.namespace, serviceAccountName: name });
    this.grantIngest(identity);
    const sa = new ServiceAccountV1(this, 'IngestionServiceAccount', {
      provider,
      metadata: { name, namespace: this.namespace, annotations: { ...identity.serviceAccountAnnotations } },
      automountServiceAccountToken: false,
      dependsOn: deps,
    });
    const store = this.vectorStore.apiKeySecret;
    const labels = {
      'app.kubernetes.io/name': 'rag-ingestion',
      'app.kubernetes.io/instance': name,
      'app.kubernetes.io/part-of': 'ai-platform',
    };
    const tmp = writableDirs([{ name: 'tmp', mountPath: '/tmp', sizeLimit: '1Gi' }]);
    this.ingestionDeployment = new DeploymentV1(this, 'IngestionDeployment', {
      provider,
      metadata: { name, namespace: this.namespace, labels },
      spec: {
        replicas: '0',
        selector: { matchLabels: { 'app.kubernetes.io/instance': name } },
        template: {
          metadata: { labels: { ...labels, ...identity.podLabels } },
          spec: {
            serviceAccountName: name,
            automountServiceAccountToken: true,
            // The team's worker is an ordinary workload: where the cluster runs those, not on the add-on pool.
            nodeSelector: { ...cluster.workloadNodeSelector },
            toleration: cluster.workloadTolerations.map((t) => ({ ...t })),
            // The team's image runs as its own numeric non-root user (the kubelet refuses a root or named one).
            securityContext: podSecurityContext(),
            container: [
              {
                name: 'ingestion',
                image: o.image,
                command: o.command,
                envFrom: [{ configMapRef: { name: this.endpointsConfigMapName } }],
                env: [
                  { name: 'OPENAI_API_KEY', valueFrom: { secretKeyRef: { name: this.apiKeySecret.name, key: this.apiKeySecret.key } } },
                  // An in-cluster store's key (the ConfigMap only names its secret); pgvector takes cloud tokens.
                  ...(store ? [{ name: 'VECTOR_STORE_API_KEY', valueFrom: { secretKeyRef: { name: store.name, key: store.key } } }] : []),
                ],
                resources: { requests: { cpu: '500m', memory: '1Gi' }, limits: { memory: '2Gi' } },
                securityContext: containerSecurityContext(),
                volumeMount: tmp.volumeMount,
              },
            ],
            volume: tmp.volume,
          },
        },
      },
      waitForRollout: false,
      lifecycle: { ignoreChanges: ['spec[0].replicas'] },
      // What the pods read (endpoints, API key) exists before the first one starts, whatever KEDA does
      // meanwhile; the endpoints ConfigMap, made later, is added when it exists.
      dependsOn: [...deps, sa, this.apiKey, ...identity.dependables, ...this.vectorStore.dependables],
    });
    const trigger = queue.kedaTrigger(per);
    const auth = kubernetesName(`${name}-queue`, 'subdomain');
    return [
      {
        apiVersion: 'keda.sh/v1alpha1',
        kind: 'TriggerAuthentication',
        metadata: { name: auth, namespace: this.namespace },
        // The KEDA operator's own workload identity reads the queue length (granted by grantMonitor).
        spec: { podIdentity: { provider: trigger.podIdentityProvider } },
      },
      {
        apiVersion: 'keda.sh/v1alpha1',
        kind: 'ScaledObject',
        metadata: { name, namespace: this.namespace },
        spec: {
          scaleTargetRef: { name },
          minReplicaCount: 0,
          maxReplicaCount: max,
          pollingInterval: 30,
          cooldownPeriod: 300,
          triggers: [{ type: trigger.type, metadata: trigger.metadata, authenticationRef: { name: auth } }],
        },
      },
    ];
  }
}
