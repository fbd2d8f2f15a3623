import { NetworkPolicyV1 } from '@cdktf/provider-kubernetes/lib/network-policy-v1';
import { ServiceAccountV1 } from '@cdktf/provider-kubernetes/lib/service-account-v1';
import { ITerraformDependable, TerraformOutput, Token } from 'cdktf';
import { Construct } from 'constructs';
import { ChartOverrides } from './addons/chart';
import { Keda } from './addons/keda';
import { ManifestsRelease } from './addons/manifests';
import { PlatformNamespace, PodSecurityLevel } from './addons/namespace';
import { EgressRule, PRIVATE_RANGES } from './addons/egress';
import { requestEgress } from './core/egress-requests';
import { IPlatformCluster, IWorkloadIdentity } from './core/cluster';
import { KubernetesSecretKeyRef, RemovalPolicy } from './core/data-services';
import { FeastCharts } from './feast/charts';
import { FEATURE_STORE_YAML_KEY, FeastAccess, FeastEnvVar, hashOf, k8sName, kebab, validateProject } from './feast/feature-store-yaml';
import { FeatureServer } from './feast/feature-server';
import { FEATURE_SERVER_PORT } from './feast/feature-server-manifests';
import { FeatureServerOptions, validateServerOptions } from './feast/feature-server-options';
import { Materialization, MaterializationOptions, RegistryInit, validateMaterialization } from './feast/materialization';
import { OfflineStore } from './feast/offline-store';
import { OnlineStore } from './feast/online-store';
import { Registry } from './feast/registry';
import { FeastContext, IFeastStoreBinding, IOfflineStoreBinding } from './feast/stores';
import { writeIdentityConfig } from './feast/identity-config';
import { feastPodProblems } from './feast/workload';
import type { AlertRule } from './observability/alerts';
import { sameStack } from './private/cluster-access';
import { kubernetesName, outputName } from './private/naming';
import { reportProblems } from './private/problems';
import { isToken } from './private/validation';
import { skipCreationStacks } from './private/creation-stacks';

/** Props of a FeatureStore. */
export interface FeatureStoreProps {
  /** The cluster (GpuInferenceCluster or ExistingCluster). */
  readonly cluster: IPlatformCluster;
  /** Feast project: letters, digits and '_' (online tables and registry entries are named after it). */
  readonly project: string;
  /** Where online features are served from: `OnlineStore.dynamoDb()` (AWS), `.managedRedis()` (Azure) or `.postgres()`. */
  readonly onlineStore: OnlineStore;
  /**
   * Where historical features live.
   * @default OfflineStore.objectStore()
   */
  readonly offlineStore?: OfflineStore;
  /**
   * Where Feast keeps its definitions.
   * @default Registry.sql()
   */
  readonly registry?: Registry;
  /**
   * Scheduled `feast materialize-incremental`.
   * @default - none: materialize from your pipeline with an identity given grantWrite
   */
  readonly materialization?: MaterializationOptions;
  /**
   * The online feature server.
   * @default - 2 to 6 replicas on CPU, 500m / 1Gi each, no UI
   */
  readonly server?: FeatureServerOptions;
  /**
   * Namespace of the feature server and materialization (restricted Pod Security, default-deny ingress).
   * @default 'feast-<project>' (lower case, '_' as '-')
   */
  readonly namespace?: string;
  /**
   * Image of every Feast pod (server, materialization, registry init). On Azure it must add `feast[azure]`
   * and `adlfs` to the Feast image, which leaves them out.
   * @default 'quay.io/feastdev/feature-server:0.66.0'
   */
  readonly image?: string;
  /**
   * What destroy does to the stores (a store's own `removalPolicy` wins).
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Prometheus query URL for the server's autoscaling (pass `observability.prometheusUrl`).
   * @default - the in-cluster URL of an ObservabilityStack in namespace 'monitoring'
   */
  readonly prometheusUrl?: string;
  /**
   * Version and values overrides of the KEDA chart (installed once per cluster).
   * @default - the pinned version and the library's values
   */
  readonly kedaChart?: ChartOverrides;
  /**
   * Terraform outputs: feature server URL, offline data URL, namespace.
   * @default false
   */
  readonly outputs?: boolean;
  /**
   * Further destinations the namespace's pods may reach (e.g. an offline source on a port other than 443): TCP ports at IPv4 CIDRs, the cloud
   * metadata ranges cut out. Egress is otherwise denied but for DNS, the namespace, HTTPS and what grants
   * request.
   * @default - none
   */
  readonly egress?: EgressRule[];
}

/** What a granted identity gets: its feature_store.yaml and what its pods set. */
export interface FeatureStoreAccess {
  /** Namespace of the identity, where the config secret is written. */
  readonly namespace: string;
  /**
   * The secret holding `feature_store.yaml` (key `feature_store.yaml`; mount the secret at /etc/feast and run
   * `feast -f /etc/feast/feature_store.yaml ...`). With PostgreSQL stores it also holds `pg_token.py`: run
   * `python3 /etc/feast/pg_token.py --once` (then in the background for long-running pods) first.
   */
  readonly configSecret: KubernetesSecretKeyRef;
  /** Environment the identity's pods set (values and secret references; the Redis access key as a secretKeyRef). */
  readonly env: FeastEnvVar[];
  /** True when the pod must refresh PostgreSQL tokens with the helper (mount an emptyDir at /run/feast-pg). */
  readonly refreshesPostgresTokens: boolean;
  /** The in-cluster URL of the feature server (`POST /get-online-features`). */
  readonly serverUrl: string;
  /** What the identity's pods wait for. */
  readonly dependables: ITerraformDependable[];
}

const DEFAULT_PROMETHEUS = 'http://kube-prometheus-stack-prometheus.monitoring.svc.cluster.local:9090';

/**
 * A Feast feature store on the cluster: online store, offline store and registry from the cloud's data
 * services (private, encrypted, TLS, retained by default), the online feature server from the pinned
 * feast-feature-server chart, scheduled incremental materialization, and grants for readers (model
 * servers) and writers (the team's CI running `feast apply`).
 *
 * ```ts
 * const features = new FeatureStore(this, 'Features', {
 *   cluster,
 *   project: 'fraud',
 *   onlineStore: OnlineStore.dynamoDb(),
 *   offlineStore: OfflineStore.objectStore(),
 *   image: 'registry.example.com/feast-s3fs:0.66.0', // the Feast image + s3fs, to read s3:// parquet
 *   registry: Registry.sql(),
 *   materialization: { schedule: '*\/15 * * * *' },
 * });
 * features.grantRead(servingIdentity);
 * features.grantWrite(pipelineIdentity);
 * ```
 *
 * Every identity gets a feature_store.yaml of its own, in a Kubernetes Secret Terraform writes into its
 * namespace; no password, token or key is in it, in Helm values or in the synth output: pods take cloud
 * tokens from their workload identity, and the Azure Managed Redis key reaches Feast as an environment
 * variable from a secret (`${FEAST_REDIS_PASSWORD}` in the file).
 */
export class FeatureStore extends Construct {
  /** Feast project. */
  public readonly project: string;
  /** Namespace of the feature server and materialization. */
  public readonly namespace: string;
  /** Base name of the store's Kubernetes objects (`feast-<project>`). */
  public readonly name: string;
  /** In-cluster URL of the online feature server. */
  public readonly serverUrl: string;
  /** Base URL for FileSource paths of the offline store (`s3://<bucket>/`, `az://<container>/`). */
  public readonly offlineDataUrl: string;
  /** Labels of the feature server's pods (the chart's selector labels). */
  public readonly serverPodLabels: { [key: string]: string };
  /** The feature server's identity (reads online features and the registry). */
  public readonly serverIdentity: IWorkloadIdentity;
  /** The materializer's identity (reads offline, writes online and the registry's watermarks). */
  public readonly materializerIdentity: IWorkloadIdentity;
  /** The stores. */
  public readonly onlineStore: IFeastStoreBinding;
  /** The offline store. */
  public readonly offlineStore: IOfflineStoreBinding;
  /** The registry. */
  public readonly registry: IFeastStoreBinding;
  /** The feature server. */
  public readonly server: FeatureServer;
  /** The scheduled materialization, when `materialization` is set. */
  public readonly materialization?: Materialization;
  /** The KEDA objects of the server (installed through Helm after KEDA). */
  public readonly scalingManifests: { [key: string]: any }[];
  private readonly cluster: IPlatformCluster;
  private readonly ctx: FeastContext;
  private readonly image: string;
  private readonly azureTenantId?: string;
  private dataServicePorts: number[] = [];
  private readonly granted = new Map<string, { access: FeastAccess; result: FeatureStoreAccess }>();
  private readonly admitted = new Set<string>();

  constructor(scope: Construct, id: string, props: FeatureStoreProps) {
    super(scope, id);
    skipCreationStacks(this);
    const cluster = props.cluster;
    this.cluster = cluster;
    this.project = props.project;
    this.name = kubernetesName(`feast-${kebab(props.project)}`, 'service', 40);
    this.namespace = props.namespace ?? this.name;
    this.image = props.image ?? FeastCharts.FEATURE_SERVER_IMAGE;
    const offline = props.offlineStore ?? OfflineStore.objectStore();
    const registry = props.registry ?? Registry.sql();
    const server = props.server ?? {};

    const check = { cloudProvider: cluster.cloudProvider, image: this.image, backend: cluster.dataServices.feast };
    const problems = [
      ...validateProject(props.project),
      ...props.onlineStore.problems(check),
      ...offline.problems(check),
      ...registry.problems(check),
      ...validateServerOptions(server),
      ...(props.materialization ? validateMaterialization(props.materialization) : []),
      ...feastPodProblems(this.namespace, this.image),
    ];
    reportProblems(this, problems);

    // Restricted Pod Security: the Feast image runs as uid 1001 and every Feast pod drops all capabilities.
    const ns = new PlatformNamespace(this, 'Namespace', {
      cluster,
      name: this.namespace,
      podSecurity: PodSecurityLevel.RESTRICTED,
      egressToPlatformNamespaces: false,
      egress: props.egress,
    });
    this.ctx = {
      cluster,
      project: props.project,
      namespace: this.namespace,
      dependables: ns.dependables,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    };
    const inNamespace = [...cluster.addonDependencies(this), ...ns.dependables];
    this.azureTenantId = cluster.dataServices.feast.identityTenant(this);

    this.onlineStore = props.onlineStore.bind(new Construct(this, 'Online'), this.ctx);
    this.offlineStore = offline.bind(new Construct(this, 'Offline'), this.ctx);
    this.registry = registry.bind(new Construct(this, 'Registry'), this.ctx);
    this.offlineDataUrl = this.offlineStore.dataUrl;

    // The server reads; the materializer also initializes the registry (a writer of it).
    const serverSa = k8sName(this.name, 'server');
    const materializerSa = k8sName(this.name, 'materializer');
    this.serverIdentity = cluster.bindServiceAccount(this, 'ServerIdentity', { namespace: this.namespace, serviceAccountName: serverSa });
    this.materializerIdentity = cluster.bindServiceAccount(this, 'MaterializerIdentity', {
      namespace: this.namespace,
      serviceAccountName: materializerSa,
    });
    // Egress is denied but for DNS, the namespace and HTTPS (object stores, DynamoDB, the API server): the
    // stores' PostgreSQL and Redis endpoints are allowed by port (the Pod Identity agent on request).
    const seen = new Set<string>();
    const ports = (this.dataServicePorts = [this.onlineStore, this.offlineStore, this.registry]
      .flatMap((b) => b.ports ?? [])
      .filter((p) => {
        const key = Token.isUnresolved(p) ? Token.asString(p) : String(p);
        return !seen.has(key) && !!seen.add(key);
      }));
    if (ports.length) inNamespace.push(ns.allowEgress('data-services', { ports }));
    const serverConfig = this.configFor(this.serverIdentity, FeastAccess.READ, inNamespace, k8sName(this.name, 'server-config'));
    const materializerConfig = this.configFor(
      this.materializerIdentity,
      FeastAccess.MATERIALIZE,
      inNamespace,
      k8sName(this.name, 'materializer-config'),
    );
    const serviceAccount = (sid: string, name: string, identity: IWorkloadIdentity) =>
      new ServiceAccountV1(this, sid, {
        provider: cluster.providers(this).kubernetes,
        metadata: {
          name,
          namespace: this.namespace,
          labels: { 'app.kubernetes.io/part-of': 'ai-platform' },
          annotations: { ...identity.serviceAccountAnnotations },
        },
        automountServiceAccountToken: false,
        dependsOn: inNamespace,
      });
    const serverSaResource = serviceAccount('ServerServiceAccount', serverSa, this.serverIdentity);
    const materializerSaResource = serviceAccount('MaterializerServiceAccount', materializerSa, this.materializerIdentity);

    const init = new RegistryInit(this, 'RegistryInit', {
      cluster,
      namespace: this.namespace,
      name: this.name,
      serviceAccountName: materializerSa,
      podLabels: { ...this.materializerIdentity.podLabels },
      config: materializerConfig,
      image: this.image,
      dependsOn: [...inNamespace, materializerSaResource, ...materializerConfig.dependables, ...this.materializerIdentity.dependables],
    });

    this.server = new FeatureServer(this, 'Server', {
      cluster,
      namespace: this.namespace,
      name: this.name,
      options: server,
      identity: this.serverIdentity,
      serviceAccountName: serverSa,
      config: serverConfig,
      image: this.image,
      azureTenantId: this.azureTenantId,
      dependsOn: [...inNamespace, serverSaResource, init.job, ...serverConfig.dependables, ...this.serverIdentity.dependables],
    });
    this.serverUrl = this.server.url;
    this.serverPodLabels = this.server.podLabels;

    if (props.materialization) {
      this.materialization = new Materialization(this, 'Materialization', {
        cluster,
        namespace: this.namespace,
        name: k8sName(this.name, 'materialize'),
        options: props.materialization,
        serviceAccountName: materializerSa,
        podLabels: { ...this.materializerIdentity.podLabels },
        config: materializerConfig,
        image: this.image,
        dependsOn: [init.job, materializerSaResource],
      });
    }

    // Autoscaling: a ScaledObject through Helm, after KEDA installed its CRDs and the server exists.
    const keda = Keda.of(this, cluster, props.kedaChart);
    this.scalingManifests = [this.server.scaledObject(props.prometheusUrl ?? DEFAULT_PROMETHEUS)];
    new ManifestsRelease(this, 'Scaling', {
      cluster,
      releaseName: k8sName(this.name, 'scaling'),
      namespace: this.namespace,
      manifests: this.scalingManifests,
      dependsOn: [...keda.dependables, this.server.addon.release, ...inNamespace],
    });

    if (props.outputs) {
      const output = (oid: string, value: string, description: string) =>
        new TerraformOutput(this, oid, { value, description }).overrideLogicalId(outputName(this, oid));
      output('feature_server_url', this.serverUrl, 'In-cluster URL of the Feast online feature server');
      output('offline_data_url', this.offlineDataUrl, 'Base URL for the FileSource paths of the offline store');
      output('namespace', this.namespace, 'Namespace of the feature store');
    }
  }

  /**
   * Lets the identity read online features: its namespace may reach the feature server's port (and nothing
   * else of the feature store's namespace), and for Feast's SDK it may read the online store and the
   * registry with a feature_store.yaml of its own, written into its namespace. `after`: what that secret
   * waits for (the identity's namespace, which its team owns).
   */
  public grantRead(identity: IWorkloadIdentity, after?: ITerraformDependable[]): FeatureStoreAccess {
    this.admit(identity.namespace);
    return this.grant(identity, FeastAccess.READ, after ?? []);
  }

  /**
   * Lets the identity run `feast apply` and materialize (a team's CI runner in the cluster): registry
   * objects, online tables (create, alter, drop), reading and writing the offline store.
   */
  public grantWrite(identity: IWorkloadIdentity, after?: ITerraformDependable[]): FeatureStoreAccess {
    this.admit(identity.namespace);
    return this.grant(identity, FeastAccess.WRITE, after ?? []);
  }

  /**
   * A feature-freshness alert for ObservabilityStack's rules: no successful materialization for
   * `missedSchedules` times the schedule's longest interval. Undefined without `materialization`.
   */
  public freshnessAlert(missedSchedules?: number): AlertRule | undefined {
    return this.materialization?.freshnessAlert(this.namespace, missedSchedules ?? 3);
  }

  private grant(identity: IWorkloadIdentity, access: FeastAccess, after: ITerraformDependable[]): FeatureStoreAccess {
    const key = identity.node.path;
    const known = this.granted.get(key);
    if (known) {
      if (known.access !== access)
        reportProblems(this, [
          `${access === FeastAccess.READ ? 'grantRead' : 'grantWrite'} identity ${identity.node.path} was already granted ${known.access}; grant each identity once (grantWrite includes everything grantRead gives)`,
        ]);
      return known.result;
    }
    if (identity.cloudProvider !== this.cluster.cloudProvider) {
      reportProblems(this, [
        `${access === FeastAccess.READ ? 'grantRead' : 'grantWrite'} identity ${identity.node.path} is a ${identity.cloudProvider} identity and this feature store runs on ${this.cluster.cloudProvider}; bind the service account with cluster.bindServiceAccount on this cluster`,
      ]);
    }
    const inOwn = identity.namespace === this.namespace;
    // The identity's pods log in to the stores themselves (Feast SDK): their namespace, if the library
    // created it, allows the stores' ports.
    if (!inOwn && this.dataServicePorts.length)
      requestEgress(this.cluster, {
        namespace: identity.namespace,
        name: 'feature-store',
        cidrs: [...PRIVATE_RANGES],
        ports: this.dataServicePorts,
      });
    const waits = [...this.cluster.addonDependencies(this), ...(inOwn ? this.ctx.dependables : []), ...sameStack(this, after)];
    const suffix = isToken(identity.serviceAccountName) ? hashOf(identity.node.path, 8) : identity.serviceAccountName;
    const config = this.configFor(identity, access, waits, k8sName(this.name, suffix));
    const result: FeatureStoreAccess = {
      namespace: identity.namespace,
      configSecret: { namespace: identity.namespace, name: config.secretName, key: FEATURE_STORE_YAML_KEY },
      env: config.env,
      refreshesPostgresTokens: config.postgres,
      serverUrl: this.serverUrl,
      dependables: config.dependables,
    };
    this.granted.set(key, { access, result });
    return result;
  }

  /** Admits a namespace to the feature server's port, once. */
  private admit(namespace: string): void {
    if (this.admitted.has(namespace) || namespace === this.namespace) return;
    this.admitted.add(namespace);
    const sid = isToken(namespace) ? `Admit${this.admitted.size}` : `Admit-${namespace}`;
    new NetworkPolicyV1(this, sid, {
      provider: this.cluster.providers(this).kubernetes,
      metadata: {
        name: k8sName(`allow-${isToken(namespace) ? hashOf(namespace, 8) : namespace}-to-${this.name}`),
        namespace: this.namespace,
      },
      spec: {
        podSelector: { matchLabels: { ...this.serverPodLabels } },
        policyTypes: ['Ingress'],
        ingress: [
          {
            from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': namespace } } }],
            ports: [{ port: String(FEATURE_SERVER_PORT), protocol: 'TCP' }],
          },
        ],
      },
      dependsOn: this.ctx.dependables,
    });
  }

  /** The identity's grants on the three stores, as one feature_store.yaml in a Secret of its namespace. */
  private configFor(identity: IWorkloadIdentity, access: FeastAccess, waits: ITerraformDependable[], secretName: string) {
    const grants = [this.registry, this.onlineStore, this.offlineStore].map((b) => b.grant(identity, access, waits));
    return writeIdentityConfig(this, { cluster: this.cluster, project: this.project, identity, grants, waits, secretName });
  }
}
