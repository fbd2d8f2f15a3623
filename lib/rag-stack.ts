import { ConfigMapV1 } from '@cdktf/provider-kubernetes/lib/config-map-v1';
import { ITerraformDependable, TerraformOutput, TerraformStack, Token } from 'cdktf';
import { Construct } from 'constructs';
import { ChartOverrides } from './addons/chart';
import { EgressRule } from './addons/egress';
import { GATEWAY_ROUTES_LABEL, InferenceGateway } from './addons/inference-gateway/inference-gateway';
import { Keda } from './addons/keda';
import { ManifestsRelease } from './addons/manifests';
import { PlatformNamespace } from './addons/namespace';
import { IAcceleratorCluster, IWorkloadIdentity } from './core/cluster';
import { IObjectEventQueue, ISharedFileSystem, KubernetesSecretKeyRef, RemovalPolicy } from './core/data-services';
import { ObjectStore } from './data-services';
import { outputName } from './private/naming';
import { reportProblems } from './private/problems';
import { autoscalingProblems, DEFAULT_QUEUE_DEPTH } from './rag/autoscaling';
import { loginEndpoints, ragEndpoints } from './rag/endpoints';
import { GatewayJwtOptions, gatewayJwtProblems, gatewayRoutes, requestGatewayEgress } from './rag/gateway-routes';
import { RagGrants } from './rag/grants';
import { IngestionOptions, IngestionWorker } from './rag/ingestion';
import { modelCache } from './rag/model-cache';
import { RagNames } from './rag/names';
import { generatedSecret } from './rag/secrets';
import { ServedModel } from './rag/served-model';
import { serveModels } from './rag/serving';
import { ServingPlan } from './rag/serving-plan';
import { PlatformReport } from './cost/platform-report';
import { sizeModels } from './rag/sizing';
import { IVectorStoreBinding, RagContext } from './rag/types';
import { VectorStore } from './rag/vector-store';
import { skipCreationStacks } from './private/creation-stacks';

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
   * Serve the models through the cluster's inference gateway: each model at `/models/<served name>/v1`, an
   * InferencePool with its endpoint picker (not the reranker), behind the stack's API key and a rate limit at
   * the edge. The endpoints ConfigMap then points `OPENAI_BASE_URL`, `EMBEDDINGS_BASE_URL` and
   * `RERANK_BASE_URL` at each model's path on the gateway.
   * @default - no gateway: clients reach the models through the routers
   */
  readonly gateway?: InferenceGateway;
  /**
   * With `gateway`: accept JWTs from this issuer instead of the stack's API key.
   * @default - the stack's API key (`Authorization: Bearer <key>`)
   */
  readonly gatewayJwt?: GatewayJwtOptions;
  /**
   * With `gateway`: requests per minute the stack's route admits, per Envoy replica (a local rate limit).
   * @default 600
   */
  readonly gatewayRequestsPerMinute?: number;
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
 *   generator: ServedModel.of(LlmModel.LLAMA_3_1_8B, { pool: 'llm', contextLength: 8192, concurrentSequences: 16 }),
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
  public readonly plans: { [task: string]: ServingPlan };
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
  /**
   * The gateway objects of each model: InferencePool, picker Backend, HTTPRoute, EnvoyExtensionPolicy,
   * BackendTrafficPolicy, SecurityPolicy (and the JWT mode's HTTPRouteFilter); empty without `gateway`.
   */
  public readonly gatewayManifests: { [key: string]: any }[];
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
  private readonly grants: RagGrants;

  constructor(scope: Construct, id: string, props: RagStackProps) {
    super(scope, id);
    skipCreationStacks(this);
    const cluster = props.cluster;
    this.namespace = props.namespace ?? 'rag';
    const names = RagNames.of(id);
    const autoscaling = props.autoscaling ?? {};
    reportProblems(this, [...autoscalingProblems(autoscaling), ...namespaceProblems(this.namespace), ...gatewayProblems(props)]);
    // Sizing at synth: each model on its pool, or a message naming what does not fit.
    this.plans = sizeModels(this, { ...props, maxReplicas: autoscaling.maxReplicas });
    reportServedModels(this, cluster, this.namespace, this.plans);

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
      // The gateway's listener admits routes from namespaces with this label only.
      labels: props.gateway ? { [GATEWAY_ROUTES_LABEL.key]: GATEWAY_ROUTES_LABEL.value } : undefined,
    });
    const ctx: RagContext = {
      cluster,
      namespace: this.namespace,
      dependables: ns.dependables,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    };
    const inNamespace = [...cluster.addonDependencies(this), ...ns.dependables];

    // The API key, generated at apply time, never in the configuration; kept across applies.
    this.apiKeySecret = { namespace: this.namespace, name: names.apiKey, key: 'api-key' };
    const apiKey = generatedSecret(this, 'ApiKey', ctx, names.apiKey, { 'api-key': undefined });

    this.vectorStore = props.vectorStore.bind(new Construct(this, 'VectorStore'), ctx);
    // Egress is denied but for DNS, the namespace, HTTPS (model hub, model and document stores, queues, the
    // API server for the router's discovery); a managed store (pgvector) is reached at its private endpoint.
    if (this.vectorStore.kind === 'pgvector') inNamespace.push(ns.allowEgress('vector-store', { ports: [this.vectorStore.port] }));
    this.documents = new ObjectStore(this, 'Documents', { cluster, removalPolicy: props.documents?.removalPolicy });
    const keda = Keda.of(this, cluster, props.kedaChart);

    const cache =
      (props.modelCache ?? true) && Object.keys(this.plans).length > 0
        ? modelCache(this, {
            ctx,
            plans: this.plans,
            claimName: names.modelCacheClaim,
            jobNames: names.stagingJobs(this.plans),
            huggingFaceToken: props.huggingFaceToken,
            dependsOn: inNamespace,
          })
        : undefined;
    this.modelCacheFileSystem = cache?.fileSystem;
    this.modelCacheClaimName = cache?.claimName;
    const served = serveModels(this, {
      ctx,
      names,
      plans: this.plans,
      apiKey: this.apiKeySecret,
      huggingFaceToken: props.huggingFaceToken,
      modelCache: cache,
      prometheusUrl: props.prometheusUrl ?? 'http://kube-prometheus-stack-prometheus.monitoring.svc.cluster.local:9090',
      targetQueueDepth: autoscaling.targetQueueDepth ?? DEFAULT_QUEUE_DEPTH,
      throughGateway: props.gateway !== undefined,
      dependsOn: [...inNamespace, apiKey],
    });
    this.routerUrl = served.routerUrl;
    this.poolingRouterUrl = served.poolingRouterUrl;
    // The gateway, when there is one: clients outside the namespace reach the models through it only (grants
    // then admit no namespace to the routers). The routers stay for what the gateway does not do: one URL for
    // every model inside the namespace (body-based routing).
    const routes = props.gateway
      ? gatewayRoutes(this, {
          ctx,
          names,
          plans: this.plans,
          serverNames: names.servers(this.plans),
          gateway: props.gateway,
          apiKey: this.apiKeySecret,
          apiKeySecret: apiKey,
          jwt: props.gatewayJwt,
          requestsPerMinute: props.gatewayRequestsPerMinute ?? 600,
          dependsOn: [...inNamespace, apiKey],
        })
      : undefined;
    this.gatewayManifests = routes?.manifests ?? [];

    // New documents: a queue, and optionally a worker scaled on it from zero.
    const docs = props.documents ?? {};
    if (docs.events ?? docs.ingestion !== undefined) {
      this.documentEvents = this.documents.addObjectEvents('Events');
      this.documentEvents.grantMonitor(keda.operatorIdentity);
    }
    this.endpointsConfigMapName = names.endpoints;
    const endpoints = ragEndpoints({
      served,
      plans: this.plans,
      apiKeySecretName: this.apiKeySecret.name,
      vectorStore: this.vectorStore,
      documents: this.documents,
      documentEvents: this.documentEvents,
      gatewayUrls: routes?.baseUrls,
    });
    const grantProps = { ctx, vectorStore: this.vectorStore, apiKey, apiKeySecret: this.apiKeySecret, endpoints };
    this.grants = new RagGrants(this, {
      ...grantProps,
      endpointsConfigMapName: names.endpoints,
      routerPodLabels: props.gateway ? [] : served.routerPodLabels,
      onGrant: props.gateway ? (ns) => requestGatewayEgress(cluster, ns) : undefined,
    });
    if (docs.ingestion && !this.documentEvents)
      reportProblems(this, [
        'documents.events false with documents.ingestion set leaves the worker without a queue; remove events: false or the ingestion worker',
      ]);
    const ingestion =
      docs.ingestion && this.documentEvents
        ? new IngestionWorker(this, {
            ...grantProps,
            options: docs.ingestion,
            name: names.ingestion,
            queue: this.documentEvents,
            endpointsConfigMapName: names.endpoints,
            grant: (identity) => this.grantIngest(identity),
            dependsOn: inNamespace,
          })
        : undefined;

    // ScaledObjects (and the ingestion TriggerAuthentication) through Helm, after KEDA installed its CRDs.
    this.scalingManifests = [...served.scaledObjects, ...(ingestion?.scalingManifests ?? [])];
    new ManifestsRelease(this, 'Scaling', {
      cluster,
      releaseName: names.scalingRelease,
      namespace: this.namespace,
      manifests: this.scalingManifests,
      dependsOn: [...keda.dependables, ...inNamespace, apiKey],
    });

    // The endpoints in the stack's namespace, with the ingestion worker's vector store login.
    const login = this.grants.namespaceLogin;
    const endpointsMap = new ConfigMapV1(this, 'Endpoints', {
      provider: cluster.providers(this).kubernetes,
      metadata: { name: names.endpoints, namespace: this.namespace },
      data: { ...endpoints, ...(login ? loginEndpoints(login, this.vectorStore, cluster.region) : {}) },
      dependsOn: inNamespace,
    });
    ingestion?.deploy(endpointsMap);

    if (props.outputs) {
      const output = (oid: string, value: string, description: string) =>
        new TerraformOutput(this, oid, { value, description }).overrideLogicalId(outputName(this, oid));
      output('openai_base_url', endpoints.OPENAI_BASE_URL, 'OpenAI-compatible base URL of the generator (in-cluster)');
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
    this.grants.admit(identity, after ?? []);
    this.documents.grantRead(identity);
  }

  /**
   * Lets an ingestion identity read documents, call the embedder and write the vector store (everything
   * grantQuery gives, plus consuming the new-document queue).
   */
  public grantIngest(identity: IWorkloadIdentity, after?: ITerraformDependable[]): void {
    this.grants.admit(identity, after ?? [], true);
    this.documents.grantRead(identity);
    this.documentEvents?.grantConsume(identity);
  }
}

function gatewayProblems(props: RagStackProps): string[] {
  const out: string[] = [];
  if (props.gateway && props.gateway.cluster !== props.cluster)
    out.push(
      `gateway '${props.gateway.node.path}' belongs to another cluster; pass the InferenceGateway of cluster '${props.cluster.node.path}'`,
    );
  const rpm = props.gatewayRequestsPerMinute;
  if (rpm !== undefined && !Token.isUnresolved(rpm) && (!Number.isInteger(rpm) || rpm < 1))
    out.push(`gatewayRequestsPerMinute ${rpm} is not a whole number of requests above 0; use e.g. 600`);
  if (rpm !== undefined && !props.gateway)
    out.push(`gatewayRequestsPerMinute ${rpm} is set without gateway; pass gateway, or leave it unset`);
  if (props.gatewayJwt && !props.gateway)
    out.push(`gatewayJwt '${props.gatewayJwt.issuer}' is set without gateway; pass gateway, or leave it unset`);
  out.push(...gatewayJwtProblems('gatewayJwt', props.gatewayJwt));
  return out;
}

function namespaceProblems(namespace: string): string[] {
  if (/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(namespace)) return [];
  return [`namespace '${namespace}' is not a Kubernetes namespace name; use lower-case letters, digits and '-'`];
}

/** Adds the served models to the platform report of the cluster's stack. */
function reportServedModels(rag: Construct, cluster: IAcceleratorCluster, namespace: string, plans: { [task: string]: ServingPlan }): void {
  const report = PlatformReport.of(cluster);
  for (const task of Object.keys(plans).sort()) {
    const p = plans[task];
    report.addServedModel(cluster, {
      servedBy: rag.node.path.slice(TerraformStack.of(rag).node.path.length + 1),
      namespace,
      servedName: p.servedName,
      repository: p.repository,
      task: p.task,
      pool: p.pool,
      resourceName: p.resourceName,
      resourceCount: p.resourceCount,
      tensorParallelSize: p.tensorParallelSize,
      weightsGib: p.weightsGib,
      gpuMemoryUtilization: p.gpuMemoryUtilization,
      maxModelLen: p.maxModelLen,
      maxNumSeqs: p.maxNumSeqs,
      minReplicas: p.minReplicas,
      maxReplicas: p.maxReplicas,
      explanation: p.explanation,
    });
  }
}
