import { DeploymentV1 } from '@cdktf/provider-kubernetes/lib/deployment-v1';
import { JobV1 } from '@cdktf/provider-kubernetes/lib/job-v1';
import { PodDisruptionBudgetV1 } from '@cdktf/provider-kubernetes/lib/pod-disruption-budget-v1';
import { RoleBindingV1 } from '@cdktf/provider-kubernetes/lib/role-binding-v1';
import { RoleV1 } from '@cdktf/provider-kubernetes/lib/role-v1';
import { ServiceAccountV1 } from '@cdktf/provider-kubernetes/lib/service-account-v1';
import { ServiceV1 } from '@cdktf/provider-kubernetes/lib/service-v1';
import { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import { KubernetesSecretKeyRef } from '../core/data-services';
import { kubernetesName, labelValue } from '../private/naming';
import {
  containerSecurityContext,
  NONROOT_UID,
  podSecurityContext,
  WritableDir,
  writableDirs,
  WritableVolumes,
} from '../private/pod-security';
import { ServingMetricsLabels } from '../observability/scrape';
import { API_AUTH_MIDDLEWARE, API_AUTH_MOUNT_PATH, ApiAuthConfig, ROUTER_LAUNCHER, ROUTER_PYTHON } from './api-auth';
import { ModelTask, ServingPlan } from './served-model';
import { RagContext } from './types';

/** vLLM's OpenAI-compatible server, pinned. */
export const VLLM_IMAGE = 'vllm/vllm-openai:v0.11.0';
/** The vLLM production-stack router, pinned to the release of the vllm-stack 0.1.12 chart. */
export const ROUTER_IMAGE = 'lmcache/lmstack-router:v0.1.12';
/** Port vLLM and the router listen on. */
export const SERVING_PORT = 8000;
/** Label every model server of one RagStack carries; the router discovers pods by it. */
export const RAG_STACK_LABEL = 'ai-platform.dev/rag-stack';
/** Label naming the served model of a pod. */
export const SERVED_MODEL_LABEL = 'ai-platform.dev/served-model';
/** Label naming the router that discovers a model server. */
export const ROUTER_LABEL = 'ai-platform.dev/router';

/** Where the weights of a model were staged on a shared volume (a ReadWriteMany claim). */
export interface ModelCacheMount {
  /** Name of the PersistentVolumeClaim holding the weights (in the server's namespace). */
  readonly claimName: string;
  /** Directory of the model's weights inside the volume: its Hugging Face repository id, e.g. 'BAAI/bge-m3'. */
  readonly path: string;
}

/** Where a model server mounts the model cache (read-only). */
export const MODEL_CACHE_MOUNT_PATH = '/model-cache';
/** Where the staging job mounts the model cache (read-write). */
const STAGING_MOUNT_PATH = '/cache';
/** Files vLLM loads: configs, safetensors weights, tokenizers, chat templates. */
const STAGED_PATTERNS = ['*.json', '*.txt', '*.model', 'tokenizer*', '*.jinja', '*.py', '*.tiktoken'];
/** The staging image: slim Python with huggingface_hub installed at start (the vLLM image is ~25 GB). */
export const STAGING_IMAGE = 'python:3.12.12-slim';
/** huggingface_hub for the staging job. */
const HUB_REQUIREMENT = 'huggingface_hub>=0.34,<1.0';
/** Where the staging job installs huggingface_hub (an emptyDir: the image's site-packages are read-only). */
const STAGING_PYTHON_DIR = '/tmp/python';
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
  /** Name of the router that discovers this server (label value it selects). */
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

/** The labels of one model server's pods. */
export function modelServerLabels(stackName: string, servedName: string, routerName: string): { [key: string]: string } {
  return {
    [ROUTER_LABEL]: labelValue(routerName),
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

/** What the staging job writes besides the cache: pip's target, HOME, HF_HOME (/tmp). */
const STAGING_WRITABLE_DIRS: WritableDir[] = [{ name: 'tmp', mountPath: '/tmp', sizeLimit: '1Gi' }];

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
    // A Service name: a DNS-1035 label ('qwen2.5-7b' has a dot, which Services do not take).
    this.deploymentName = props.serverName ?? kubernetesName(`vllm-${plan.servedName}`, 'service');
    const selector = { [RAG_STACK_LABEL]: labels[RAG_STACK_LABEL], [SERVED_MODEL_LABEL]: labels[SERVED_MODEL_LABEL] };
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

/** Options of a model staging job. */
export interface ModelStagingJobProps {
  /** Where it runs (system nodes of the cluster, the stack's namespace). */
  readonly ctx: RagContext;
  /** The plan of the model whose weights it stages (repository, served name). */
  readonly plan: ServingPlan;
  /**
   * Name of the Job (a DNS-1123 label: it lands in the pods' `job-name` label).
   * @default - `stage-<served name>`, sanitized
   */
  readonly jobName?: string;
  /** The ReadWriteMany claim of the model cache. */
  readonly claimName: string;
  /**
   * Secret with a Hugging Face token, for gated models.
   * @default - none: public models only
   */
  readonly huggingFaceToken?: KubernetesSecretKeyRef;
  /**
   * Image with Python and huggingface_hub.
   * @default VLLM_IMAGE (already pulled for serving, carries huggingface_hub)
   */
  readonly image?: string;
  /** What it waits for (namespace, the claim). */
  readonly dependsOn: ITerraformDependable[];
}

/** The Python program of a staging job: download once, then mark the directory complete. */
export function stagingScript(repository: string): string {
  // JSON string literals are Python string literals: the repository id is quoted, never interpolated raw.
  // Weights as vLLM picks them: safetensors when the repository has any, else PyTorch .bin/.pt files. The
  // directory is marked complete only once a weight file is there, so a failed run is retried.
  return [
    'import pathlib, sys',
    'from huggingface_hub import list_repo_files, snapshot_download',
    `repo = ${JSON.stringify(repository)}`,
    `target = pathlib.Path(${JSON.stringify(STAGING_MOUNT_PATH)}) / repo`,
    "done = target / '.complete'",
    'if done.exists():',
    "    print(f'{repo}: already staged in {target}')",
    '    sys.exit(0)',
    'files = list_repo_files(repo)',
    "weights = ['*.safetensors'] if any(f.endswith('.safetensors') for f in files) else ['*.bin', '*.pt']",
    `snapshot_download(repo_id=repo, local_dir=str(target), allow_patterns=${JSON.stringify(STAGED_PATTERNS)} + weights)`,
    'if not any(p.is_file() for w in weights for p in target.rglob(w)):',
    "    sys.exit(f'{repo}: no weight files ({weights}) were downloaded')",
    'done.touch()',
    "print(f'{repo}: staged in {target}')",
  ].join('\n');
}

/**
 * Stages one model's weights from the Hugging Face hub onto the model cache, once: a Job on the system
 * nodes that downloads the files vLLM loads into `/<repository>` of the volume and writes `.complete`
 * there (a later run finds it and does nothing). Terraform waits for it (up to 90 minutes), so model
 * servers depending on it start with the weights in place.
 */
export class ModelStagingJob extends Construct {
  /** The Job. */
  public readonly job: JobV1;
  /** Name of the Job. */
  public readonly jobName: string;

  constructor(scope: Construct, id: string, props: ModelStagingJobProps) {
    super(scope, id);
    const { ctx, plan } = props;
    this.jobName = props.jobName ?? kubernetesName(`stage-${plan.servedName}`);
    const labels = {
      'app.kubernetes.io/name': 'model-staging',
      'app.kubernetes.io/instance': labelValue(this.jobName),
      'app.kubernetes.io/part-of': 'ai-platform',
      [SERVED_MODEL_LABEL]: labelValue(plan.servedName),
    };
    const stagingDirs = writableDirs(STAGING_WRITABLE_DIRS);
    this.job = new JobV1(this, 'Job', {
      provider: ctx.cluster.providers(this).kubernetes,
      metadata: { name: this.jobName, namespace: ctx.namespace, labels },
      spec: {
        backoffLimit: 3,
        // Ends a run stuck Pending (no node, no volume) before Terraform's own 90-minute wait.
        activeDeadlineSeconds: 5100,
        template: {
          metadata: { labels },
          spec: {
            restartPolicy: 'Never',
            automountServiceAccountToken: false,
            enableServiceLinks: false,
            // A download of many GiB is an ordinary workload, kept off the add-on pool.
            nodeSelector: { ...ctx.cluster.workloadNodeSelector },
            toleration: ctx.cluster.workloadTolerations.map((t) => ({ ...t })),
            // The servers' uid, so the files it stages are theirs; fsGroup owns the cache volume where the
            // driver applies it (Azure Files: the mount's gid; an EFS access point maps every uid to its own).
            securityContext: {
              ...podSecurityContext({ uid: SERVING_UID, gid: SERVING_UID, fsGroup: SERVING_UID }),
              fsGroupChangePolicy: 'OnRootMismatch',
            },
            container: [
              {
                name: 'stage',
                image: props.image ?? STAGING_IMAGE,
                imagePullPolicy: 'IfNotPresent',
                // A pinned huggingface_hub range, installed at start (the hub must be reachable anyway) into the
                // tmp emptyDir: the image's site-packages are root's and the root file system is read-only.
                command: [
                  'sh',
                  '-c',
                  `pip install --no-cache-dir --quiet --target ${STAGING_PYTHON_DIR} '${HUB_REQUIREMENT}' && exec python3 -c "$STAGING_SCRIPT"`,
                ],
                env: [
                  { name: 'STAGING_SCRIPT', value: stagingScript(plan.repository) },
                  { name: 'PYTHONPATH', value: STAGING_PYTHON_DIR },
                  // pip and Python write their caches and user files under HOME; no home for the uid in the image.
                  { name: 'HOME', value: '/tmp' },
                  { name: 'PYTHONUSERBASE', value: '/tmp/python-user' },
                  { name: 'PIP_DISABLE_PIP_VERSION_CHECK', value: '1' },
                  // The hub's own cache stays off the volume: files land in the target directory only.
                  { name: 'HF_HOME', value: '/tmp/hf' },
                  // Plain HTTP downloads: the Xet client buffers gigabytes per file (huggingface_hub#3300).
                  { name: 'HF_HUB_DISABLE_XET', value: '1' },
                  ...(props.huggingFaceToken
                    ? [
                        {
                          name: 'HF_TOKEN',
                          valueFrom: { secretKeyRef: { name: props.huggingFaceToken.name, key: props.huggingFaceToken.key } },
                        },
                      ]
                    : []),
                ],
                resources: {
                  requests: { cpu: '1', memory: '2Gi', 'ephemeral-storage': '2Gi' },
                  limits: { memory: '4Gi', 'ephemeral-storage': '4Gi' },
                },
                securityContext: containerSecurityContext({ uid: SERVING_UID, gid: SERVING_UID }),
                volumeMount: [{ name: 'model-cache', mountPath: STAGING_MOUNT_PATH }, ...stagingDirs.volumeMount],
              },
            ],
            volume: [{ name: 'model-cache', persistentVolumeClaim: { claimName: props.claimName } }, ...stagingDirs.volume],
          },
        },
      },
      waitForCompletion: true,
      timeouts: { create: '90m', update: '90m' },
      dependsOn: props.dependsOn,
    });
  }
}

/** Options of the router. */
export interface ModelRouterProps {
  /** Where it runs. */
  readonly ctx: RagContext;
  /** Name of the RagStack. */
  readonly stackName: string;
  /** Name of this router (Deployment, Service; the model servers it discovers carry it as a label). */
  readonly routerName: string;
  /**
   * Routing logic: 'prefixaware' for generation (requests sharing a prompt prefix land where its KV cache
   * is), 'roundrobin' for embedding and scoring (prefix-aware routing reads a prompt those requests lack).
   */
  readonly routingLogic: string;
  /**
   * Secret with the API key: clients send it on every route but GET `/health` and `/metrics` (the router
   * itself checks none; a middleware mounted from a ConfigMap does), and the router's discovery calls send
   * it to the servers.
   */
  readonly apiKey: KubernetesSecretKeyRef;
  /**
   * Router replicas.
   * @default 2
   */
  readonly replicas?: number;
  /** What it waits for. */
  readonly dependsOn: ITerraformDependable[];
}

/** Labels of the router pods. */
export function routerLabels(stackName: string, routerName: string): { [key: string]: string } {
  return {
    'app.kubernetes.io/name': 'vllm-router',
    'app.kubernetes.io/instance': labelValue(routerName),
    'app.kubernetes.io/part-of': 'ai-platform',
    [RAG_STACK_LABEL]: labelValue(stackName),
    // A PodMonitor of its own: the router's request counter wakes models scaled to zero.
    [ServingMetricsLabels.KEY]: ServingMetricsLabels.VLLM_ROUTER,
  };
}

/**
 * The vLLM production-stack router: one OpenAI-compatible endpoint for every model of the stack, with
 * prefix-aware routing across replicas, finding servers through the Kubernetes API (a Role that may only
 * read pods of its namespace). Its prefix table grows with traffic (production-stack#687): a memory limit
 * and liveness probe restart it before it starves the node, and two replicas keep the endpoint up meanwhile.
 * It starts through a launcher that adds the API-key middleware to its app (see `apiKey`).
 */
export class ModelRouter extends Construct {
  /** In-cluster base URL of the OpenAI-compatible API (append `/v1`). */
  public readonly url: string;
  /** Labels of the router pods (network policies admit granted namespaces to them). */
  public readonly podLabels: { [key: string]: string };
  /** The Deployment. */
  public readonly deployment: DeploymentV1;

  constructor(scope: Construct, id: string, props: ModelRouterProps) {
    super(scope, id);
    const { ctx } = props;
    const provider = ctx.cluster.providers(this).kubernetes;
    const name = kubernetesName(props.routerName, 'service');
    this.podLabels = routerLabels(props.stackName, name);
    const selector = { 'app.kubernetes.io/name': 'vllm-router', 'app.kubernetes.io/instance': labelValue(name) };
    const sa = new ServiceAccountV1(this, 'ServiceAccount', {
      provider,
      metadata: { name, namespace: ctx.namespace },
      automountServiceAccountToken: false,
      dependsOn: props.dependsOn,
    });
    const role = new RoleV1(this, 'Role', {
      provider,
      metadata: { name, namespace: ctx.namespace },
      rule: [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] }],
      dependsOn: props.dependsOn,
    });
    const binding = new RoleBindingV1(this, 'RoleBinding', {
      provider,
      metadata: { name, namespace: ctx.namespace },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
      subject: [{ kind: 'ServiceAccount', name, namespace: ctx.namespace }],
      dependsOn: [role, sa],
    });
    const auth = new ApiAuthConfig(this, 'ApiAuth', { ctx, workloadName: name, router: true });
    const probe = (period: number) => ({
      httpGet: { path: '/health', port: String(SERVING_PORT) },
      periodSeconds: period,
      failureThreshold: 3,
      timeoutSeconds: 5,
    });
    const routerDirs = writableDirs([{ name: 'tmp', mountPath: '/tmp', sizeLimit: '256Mi' }]);
    this.deployment = new DeploymentV1(this, 'Deployment', {
      provider,
      metadata: { name, namespace: ctx.namespace, labels: this.podLabels },
      spec: {
        replicas: String(props.replicas ?? 2),
        selector: { matchLabels: selector },
        template: {
          metadata: { labels: this.podLabels, annotations: auth.podAnnotations },
          spec: {
            serviceAccountName: name,
            automountServiceAccountToken: true,
            priorityClassName: 'ai-inference',
            // Replicas on different nodes, so one node going away leaves the endpoint up.
            topologySpreadConstraint: [
              {
                maxSkew: 1,
                topologyKey: 'kubernetes.io/hostname',
                whenUnsatisfiable: 'ScheduleAnyway',
                labelSelector: [{ matchLabels: selector }],
              },
            ],
            nodeSelector: { ...ctx.cluster.systemNodeSelector },
            toleration: ctx.cluster.systemTolerations.map((t) => ({ ...t })),
            securityContext: podSecurityContext({ uid: SERVING_UID, gid: SERVING_UID }),
            container: [
              {
                name: 'router',
                image: ROUTER_IMAGE,
                imagePullPolicy: 'IfNotPresent',
                // The router's entrypoint (vllm_router.app:main) through a launcher that adds the API-key
                // middleware first: the router itself checks no key (see api-auth.ts).
                command: [ROUTER_PYTHON, `${API_AUTH_MOUNT_PATH}/${ROUTER_LAUNCHER}`],
                args: [
                  '--host',
                  '0.0.0.0',
                  '--port',
                  String(SERVING_PORT),
                  '--service-discovery',
                  'k8s',
                  '--k8s-namespace',
                  ctx.namespace,
                  '--k8s-port',
                  String(SERVING_PORT),
                  '--k8s-label-selector',
                  `${ROUTER_LABEL}=${labelValue(name)},app.kubernetes.io/name=vllm`,
                  '--routing-logic',
                  props.routingLogic,
                  '--engine-stats-interval',
                  '15',
                  '--request-stats-window',
                  '60',
                ],
                env: [
                  { name: 'VLLM_API_KEY', valueFrom: { secretKeyRef: { name: props.apiKey.name, key: props.apiKey.key } } },
                  ...auth.env,
                  // Python libraries write caches under HOME; the root file system is read-only.
                  { name: 'HOME', value: '/tmp' },
                ],
                port: [{ name: ServingMetricsLabels.PORT_NAME, containerPort: SERVING_PORT, protocol: 'TCP' }],
                resources: { requests: { cpu: '500m', memory: '1Gi' }, limits: { memory: '2Gi' } },
                readinessProbe: probe(5),
                livenessProbe: probe(10),
                securityContext: containerSecurityContext({ uid: SERVING_UID, gid: SERVING_UID }),
                volumeMount: [...routerDirs.volumeMount, auth.volumeMount],
              },
            ],
            volume: [...routerDirs.volume, auth.volume],
          },
        },
      },
      waitForRollout: false,
      dependsOn: [...props.dependsOn, binding, auth.configMap],
    });
    new ServiceV1(this, 'Service', {
      provider,
      metadata: { name, namespace: ctx.namespace, labels: this.podLabels },
      spec: { selector, port: [{ name: 'http', port: 80, targetPort: ServingMetricsLabels.PORT_NAME, protocol: 'TCP' }] },
      dependsOn: props.dependsOn,
    });
    new PodDisruptionBudgetV1(this, 'Budget', {
      provider,
      metadata: { name, namespace: ctx.namespace },
      spec: { maxUnavailable: '1', selector: { matchLabels: selector } },
      dependsOn: props.dependsOn,
    });
    this.url = `http://${name}.${ctx.namespace}.svc.cluster.local`;
  }
}

/** Options of a model's ScaledObject. */
export interface ModelScalingOptions {
  /** Namespace of the model server. */
  readonly namespace: string;
  /** Deployment to scale. */
  readonly deploymentName: string;
  /** The plan (replica bounds, load time). */
  readonly plan: ServingPlan;
  /** Prometheus query URL. */
  readonly prometheusUrl: string;
  /** Waiting requests per replica to aim for. */
  readonly targetQueueDepth: number;
}

/**
 * KEDA ScaledObject for one served model: `sum(vllm:num_requests_waiting{namespace, model_name})` over its
 * replicas (one series, whatever the replica count), cooldowns no shorter than the model's load time, and,
 * at zero replicas, the router's request counter for the model as the wake-up signal (vLLM's own metrics
 * vanish with its last pod).
 */
export function modelScaledObject(o: ModelScalingOptions): { [key: string]: any } {
  const { plan } = o;
  const model = `namespace="${o.namespace}",model_name="${plan.servedName}"`;
  const settle = Math.max(300, plan.startupSeconds);
  const triggers: { [key: string]: any }[] = [
    {
      type: 'prometheus',
      name: 'queue',
      metadata: {
        serverAddress: o.prometheusUrl,
        query: `sum(vllm:num_requests_waiting{${model}}) or vector(0)`,
        threshold: String(o.targetQueueDepth),
        ignoreNullValues: 'true',
      },
    },
  ];
  if (plan.minReplicas === 0) {
    // The router counts each request for a model, also while no server exists. A counter's first sample
    // is its first request, so rate() alone misses it: series that did not exist 5 minutes ago count too.
    // Clamped to 1: this trigger only wakes the model; the queue decides how many replicas serve it.
    const counter = `vllm_router:num_incoming_requests_total{namespace="${o.namespace}",model="${plan.servedName}"}`;
    triggers.push({
      type: 'prometheus',
      name: 'wake',
      metadata: {
        serverAddress: o.prometheusUrl,
        query: `clamp_max((sum(rate(${counter}[2m])) or vector(0)) + (sum(${counter} unless ${counter} offset 5m) or vector(0)), 1)`,
        threshold: '1',
        activationThreshold: '0',
        ignoreNullValues: 'true',
      },
    });
  }
  return {
    apiVersion: 'keda.sh/v1alpha1',
    kind: 'ScaledObject',
    metadata: { name: o.deploymentName, namespace: o.namespace },
    spec: {
      scaleTargetRef: { name: o.deploymentName },
      minReplicaCount: plan.minReplicas,
      maxReplicaCount: plan.maxReplicas,
      pollingInterval: 15,
      // At zero: wait this long after the last request before removing the last replica.
      cooldownPeriod: settle,
      initialCooldownPeriod: settle,
      // Prometheus unreachable: keep the serving capacity there is, at least one replica.
      fallback: { failureThreshold: 3, replicas: Math.max(plan.minReplicas, 1), behavior: 'currentReplicasIfHigher' },
      advanced: {
        horizontalPodAutoscalerConfig: {
          behavior: {
            // Add a replica at a time, as fast as a model can load; remove slowly.
            scaleUp: { stabilizationWindowSeconds: 0, policies: [{ type: 'Pods', value: 1, periodSeconds: 60 }] },
            scaleDown: { stabilizationWindowSeconds: settle, policies: [{ type: 'Pods', value: 1, periodSeconds: 120 }] },
          },
        },
      },
      triggers,
    },
  };
}
