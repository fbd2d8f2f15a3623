import { SecretV1 } from '@cdktf/provider-kubernetes/lib/secret-v1';
import { Annotations, Fn, ITerraformDependable, Token } from 'cdktf';
import { Construct } from 'constructs';
import { ChartOverrides, ChartRef, HelmAddon } from '../addons/chart';
import { PodSecurityLevel } from '../addons/namespace';
import { IWorkloadIdentity, PodToleration } from '../core/cluster';
import { KubernetesSecretKeyRef, PostgresOptions, ServiceLogin } from '../core/data-services';
import { PostgresDatabase } from '../data-services';
import { reportProblems } from '../private/problems';
import { isToken } from '../private/validation';
import { VectorStoreCharts } from './charts';
import { PgvectorBootstrap, pgRoleName } from './pgvector-bootstrap';
import { generatedSecret } from './secrets';
import { ExposedPort, IVectorStoreBinding, RagContext } from './types';

// A struct of its own (jsii has no type aliases), so pgvector-only options can be added later.
/* eslint-disable @typescript-eslint/no-empty-object-type */
/** Options of pgvector on the cloud's managed PostgreSQL (the database is named 'rag' unless set). */
export interface PgvectorOptions extends PostgresOptions {}
/* eslint-enable @typescript-eslint/no-empty-object-type */

/** Options of a vector store that runs in the cluster: Qdrant, Milvus or Weaviate. */
export interface InClusterVectorStoreOptions {
  /**
   * Size of the store's persistent volume, in GiB (Milvus: of its MinIO volume and of its own volume each).
   * @default 50
   */
  readonly storageGib?: number;
  /**
   * Replicas (Qdrant, Weaviate). Milvus runs standalone: one replica only.
   * @default 1
   */
  readonly replicas?: number;
  /**
   * Create the chart's ServiceMonitor. It needs the Prometheus operator's CRDs, which ObservabilityStack
   * installs: without them the release fails.
   * @default false
   */
  readonly serviceMonitor?: boolean;
  /**
   * Another chart version, and values merged over the library's.
   * @default - the pinned version and the library's values
   */
  readonly chart?: ChartOverrides;
}

/**
 * Where a RagStack keeps its vectors: pgvector on the cloud's managed PostgreSQL, or Qdrant, Milvus or
 * Weaviate in the cluster. In-cluster stores run on the system pool with authentication on, their API key
 * (Milvus: root password) generated at apply time into a Kubernetes secret of the RAG namespace that the
 * chart reads; that secret can only be mounted by pods of that namespace. Qdrant and Weaviate also get a
 * read-only key, in a secret of its own: query grants receive that one, never the admin key.
 *
 * ```ts
 * const store = VectorStore.qdrant({ storageGib: 100 });
 * ```
 */
export abstract class VectorStore {
  /**
   * pgvector on RDS for PostgreSQL (AWS) or Azure Database for PostgreSQL Flexible Server, plus a bootstrap
   * job that creates the extension and the login of every workload granted access; workloads log in with
   * cloud tokens (IAM, Entra), no password.
   */
  public static pgvector(options: PgvectorOptions = {}): VectorStore {
    return new PgvectorStore(options);
  }

  /**
   * Qdrant (chart 1.19.0), with an API key for writers and a read-only API key for readers. Needs the
   * 'baseline' Pod Security level.
   */
  public static qdrant(options: InClusterVectorStoreOptions = {}): VectorStore {
    return new QdrantStore(options);
  }

  /**
   * Milvus 2.6 standalone (chart 5.0.19): embedded Woodpecker log (no Pulsar), bundled etcd and MinIO, with
   * authorization on (user root). Needs the 'baseline' Pod Security level.
   */
  public static milvus(options: InClusterVectorStoreOptions = {}): VectorStore {
    return new MilvusStore(options);
  }

  /**
   * Weaviate (chart 17.8.3), anonymous access off, an admin API key for writers and a read-only one for
   * readers (Weaviate's admin list). Passes the 'restricted' level.
   */
  public static weaviate(options: InClusterVectorStoreOptions = {}): VectorStore {
    return new WeaviateStore(options);
  }

  /** 'pgvector', 'qdrant', 'milvus' or 'weaviate'. */
  public abstract readonly kind: string;

  /**
   * The strictest Pod Security level the store's pods pass: the RAG namespace enforces it. pgvector (no
   * pod of its own) and Weaviate (hardened through its values) pass 'restricted'. Qdrant and Milvus need
   * 'baseline': the pinned values of Qdrant, and of Milvus' bundled MinIO and etcd, have no keys for
   * dropping capabilities or a seccomp profile (Qdrant's templates pass `containerSecurityContext` and
   * `podSecurityContext` through: `chart.values` can add them).
   */
  public abstract readonly podSecurity: PodSecurityLevel;

  /** Creates the store under `scope` for a RagStack; problems are reported at synth. */
  public abstract bind(scope: Construct, ctx: RagContext): IVectorStoreBinding;
}

class PgvectorStore extends VectorStore {
  public readonly kind = 'pgvector';
  public readonly podSecurity = PodSecurityLevel.RESTRICTED;

  constructor(private readonly options: PgvectorOptions) {
    super();
  }

  public bind(scope: Construct, ctx: RagContext): IVectorStoreBinding {
    const database = new PostgresDatabase(scope, 'Database', {
      ...this.options,
      cluster: ctx.cluster,
      databaseName: this.options.databaseName ?? 'rag',
      removalPolicy: this.options.removalPolicy ?? ctx.removalPolicy,
    });
    const bootstrap = new PgvectorBootstrap(scope, 'Bootstrap', { ctx, database });
    return {
      kind: this.kind,
      host: database.host,
      port: database.port,
      database: database.databaseName,
      exposedPorts: [],
      sslMode: 'require',
      dependables: [bootstrap.job],
      // The role is the workload's service account name; the bootstrap job creates it (and reruns for new grants).
      grantAccess: (identity: IWorkloadIdentity, write?: boolean): ServiceLogin =>
        bootstrap.addLogin(identity, pgRoleName(identity.serviceAccountName), write),
    };
  }
}

/** What an in-cluster store needs from the common part: names, values, where its pods listen. */
interface InClusterSpec {
  /** Helm release name; also the Service name, so the host is `<release>.<namespace>.svc.cluster.local`. */
  readonly release: string;
  /** Service port clients use. */
  readonly port: number;
  /** Login name clients use with the key. */
  readonly user: string;
  /** Key of the secret holding the API key (or password) clients send. */
  readonly apiKey: string;
  /** Further keys of the secret: literal values, or `undefined` for a generated one. */
  readonly extraKeys?: { [key: string]: string | undefined };
  /**
   * The user readers log in as with the read-only key (in `<release>-read-credentials`, key 'api-key'),
   * when the store has one.
   */
  readonly readOnlyUser?: string;
  /** Pod ports granted namespaces may reach. */
  readonly exposedPorts: ExposedPort[];
  /** Seconds Helm waits for the release. */
  readonly timeoutSeconds?: number;
}

/** What the chart values are built from. */
interface ValuesInput {
  readonly secretName: string;
  /** The secret holding the read-only key (key 'api-key'), for stores with `readOnlyUser`. */
  readonly readOnlySecretName: string;
  readonly storageClass: string;
  readonly size: string;
  readonly replicas: number;
  readonly serviceMonitor: boolean;
  readonly nodeSelector: { [key: string]: string };
  readonly tolerations: PodToleration[];
}

/** Key of the read-only API key in `<release>-read-credentials`. */
const READ_ONLY_KEY = 'api-key';
/** Suffix of Weaviate's secret with every allowed key (`<release>-api-keys`). */
const SERVER_KEYS = 'api-keys';

abstract class InClusterStore extends VectorStore {
  protected abstract readonly chartRef: ChartRef;
  protected abstract readonly spec: InClusterSpec;

  constructor(protected readonly options: InClusterVectorStoreOptions) {
    super();
  }

  public bind(scope: Construct, ctx: RagContext): IVectorStoreBinding {
    reportProblems(scope, this.validate());
    const spec = this.spec;
    const cluster = ctx.cluster;
    const secretName = `${spec.release}-credentials`;
    const secret = generatedSecret(scope, 'Credentials', ctx, secretName, { [spec.apiKey]: undefined, ...(spec.extraKeys ?? {}) });
    // A secret of its own, not a key added to the first one: that one ignores changes to its data, so a
    // store deployed before the read-only key existed would never get it.
    const readOnlySecretName = `${spec.release}-read-credentials`;
    const readOnly = spec.readOnlyUser
      ? generatedSecret(scope, 'ReadCredentials', ctx, readOnlySecretName, { [READ_ONLY_KEY]: undefined })
      : undefined;
    const serverSecrets = [secret, ...(readOnly ? [readOnly] : []), ...this.serverSecrets(scope, ctx, secret, readOnly)];
    const storageGib = this.options.storageGib ?? 50;
    const release = new HelmAddon(scope, 'Chart', {
      cluster,
      releaseName: spec.release,
      chart: this.chartRef,
      namespace: ctx.namespace,
      createNamespace: false,
      values: this.values({
        secretName,
        readOnlySecretName,
        storageClass: cluster.storageClassName,
        size: `${isToken(storageGib) ? Token.asString(storageGib) : storageGib}Gi`,
        replicas: this.options.replicas ?? 1,
        serviceMonitor: this.options.serviceMonitor ?? false,
        nodeSelector: { ...cluster.systemNodeSelector },
        tolerations: cluster.systemTolerations.map((t) => ({ ...t })),
      }),
      overrides: this.options.chart,
      // The chart reads the secrets at install (Qdrant copies them with `lookup`): they must exist first.
      dependsOn: [...ctx.dependables, ...serverSecrets],
      timeoutSeconds: spec.timeoutSeconds,
    });
    const apiKeySecret: KubernetesSecretKeyRef = { namespace: ctx.namespace, name: secretName, key: spec.apiKey };
    const readOnlyKeySecret: KubernetesSecretKeyRef | undefined = readOnly
      ? { namespace: ctx.namespace, name: readOnlySecretName, key: READ_ONLY_KEY }
      : undefined;
    const dependables: ITerraformDependable[] = [release.release, ...serverSecrets];
    return {
      kind: this.kind,
      host: `${spec.release}.${ctx.namespace}.svc.cluster.local`,
      port: spec.port,
      apiKeySecret,
      apiKeyValue: Fn.lookup(secret.data, spec.apiKey, ''),
      readOnlyKeySecret,
      readOnlyKeyValue: readOnly ? Fn.lookup(readOnly.data, READ_ONLY_KEY, '') : undefined,
      exposedPorts: spec.exposedPorts,
      dependables,
      // Readers get the read-only key where the store has one; writers the admin key. The secrets are in the
      // RAG namespace (pods elsewhere cannot mount them; grants copy the one they need).
      grantAccess: (identity: IWorkloadIdentity, write?: boolean): ServiceLogin => {
        if (!write && readOnlyKeySecret && spec.readOnlyUser)
          return { user: spec.readOnlyUser, authentication: 'api-key', passwordSecret: readOnlyKeySecret, dependables: [...dependables] };
        if (!write)
          Annotations.of(scope).addWarning(
            `${this.kind} has no read-only login here: the query grant of ${identity.node.path} gets the ${spec.user} credential, which may also write and delete; use VectorStore.qdrant(), weaviate() or pgvector() where apps only query`,
          );
        return { user: spec.user, authentication: 'api-key', passwordSecret: apiKeySecret, dependables: [...dependables] };
      },
    };
  }

  /** Problems of the options, as `<prop> <value> <problem>; <fix>`. */
  protected validate(): string[] {
    const out: string[] = [];
    const { storageGib, replicas } = this.options;
    if (storageGib !== undefined && !isToken(storageGib) && !(Number.isInteger(storageGib) && storageGib >= 1 && storageGib <= 16384))
      out.push(`storageGib ${storageGib} is not a whole number of GiB from 1 to 16384; use e.g. 50`);
    if (replicas !== undefined && !isToken(replicas) && !(Number.isInteger(replicas) && replicas >= 1))
      out.push(`replicas ${replicas} is not a whole number of at least 1; use e.g. 1`);
    return out;
  }

  /** The chart values (literal YAML; the secret is referenced by name, never copied in). */
  protected abstract values(input: ValuesInput): { [key: string]: any };

  /** Secrets the server reads besides the generated ones (derived from them). */
  protected serverSecrets(_scope: Construct, _ctx: RagContext, _admin: SecretV1, _readOnly?: SecretV1): SecretV1[] {
    return [];
  }
}

class QdrantStore extends InClusterStore {
  public readonly kind = 'qdrant';
  // Baseline, not restricted: the pinned chart's values declare containerSecurityContext and
  // podSecurityContext with defaults lacking `capabilities` and `seccompProfile`, and its
  // 'ensure-dir-ownership' init container (a root chown, no security context) renders whenever
  // updateVolumeFsOwnership is on. templates/statefulset.yaml passes both maps through, so
  // `chart.values` can add `capabilities: {drop: [ALL]}` and `seccompProfile: {type: RuntimeDefault}`
  // and turn updateVolumeFsOwnership off (the library keeps to the keys the pinned values declare).
  public readonly podSecurity = PodSecurityLevel.BASELINE;
  protected readonly chartRef = VectorStoreCharts.QDRANT;
  protected readonly spec: InClusterSpec = {
    release: 'qdrant',
    port: 6333,
    user: 'api-key',
    apiKey: 'api-key',
    readOnlyUser: 'read-only-api-key',
    exposedPorts: [6333, 6334].map((port) => ({
      podLabels: { 'app.kubernetes.io/name': 'qdrant', 'app.kubernetes.io/instance': 'qdrant' },
      port,
    })),
  };

  protected values(v: ValuesInput): { [key: string]: any } {
    return {
      replicaCount: v.replicas,
      // The '-unprivileged' image owns its files as uid 1000: no root init container to chown the volume.
      image: { useUnprivilegedImage: true },
      // templates/_helpers.tpl (qdrant.secret): read with `lookup` at install and written into the chart's
      // own secret (`qdrant-apikey`, mounted as config); it is never in the values.
      apiKey: { valueFrom: { secretKeyRef: { name: v.secretName, key: this.spec.apiKey } } },
      // The same way into service.read_only_api_key: that key may search and read, never write or delete.
      readOnlyApiKey: { valueFrom: { secretKeyRef: { name: v.readOnlySecretName, key: READ_ONLY_KEY } } },
      persistence: { storageClassName: v.storageClass, size: v.size },
      nodeSelector: v.nodeSelector,
      tolerations: v.tolerations,
      // The ServiceMonitor authenticates with the API key from the chart's secret (templates/servicemonitor.yaml).
      metrics: { serviceMonitor: { enabled: v.serviceMonitor } },
    };
  }
}

class WeaviateStore extends InClusterStore {
  public readonly kind = 'weaviate';
  public readonly podSecurity = PodSecurityLevel.RESTRICTED;
  protected readonly chartRef = VectorStoreCharts.WEAVIATE;
  protected readonly spec: InClusterSpec = {
    release: 'weaviate',
    port: 80,
    user: 'api-key',
    // The chart's envSecrets read the key named like the variable (templates/weaviateStatefulset.yaml).
    apiKey: 'AUTHENTICATION_APIKEY_ALLOWED_KEYS',
    readOnlyUser: 'api-key-read-only',
    // The chart's Service maps port 80 to the pods' 8080; gRPC is 50051. Its pods are labelled app=weaviate.
    exposedPorts: [8080, 50051].map((port) => ({ podLabels: { app: 'weaviate' }, port })),
  };

  protected values(v: ValuesInput): { [key: string]: any } {
    return {
      replicas: v.replicas,
      // The sysctl init container runs privileged as root (templates/weaviateStatefulset.yaml); the nodes'
      // vm.max_map_count default stays, which suits stores of a few million vectors.
      initContainers: { sysctlInitContainer: { enabled: false } },
      securityContext: {
        runAsNonRoot: true,
        runAsUser: 1000,
        runAsGroup: 1000,
        fsGroup: 1000,
        fsGroupChangePolicy: 'OnRootMismatch',
        seccompProfile: { type: 'RuntimeDefault' },
      },
      containerSecurityContext: { allowPrivilegeEscalation: false, privileged: false, capabilities: { drop: ['ALL'] } },
      storage: { size: v.size, storageClassName: v.storageClass },
      // Both default to LoadBalancer: in-cluster only.
      service: { type: 'ClusterIP' },
      grpcService: { type: 'ClusterIP' },
      authentication: { anonymous_access: { enabled: false } },
      // API keys from the environment (they take precedence over the config file), the keys from a secret:
      // key i belongs to user i. The admin list makes the second user read-only (without an authorization
      // scheme every authenticated user may write).
      env: {
        AUTHENTICATION_APIKEY_ENABLED: 'true',
        AUTHENTICATION_APIKEY_USERS: `${this.spec.user},${this.spec.readOnlyUser}`,
        AUTHORIZATION_ADMINLIST_ENABLED: 'true',
        AUTHORIZATION_ADMINLIST_USERS: this.spec.user,
        AUTHORIZATION_ADMINLIST_READONLY_USERS: this.spec.readOnlyUser,
        PROMETHEUS_MONITORING_ENABLED: v.serviceMonitor,
      },
      envSecrets: { [this.spec.apiKey]: `${this.spec.release}-${SERVER_KEYS}` },
      serviceMonitor: { enabled: v.serviceMonitor },
      nodeSelector: v.nodeSelector,
      tolerations: v.tolerations,
    };
  }

  /**
   * The server's comma-separated key list (admin key, then read-only key), rebuilt from the two generated
   * secrets by reference; it follows them, so it has no ignore_changes of its own.
   */
  protected serverSecrets(scope: Construct, ctx: RagContext, admin: SecretV1, readOnly?: SecretV1): SecretV1[] {
    if (!readOnly) return [];
    const keys = Fn.join(',', [Fn.lookup(admin.data, this.spec.apiKey, ''), Fn.lookup(readOnly.data, READ_ONLY_KEY, '')]);
    return [
      new SecretV1(scope, 'ServerKeys', {
        provider: ctx.cluster.providers(scope).kubernetes,
        metadata: {
          name: `${this.spec.release}-${SERVER_KEYS}`,
          namespace: ctx.namespace,
          labels: { 'app.kubernetes.io/part-of': 'ai-platform' },
        },
        type: 'Opaque',
        data: { [this.spec.apiKey]: keys },
        dependsOn: [admin, readOnly],
      }),
    ];
  }
}

class MilvusStore extends InClusterStore {
  public readonly kind = 'milvus';
  // Baseline, not restricted: the bundled MinIO's securityContext values are only runAsUser/runAsGroup/
  // fsGroup and etcd's only runAsUser/runAsNonRoot/allowPrivilegeEscalation (charts/minio, charts/etcd
  // values of milvus 5.0.19): no way to drop capabilities or set seccomp through the chart.
  public readonly podSecurity = PodSecurityLevel.BASELINE;
  protected readonly chartRef = VectorStoreCharts.MILVUS;
  protected readonly spec: InClusterSpec = {
    release: 'milvus',
    port: 19530,
    user: 'root',
    apiKey: 'root-password',
    // The bundled MinIO's existingSecret keys (charts/minio/templates/deployment.yaml); the access key id
    // is a name, the secret key is generated.
    extraKeys: { accesskey: 'milvus', secretkey: undefined },
    exposedPorts: [
      {
        podLabels: { 'app.kubernetes.io/name': 'milvus', 'app.kubernetes.io/instance': 'milvus', component: 'standalone' },
        port: 19530,
      },
    ],
    // etcd, MinIO, then Milvus.
    timeoutSeconds: 900,
  };

  protected validate(): string[] {
    const out = super.validate();
    const replicas = this.options.replicas;
    if (replicas !== undefined && !isToken(replicas) && replicas !== 1 && Number.isInteger(replicas) && replicas >= 1)
      out.push(`replicas ${replicas} is not possible for Milvus standalone, which runs one replica; leave replicas unset`);
    return out;
  }

  protected values(v: ValuesInput): { [key: string]: any } {
    const fromSecret = (name: string, key: string) => ({ name, valueFrom: { secretKeyRef: { name: v.secretName, key } } });
    const placement = { nodeSelector: v.nodeSelector, tolerations: v.tolerations };
    return {
      cluster: { enabled: false },
      // Global placement: every Milvus component (the standalone Deployment here).
      ...placement,
      standalone: {
        messageQueue: 'woodpecker',
        persistence: { persistentVolumeClaim: { storageClass: v.storageClass, size: v.size } },
        // Milvus reads configuration from the environment before its files (pkg/config: EnvSource has a
        // higher priority than FileSource): credentials come from the secret, not from the ConfigMap.
        extraEnv: [
          fromSecret('MINIO_ACCESS_KEY_ID', 'accesskey'),
          fromSecret('MINIO_SECRET_ACCESS_KEY', 'secretkey'),
          // Used when Milvus first creates the root user (common.security.defaultRootPassword).
          fromSecret('COMMON_SECURITY_DEFAULTROOTPASSWORD', this.spec.apiKey),
        ],
      },
      // 2.6 writes its log to object storage through the embedded Woodpecker: no Pulsar, Kafka or Woodpecker pods.
      streaming: { woodpecker: { embedded: true, storage: { type: 'minio' } } },
      pulsarv3: { enabled: false },
      extraConfigFiles: { 'user.yaml': 'common:\n  security:\n    authorizationEnabled: true\n' },
      metrics: { serviceMonitor: { enabled: v.serviceMonitor } },
      minio: {
        mode: 'standalone',
        existingSecret: v.secretName,
        // Milvus' ConfigMap renders these (templates/config.tpl); the secret key stays empty there.
        accessKey: 'milvus',
        secretKey: '',
        persistence: { storageClass: v.storageClass, size: v.size },
        // One pod on a ReadWriteOnce claim: a rolling update's new pod could never mount it (Multi-Attach).
        DeploymentUpdate: { type: 'Recreate' },
        ...placement,
      },
      etcd: { replicaCount: 1, persistence: { storageClass: v.storageClass }, ...placement },
    };
  }
}
