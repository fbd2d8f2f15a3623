import { JobV1 } from '@cdktf/provider-kubernetes/lib/job-v1';
import { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import { KubernetesSecretKeyRef } from '../core/data-services';
import { kubernetesNames, labelValue } from '../private/naming';
import { containerSecurityContext, podSecurityContext, WritableDir, writableDirs } from '../private/pod-security';
import { SERVED_MODEL_LABEL } from './discovery';
import { SERVING_UID } from './model-server';
import { ServingPlan } from './serving-plan';
import { RagContext } from './types';

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

/** What the staging job writes besides the cache: pip's target, HOME, HF_HOME (/tmp). */
const STAGING_WRITABLE_DIRS: WritableDir[] = [{ name: 'tmp', mountPath: '/tmp', sizeLimit: '1Gi' }];

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

/** Names of staging jobs side by side: `stage-<served name>` as DNS-1123 labels (a Job's name lands in its pods' labels). */
export function stagingJobNames(servedNames: string[]): string[] {
  return kubernetesNames(
    servedNames.map((n) => `stage-${n}`),
    'label',
  );
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
    this.jobName = props.jobName ?? stagingJobNames([plan.servedName])[0];
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
