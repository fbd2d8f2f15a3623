import { ITerraformDependable } from 'cdktf';
import { IPlatformCluster } from '../core/cluster';
import { DNS_LABEL } from '../private/naming';
import { containerSecurityContext, podSecurityContext } from '../private/pod-security';
import { isToken } from '../private/validation';
import { FeastCharts } from './charts';
import { FEAST_CONFIG_DIR, FEATURE_STORE_YAML, FeastEnvVar, PG_PASSFILE_DIR, PG_TOKEN_SCRIPT_KEY } from './feature-store-yaml';

/** One identity's Feast configuration: the secret holding its feature_store.yaml, and what its pods set. */
export interface FeastIdentityConfig {
  /** Namespace of the secret (the identity's). */
  readonly namespace: string;
  /** Name of the config secret: `feature_store.yaml`, plus the PostgreSQL token helper when needed. */
  readonly secretName: string;
  /** Environment pods using the configuration set. */
  readonly env: FeastEnvVar[];
  /** True when the pod refreshes PostgreSQL tokens (run the helper before Feast). */
  readonly postgres: boolean;
  /** What a pod using the configuration waits for (the secret and every grant). */
  readonly dependables: ITerraformDependable[];
}

/** Problems of the namespace and image of the Feast pods. */
export function feastPodProblems(namespace: string, image: string): string[] {
  const out: string[] = [];
  if (!isToken(namespace) && !DNS_LABEL.test(namespace))
    out.push(`namespace '${namespace}' is not a Kubernetes namespace name; use lower-case letters, digits and '-', e.g. 'feast'`);
  if (!isToken(image) && !/^[^\s@]+(@sha256:[a-f0-9]{64})?$/.test(image))
    out.push(`image '${image}' is not an image reference; use registry/name:tag or name@sha256:<digest>`);
  else if (!isToken(image) && (/:latest$/.test(image) || !/(:[\w][\w.-]{0,127}|@sha256:[a-f0-9]{64})$/.test(image.replace(/^[^/]*\//, ''))))
    out.push(`image '${image}' is not pinned; use a version tag or a digest, e.g. '${FeastCharts.FEATURE_SERVER_IMAGE}'`);
  return out;
}

/** uid of the Feast image (UBI's default user). */
export const FEAST_UID = 1001;

/** Shell lines that start the token helper (once, then in the background) before Feast. */
export function tokenHelperLines(postgres: boolean): string[] {
  if (!postgres) return [];
  const helper = `python3 ${FEAST_CONFIG_DIR}/${PG_TOKEN_SCRIPT_KEY}`;
  return [`${helper} --once`, `${helper} &`];
}

/** `/bin/sh -ec` running `script` after the token helper. */
export function feastShell(script: string, postgres: boolean): string[] {
  return ['/bin/sh', '-ec', [...tokenHelperLines(postgres), script].join('\n')];
}

/** A Feast container's environment in the Kubernetes provider's shape. */
export function providerEnv(env: FeastEnvVar[]): { [key: string]: any }[] {
  return env.map((e) =>
    e.secret
      ? { name: e.name, valueFrom: { secretKeyRef: { name: e.secret.name, key: e.secret.key } } }
      : { name: e.name, value: e.value ?? '' },
  );
}

/** The same environment as Kubernetes YAML (Helm values). */
export function manifestEnv(env: FeastEnvVar[]): { [key: string]: any }[] {
  return env.map((e) =>
    e.secret
      ? { name: e.name, valueFrom: { secretKeyRef: { name: e.secret.name, key: e.secret.key } } }
      : { name: e.name, value: e.value ?? '' },
  );
}

/** Environment every Feast pod sets, beyond the stores' own. */
export function baseEnv(cluster: IPlatformCluster): FeastEnvVar[] {
  const env: FeastEnvVar[] = [
    { name: 'HOME', value: '/tmp' },
    { name: 'FEAST_FS_YAML_FILE_PATH', value: FEATURE_STORE_YAML },
  ];
  // The cloud's SDKs may need more (boto3 and PyArrow's S3 filesystem need the region).
  env.push(...cluster.dataServices.feast.sdkEnvironment(cluster.region));
  return env;
}

/** Options of a Feast pod of the Kubernetes provider (Job, CronJob). */
export interface FeastPodOptions {
  /** The cluster (placement). */
  readonly cluster: IPlatformCluster;
  /** Service account (bound to the identity). */
  readonly serviceAccountName: string;
  /** The identity's configuration. */
  readonly config: FeastIdentityConfig;
  /** Container image. */
  readonly image: string;
  /** Container name. */
  readonly containerName: string;
  /** Command. */
  readonly command: string[];
  /** CPU request. */
  readonly cpu: string;
  /** Memory request and limit. */
  readonly memory: string;
}

/**
 * A pod spec (Kubernetes provider shape) for a Feast Job or CronJob: system pool, restricted Pod Security
 * (uid 1001, no capabilities, read-only root file system with a /tmp volume), the config secret mounted
 * read only at /etc/feast, a memory-backed volume for the PostgreSQL password file.
 */
export function feastPodSpec(o: FeastPodOptions): { [key: string]: any } {
  return {
    serviceAccountName: o.serviceAccountName,
    automountServiceAccountToken: false,
    restartPolicy: 'Never',
    nodeSelector: { ...o.cluster.systemNodeSelector },
    toleration: o.cluster.systemTolerations.map((t) => ({ key: t.key, operator: t.operator, effect: t.effect })),
    securityContext: podSecurityContext({ uid: FEAST_UID, fsGroup: FEAST_UID }),
    container: [
      {
        name: o.containerName,
        image: o.image,
        imagePullPolicy: 'IfNotPresent',
        command: o.command,
        env: providerEnv(o.config.env),
        resources: { requests: { cpu: o.cpu, memory: o.memory }, limits: { memory: o.memory } },
        securityContext: containerSecurityContext(),
        volumeMount: [
          { name: 'feast-config', mountPath: FEAST_CONFIG_DIR, readOnly: true },
          { name: 'tmp', mountPath: '/tmp' },
          { name: 'pg', mountPath: PG_PASSFILE_DIR },
        ],
      },
    ],
    volume: [
      { name: 'feast-config', secret: { secretName: o.config.secretName, defaultMode: '0444' } },
      { name: 'tmp', emptyDir: { sizeLimit: '2Gi' } },
      // The refreshed token never reaches the node's disk.
      { name: 'pg', emptyDir: { medium: 'Memory', sizeLimit: '1Mi' } },
    ],
  };
}
