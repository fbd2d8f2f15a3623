import { DeploymentV1 } from '@cdktf/provider-kubernetes/lib/deployment-v1';
import { PodDisruptionBudgetV1 } from '@cdktf/provider-kubernetes/lib/pod-disruption-budget-v1';
import { ServiceV1 } from '@cdktf/provider-kubernetes/lib/service-v1';
import { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import { KubernetesSecretKeyRef } from '../core/data-services';
import { kubernetesNames, labelValue } from '../private/naming';
import { containerSecurityContext, NONROOT_UID, podSecurityContext, writableDirs, WritableVolumes } from '../private/pod-security';
import { ServingMetricsLabels } from '../observability/scrape';
import { API_AUTH_MIDDLEWARE, ApiAuthConfig } from './api-auth';
import { ModelTask } from './served-model';
import { RAG_STACK_LABEL, ROUTER_LABEL, routerLabelValue, SERVED_MODEL_LABEL, SERVING_PORT } from './discovery';
import { ServingPlan } from './serving-plan';
import { RagContext } from './types';

/** vLLM's OpenAI-compatible server, pinned. */
export const VLLM_IMAGE = 'vllm/vllm-openai:v0.11.0';

/** Where the weights of a model were staged on a shared volume (a ReadWriteMany claim). */
export interface ModelCacheMount {
  /** Name of the PersistentVolumeClaim holding the weights (in the server's namespace). */
  readonly claimName: string;
  /** Directory of the model's weights inside the volume: its Hugging Face repository id, e.g. 'BAAI/bge-m3'. */
  readonly path: string;
}

/** Where a model server mounts the model cache (read-only). */
export const MODEL_CACHE_MOUNT_PATH = '/model-cache';
/**
 * vLLM, the staging job and the router run as this uid/gid: their images (vllm/vllm-openai, python:slim,
 * lmcache/lmstack-router) have no user but root. The staging job writes the model cache as it, and
 * servers read it as it.
 */
export const SERVING_UID = NONROOT_UID;
/** vLLM's home: caches and configuration it writes (torch.compile, Triton, FlashInfer, ~/.config/vllm). */
const VLLM_HOME = '/models/home';

/** Options of one model server. */
export interface ModelServerProps {
  /** Where it runs. */
  readonly ctx: RagContext;
  /** Name of the RagStack. */
  readonly stackName: string;
  /**
   * Name of the Deployment, Service and PodDisruptionBudget (a DNS-1035 label).
   * @default - `vllm-<served name>`, sanitized
   */
  readonly serverName?: string;
  /** The `routerName` of the ModelRouter that discovers this server (the server carries the label it selects). */
  readonly routerName: string;
  /** The sizing decided at synth. */
  readonly plan: ServingPlan;
  /** What the model does. */
  readonly task: ModelTask;
  /**
   * Secret with the API key clients must send, as `Authorization: Bearer <key>`, on every route but GET
   * `/health` and `/metrics` (vLLM's own check covers `/v1` only; a middleware mounted from a ConfigMap covers
   * the rest).
   */
  readonly apiKey: KubernetesSecretKeyRef;
  /**
   * Secret with a Hugging Face token, for gated models.
   * @default - none: public models only
   */
  readonly huggingFaceToken?: KubernetesSecretKeyRef;
  /**
   * vLLM image.
   * @default VLLM_IMAGE
   */
  readonly image?: string;
  /**
   * Load the weights from a shared volume where a staging job put them (mounted read-only at
   * /model-cache), instead of downloading them from the Hugging Face hub on every new pod. Pass the
   * staging job in `dependsOn`.
   * @default - none: each pod downloads the weights from the hub onto its own ephemeral volume
   */
  readonly modelCache?: ModelCacheMount;
  /** What the server waits for (namespace, secrets, GPU operator; the staging job with a model cache). */
  readonly dependsOn: ITerraformDependable[];
}

/**
 * Host memory a server requests, in GiB: weights pass through host memory while they load (x1.2), plus 4 GiB
 * for the Python runtime and tokenizer. The limit allows 8 GiB more for load peaks.
 */
export function hostMemoryGib(plan: ServingPlan): number {
  return Math.ceil(plan.weightsGib * 1.2 + 4);
}

/**
 * Names of model servers side by side (Deployment, Service, PodDisruptionBudget): `vllm-<served name>` as
 * DNS-1035 labels ('qwen2.5-7b' has a dot, which Services do not take), apart where two served names give
 * one name. The served name itself (vLLM's --served-model-name, the KEDA queries, the endpoints) stays as is.
 */
export function modelServerNames(servedNames: string[]): string[] {
  return kubernetesNames(
    servedNames.map((n) => `vllm-${n}`),
    'service',
  );
}

/** The labels of one model server's pods. */
export function modelServerLabels(stackName: string, servedName: string, routerName: string): { [key: string]: string } {
  return {
    [ROUTER_LABEL]: routerLabelValue(routerName),
    'app.kubernetes.io/name': 'vllm',
    'app.kubernetes.io/instance': labelValue(`${stackName}-${servedName}`),
    'app.kubernetes.io/part-of': 'ai-platform',
    [RAG_STACK_LABEL]: labelValue(stackName),
    [SERVED_MODEL_LABEL]: labelValue(servedName),
    // ObservabilityStack scrapes pods with this label on their port named 'http'.
    [ServingMetricsLabels.KEY]: ServingMetricsLabels.VLLM,
  };
}

/**
 * The selector of one model server's pods (its Deployment's, Service's and InferencePool's): the stack and
 * the served model, which no other pod carries together (staging jobs carry the model only).
 */
export function modelServerSelector(stackName: string, servedName: string): { [key: string]: string } {
  return { [RAG_STACK_LABEL]: labelValue(stackName), [SERVED_MODEL_LABEL]: labelValue(servedName) };
}

/**
 * vLLM's command-line arguments for a plan. With `modelPath` (a directory of staged weights) vLLM loads
 * it and nothing is downloaded; without it the weights come from the hub into /models.
 */
export function vllmArgs(plan: ServingPlan, task: ModelTask, modelPath?: string): string[] {
  const args = [
    '--model',
    modelPath ?? plan.repository,
    '--served-model-name',
    plan.servedName,
    '--port',
    String(SERVING_PORT),
    '--tensor-parallel-size',
    String(plan.tensorParallelSize),
    '--max-model-len',
    String(plan.maxModelLen),
    '--max-num-seqs',
    String(plan.maxNumSeqs),
    '--gpu-memory-utilization',
    String(plan.gpuMemoryUtilization),
    // The API key on every route, not only /v1 (see api-auth.ts); the module is on PYTHONPATH.
    '--middleware',
    API_AUTH_MIDDLEWARE,
  ];
  // Downloaded weights are cached on the pod's own volume; no write back to the hub.
  if (modelPath === undefined) args.push('--download-dir', '/models');
  // Embedders and rerankers run vLLM's pooling runner (/v1/embeddings; /v1/rerank and /v1/score). A
  // reranker is a sequence-classification model vLLM recognises from its config: no --convert (v0.11
  // accepts auto, classify, embed, none and reward).
  if (task === ModelTask.EMBED) args.push('--runner', 'pooling', '--convert', 'embed');
  if (task === ModelTask.SCORE) args.push('--runner', 'pooling');
  if (task === ModelTask.GENERATE) args.push('--enable-prefix-caching');
  return args;
}

/**
 * The emptyDirs a model server writes (its root file system is read-only): /models (downloaded weights,
 * HF_HOME, vLLM's compile caches and HOME), /tmp (torch inductor, ZeroMQ IPC sockets), /dev/shm (memory).
 */
export function modelServerWritableDirs(plan: ServingPlan, staged: boolean): WritableVolumes {
  return writableDirs([
    // Downloads: sized to the weights (x2.5 + headroom), downloads and conversions must fit.
    // Staged weights: the compile caches only.
    { name: 'models', mountPath: '/models', sizeLimit: staged ? '10Gi' : `${plan.cacheVolumeGib}Gi` },
    { name: 'tmp', mountPath: '/tmp', sizeLimit: '2Gi' },
    // NCCL and PyTorch workers share tensors through /dev/shm.
    { name: 'dshm', mountPath: '/dev/shm', sizeLimit: '8Gi', memory: true },
  ]);
}

/**
 * One served model: a vLLM Deployment on its pool (exactly the resource and tolerations the pool
 * advertises), its weights read from the model cache (a shared volume, read-only) or downloaded onto an
 * ephemeral volume sized to them, probes sized to its load time,
 * priority class `ai-inference`, the API key from a secret asked for on every route but the probe and
 * scrape paths, a Service and a PodDisruptionBudget. Replicas belong to KEDA after creation.
 */
export class ModelServer extends Construct {
  /** The Deployment. */
  public readonly deployment: DeploymentV1;
  /** Name of the Deployment (the ScaledObject's target). */
  public readonly deploymentName: string;

  constructor(scope: Construct, id: string, props: ModelServerProps) {
    super(scope, id);
    const { ctx, plan } = props;
    const cache = props.modelCache;
    const provider = ctx.cluster.providers(this).kubernetes;
    const labels = modelServerLabels(props.stackName, plan.servedName, props.routerName);
    this.deploymentName = props.serverName ?? modelServerNames([plan.servedName])[0];
    const selector = modelServerSelector(props.stackName, plan.servedName);
    const probe = (path: string, period: number, failures: number) => ({
      httpGet: { path, port: String(SERVING_PORT) },
      periodSeconds: period,
      failureThreshold: failures,
      timeoutSeconds: 5,
    });
    const auth = new ApiAuthConfig(this, 'ApiAuth', { ctx, workloadName: this.deploymentName, router: false });
    const env = [
      { name: 'VLLM_API_KEY', valueFrom: { secretKeyRef: { name: props.apiKey.name, key: props.apiKey.key } } },
      ...auth.env,
      { name: 'HF_HOME', value: '/models/hf' },
      // torch.compile and CUDA graph caches on the same volume, so a restarted container skips recompiling.
      { name: 'VLLM_CACHE_ROOT', value: '/models/vllm-cache' },
      // The root file system is read-only and the uid has no home in the image: what vLLM and its libraries
      // write under ~ (Triton and FlashInfer JIT caches, ~/.config/vllm) goes to the same emptyDir; USER
      // names the uid for getpass (torch's inductor cache path), which fails for a uid without a passwd entry.
      { name: 'HOME', value: VLLM_HOME },
      { name: 'XDG_CACHE_HOME', value: `${VLLM_HOME}/.cache` },
      { name: 'XDG_CONFIG_HOME', value: `${VLLM_HOME}/.config` },
      { name: 'USER', value: 'vllm' },
      // Staged weights need no token: only the staging job talks to the hub.
      ...(props.huggingFaceToken && !cache
        ? [{ name: 'HF_TOKEN', valueFrom: { secretKeyRef: { name: props.huggingFaceToken.name, key: props.huggingFaceToken.key } } }]
        : []),
    ];
    const serverDirs = modelServerWritableDirs(plan, cache !== undefined);
    this.deployment = new DeploymentV1(this, 'Deployment', {
      provider,
      metadata: { name: this.deploymentName, namespace: ctx.namespace, labels },
      spec: {
        replicas: String(Math.max(plan.minReplicas, 1)),
        selector: { matchLabels: selector },
        // A new pod must be ready before an old one goes: a GPU takes minutes to warm.
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '1', maxUnavailable: '0' } },
        template: {
          metadata: { labels, annotations: auth.podAnnotations },
          spec: {
            priorityClassName: 'ai-inference',
            automountServiceAccountToken: false,
            enableServiceLinks: false,
            terminationGracePeriodSeconds: 60,
            affinity: {
              nodeAffinity: {
                requiredDuringSchedulingIgnoredDuringExecution: {
                  nodeSelectorTerm: [
                    {
                      matchExpressions: Object.entries(plan.nodeLabels)
                        .sort(([a], [b]) => a.localeCompare(b))
                        .map(([key, value]) => ({ key, operator: 'In', values: [value] })),
                    },
                  ],
                },
              },
            },
            toleration: plan.tolerations.map((t) => ({ key: t.key, operator: t.operator, value: t.value, effect: t.effect })),
            // GPUs and Neuron devices come from the device plugins (world-accessible device nodes): no privilege.
            securityContext: podSecurityContext({ uid: SERVING_UID, gid: SERVING_UID, fsGroup: SERVING_UID }),
            container: [
              {
                name: 'vllm',
                image: props.image ?? VLLM_IMAGE,
                imagePullPolicy: 'IfNotPresent',
                args: vllmArgs(plan, props.task, cache ? `${MODEL_CACHE_MOUNT_PATH}/${cache.path}` : undefined),
                port: [{ name: ServingMetricsLabels.PORT_NAME, containerPort: SERVING_PORT, protocol: 'TCP' }],
                env,
                resources: {
                  requests: {
                    cpu: props.task === ModelTask.GENERATE ? '2' : '1',
                    memory: `${hostMemoryGib(plan)}Gi`,
                    [plan.resourceName]: String(plan.resourceCount),
                  },
                  limits: { memory: `${hostMemoryGib(plan) + 8}Gi`, [plan.resourceName]: String(plan.resourceCount) },
                },
                // Loading weights (download or shared volume, then GPU) takes minutes: the startup probe
                // allows the plan's budget (sized for a hub download, an upper bound) before liveness takes over.
                startupProbe: probe('/health', 10, Math.ceil(plan.startupSeconds / 10)),
                readinessProbe: probe('/health', 5, 3),
                livenessProbe: probe('/health', 10, 6),
                securityContext: containerSecurityContext({ uid: SERVING_UID, gid: SERVING_UID }),
                volumeMount: [
                  ...serverDirs.volumeMount,
                  ...(cache ? [{ name: 'model-cache', mountPath: MODEL_CACHE_MOUNT_PATH, readOnly: true }] : []),
                  auth.volumeMount,
                ],
              },
            ],
            volume: [
              ...serverDirs.volume,
              ...(cache ? [{ name: 'model-cache', persistentVolumeClaim: { claimName: cache.claimName, readOnly: true } }] : []),
              auth.volume,
            ],
          },
        },
      },
      waitForRollout: false,
      // KEDA owns the replica count once it runs.
      lifecycle: { ignoreChanges: ['spec[0].replicas'] },
      dependsOn: [...props.dependsOn, auth.configMap],
    });
    new ServiceV1(this, 'Service', {
      provider,
      metadata: { name: this.deploymentName, namespace: ctx.namespace, labels },
      spec: {
        selector,
        port: [{ name: 'http', port: 80, targetPort: ServingMetricsLabels.PORT_NAME, protocol: 'TCP' }],
      },
      dependsOn: props.dependsOn,
    });
    new PodDisruptionBudgetV1(this, 'Budget', {
      provider,
      metadata: { name: this.deploymentName, namespace: ctx.namespace },
      spec: { maxUnavailable: '1', selector: { matchLabels: selector } },
      dependsOn: props.dependsOn,
    });
  }
}
