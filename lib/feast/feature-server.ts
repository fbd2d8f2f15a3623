import { PodDisruptionBudgetV1 } from '@cdktf/provider-kubernetes/lib/pod-disruption-budget-v1';
import { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import { ChartOverrides } from '../addons/chart';
import { ManifestsRelease } from '../addons/manifests';
import { CloudProvider, IPlatformCluster, IWorkloadIdentity } from '../core/cluster';
import { manifestContainerSecurityContext, manifestPodSecurityContext } from '../private/pod-security';
import { isToken } from '../private/validation';
import { FEAST_CONFIG_DIR, FEATURE_STORE_YAML, PG_PASSFILE_DIR, k8sName } from './feature-store-yaml';
import { FEAST_UID, FeastIdentityConfig, feastShell, manifestEnv } from './workload';

/** How the feature server runs and scales. */
export interface FeatureServerOptions {
  /**
   * Replicas kept at all times (the autoscaler's minimum).
   * @default 2
   */
  readonly replicas?: number;
  /**
   * Most replicas the autoscaler adds.
   * @default 3 times `replicas`
   */
  readonly maxReplicas?: number;
  /**
   * CPU use per replica, in percent of its request, the autoscaler aims for.
   * @default 70
   */
  readonly targetCpuUtilization?: number;
  /**
   * Requests per second per replica the autoscaler aims for (`feast_feature_server_request_total`, scraped
   * once the feature server's PodMonitor is in place).
   * @default - CPU only
   */
  readonly targetRequestsPerSecond?: number;
  /**
   * CPU request of a replica.
   * @default '500m'
   */
  readonly cpu?: string;
  /**
   * Memory request and limit of a replica.
   * @default '1Gi'
   */
  readonly memory?: string;
  /**
   * Gunicorn workers per replica (`feast serve --workers`).
   * @default 2
   */
  readonly workers?: number;
  /**
   * Also run Feast's web UI (the same server in `ui` mode, one replica, read-only registry access), reachable
   * inside the cluster (`kubectl port-forward svc/<name>-ui 8888:80`).
   * @default false
   */
  readonly ui?: boolean;
  /**
   * No longer used: setting it is reported at synth. The server is not installed from the
   * feast-feature-server chart any more, whose Deployment always sets `replicas` and so reset the count
   * KEDA chose on every upgrade; the library renders the same Deployment and Service without it.
   * @deprecated the server's Deployment is rendered by the library; use image, cpu, memory and workers
   * @default - none
   */
  readonly chart?: ChartOverrides;
}

/** Container port of the online server (the chart's `online` port). */
export const FEATURE_SERVER_PORT = 6566;
/** Port of the server's Prometheus endpoint (`feast serve --metrics`; not named in the chart's pod spec). */
export const FEATURE_SERVER_METRICS_PORT = 8000;
/** The chart's container name. */
export const FEATURE_SERVER_CONTAINER = 'feast-feature-server';

/** Props of FeatureServer. */
export interface FeatureServerProps {
  /** The cluster. */
  readonly cluster: IPlatformCluster;
  /** Namespace (exists). */
  readonly namespace: string;
  /** Release, Deployment and Service name. */
  readonly name: string;
  /** Options. */
  readonly options: FeatureServerOptions;
  /** The server's identity (a reader). */
  readonly identity: IWorkloadIdentity;
  /** Its service account's name (created beforehand, with the identity's annotations). */
  readonly serviceAccountName: string;
  /** Its configuration. */
  readonly config: FeastIdentityConfig;
  /** Image. */
  readonly image: string;
  /**
   * Azure tenant of the workload identity (the pods carry only their selector labels, so the identity's
   * token is mounted by the pod spec: see `identityParts`).
   * @default - none (AWS)
   */
  readonly azureTenantId?: string;
  /** What the release waits for. */
  readonly dependsOn: ITerraformDependable[];
}

/** Resolved server settings. */
export interface ResolvedServerOptions {
  /** Minimum replicas. */
  readonly replicas: number;
  /** Maximum replicas. */
  readonly maxReplicas: number;
  /** Target CPU utilization, percent. */
  readonly targetCpuUtilization: number;
  /** CPU request. */
  readonly cpu: string;
  /** Memory. */
  readonly memory: string;
  /** Gunicorn workers. */
  readonly workers: number;
}

/** Applies defaults. */
export function resolveServerOptions(o: FeatureServerOptions): ResolvedServerOptions {
  const replicas = o.replicas ?? 2;
  return {
    replicas,
    maxReplicas: o.maxReplicas ?? replicas * 3,
    targetCpuUtilization: o.targetCpuUtilization ?? 70,
    cpu: o.cpu ?? '500m',
    memory: o.memory ?? '1Gi',
    workers: o.workers ?? 2,
  };
}

/** Problems of the server options. */
export function validateServerOptions(o: FeatureServerOptions): string[] {
  const out: string[] = [];
  const r = resolveServerOptions(o);
  const whole = (v: number) => isToken(v) || (Number.isInteger(v) && v >= 1);
  if (!whole(r.replicas)) out.push(`server.replicas ${o.replicas} is not a whole number >= 1; use e.g. 2 (one replica has no redundancy)`);
  if (!whole(r.maxReplicas)) out.push(`server.maxReplicas ${o.maxReplicas} is not a whole number >= 1; use e.g. 6`);
  else if (whole(r.replicas) && !isToken(r.maxReplicas) && !isToken(r.replicas) && r.maxReplicas < r.replicas)
    out.push(`server.maxReplicas ${r.maxReplicas} is below replicas ${r.replicas}; raise maxReplicas or lower replicas`);
  if (!(Number.isInteger(r.targetCpuUtilization) && r.targetCpuUtilization >= 10 && r.targetCpuUtilization <= 100))
    out.push(`server.targetCpuUtilization ${o.targetCpuUtilization} is not a whole percentage from 10 to 100; use e.g. 70`);
  if (o.targetRequestsPerSecond !== undefined && !(o.targetRequestsPerSecond > 0))
    out.push(
      `server.targetRequestsPerSecond ${o.targetRequestsPerSecond} is not positive; use the requests per second one replica serves, e.g. 200`,
    );
  if (!(Number.isInteger(r.workers) && r.workers >= 1 && r.workers <= 32))
    out.push(`server.workers ${o.workers} is not a whole number from 1 to 32; use e.g. 2`);
  if (!isToken(r.cpu) && parseCpu(r.cpu) === undefined)
    out.push(`server.cpu '${r.cpu}' is not a Kubernetes CPU quantity; use e.g. '500m' or '1'`);
  if (o.chart !== undefined)
    out.push(
      `server.chart is set, but the feature server no longer comes from the feast-feature-server chart (its Deployment always sets replicas, which resets KEDA's count on every upgrade); remove server.chart and use server.image, cpu, memory and workers`,
    );
  return out;
}

/** Cores of a Kubernetes CPU quantity ('500m', '1', '1.5'), or undefined. */
export function parseCpu(q: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(m?)$/.exec(q);
  if (!m) return undefined;
  return m[2] ? Number(m[1]) / 1000 : Number(m[1]);
}

/**
 * The PodMonitor (in the shape ObservabilityStack's `podMonitors` list takes) that scrapes every feature
 * server: `feast serve --metrics` serves Prometheus metrics on port 8000, which the pod spec (as the chart
 * wrote it) does not declare (only the `online` port, 6566), and the Prometheus operator drops undeclared ports; so the
 * endpoint selects the declared `online` port and rewrites the address to port 8000. (The Service does
 * name port 8000 `metrics`: a ServiceMonitor on port `metrics` works too.)
 */
export function featureServerPodMonitor(): { [key: string]: any } {
  return {
    name: 'feast-feature-server',
    selector: { matchLabels: { 'app.kubernetes.io/name': FEATURE_SERVER_CONTAINER } },
    namespaceSelector: { any: true },
    podMetricsEndpoints: [
      {
        port: 'online',
        path: '/metrics',
        interval: '30s',
        relabelings: [
          {
            sourceLabels: ['__meta_kubernetes_pod_ip'],
            targetLabel: '__address__',
            regex: '(.+)',
            replacement: `$1:${FEATURE_SERVER_METRICS_PORT}`,
            action: 'replace',
          },
        ],
      },
    ],
  };
}

/** Labels of the server's pods (the chart's selector labels, kept so its Deployments upgrade in place). */
export function serverPodLabels(name: string): { [key: string]: string } {
  return { 'app.kubernetes.io/name': FEATURE_SERVER_CONTAINER, 'app.kubernetes.io/instance': name };
}

/**
 * What the pod needs for its cloud identity beyond the service account. The pods carry only their selector
 * labels (as the chart rendered them), so the Azure workload identity webhook (which only mutates pods
 * labelled `azure.workload.identity/use`) never sees them: the pod spec mounts the projected service account token for
 * `api://AzureADTokenExchange` and set the variables the webhook would (AZURE_CLIENT_ID, AZURE_TENANT_ID,
 * AZURE_FEDERATED_TOKEN_FILE, AZURE_AUTHORITY_HOST). EKS Pod Identity needs nothing: its webhook injects
 * every pod whose service account is associated.
 */
function identityParts(
  identity: IWorkloadIdentity,
  tenantId: string | undefined,
): { env: { [key: string]: any }[]; volumes: { [key: string]: any }[]; mounts: { [key: string]: any }[] } {
  if (identity.cloudProvider !== CloudProvider.AZURE) return { env: [], volumes: [], mounts: [] };
  const dir = '/var/run/secrets/azure/tokens';
  return {
    env: [
      { name: 'AZURE_CLIENT_ID', value: identity.principal },
      { name: 'AZURE_TENANT_ID', value: tenantId ?? '' },
      { name: 'AZURE_FEDERATED_TOKEN_FILE', value: `${dir}/azure-identity-token` },
      { name: 'AZURE_AUTHORITY_HOST', value: 'https://login.microsoftonline.com/' },
    ],
    volumes: [
      {
        name: 'azure-identity-token',
        projected: {
          sources: [
            { serviceAccountToken: { path: 'azure-identity-token', audience: 'api://AzureADTokenExchange', expirationSeconds: 3600 } },
          ],
        },
      },
    ],
    mounts: [{ name: 'azure-identity-token', mountPath: dir, readOnly: true }],
  };
}

/** Where the UI runs its writable copy of the feast package from (on the tmp emptyDir). */
const UI_PACKAGE_DIR = '/tmp/feast-ui';

/** Container port of each server mode (the chart's `feast_mode` ports). */
const MODE_PORTS: { [mode: string]: number } = { online: FEATURE_SERVER_PORT, ui: 8888 };

/**
 * The Deployment and Service of one Feast server (online or UI mode), as the pinned feast-feature-server
 * chart (0.66.0, templates/deployment.yaml and service.yaml) rendered them for the library's values: the
 * same names and selector labels, so a release installed from the chart upgrades in place. What differs:
 * no `spec.replicas` (the chart always renders it; see `FeatureServer`), no FEATURE_STORE_YAML_BASE64
 * (empty: Feast reads the mounted file) and no OpenTelemetry auto-instrumentation annotation.
 */
export function featureServerManifests(
  props: FeatureServerProps,
  mode: string,
  command: string[],
  resources: { cpu: string; memory: string },
  fullname: string,
): { [key: string]: any }[] {
  const cluster = props.cluster;
  const id = identityParts(props.identity, props.azureTenantId);
  const selector = serverPodLabels(fullname);
  const metadata = { name: fullname, namespace: props.namespace, labels: { ...selector, 'app.kubernetes.io/part-of': 'ai-platform' } };
  // Only the online server serves metrics (`feast serve --metrics`).
  const metrics = mode === 'online';
  const deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata,
    spec: {
      // No `replicas`: the ScaledObject's HPA owns the count. Helm patches with a three-way merge of the
      // previous manifest, this one and the live object, so a replicas field (even an empty one) in the
      // manifest is written back over KEDA's on every upgrade and rollback; an absent field never is.
      selector: { matchLabels: { ...selector } },
      template: {
        metadata: { labels: { ...selector } },
        spec: {
          serviceAccountName: props.serviceAccountName,
          securityContext: manifestPodSecurityContext({ uid: FEAST_UID, fsGroup: FEAST_UID }),
          volumes: [
            { name: 'feast-config', secret: { secretName: props.config.secretName, defaultMode: 0o444 } },
            { name: 'tmp', emptyDir: { sizeLimit: '1Gi' } },
            { name: 'pg', emptyDir: { medium: 'Memory', sizeLimit: '1Mi' } },
            ...id.volumes,
          ],
          containers: [
            {
              name: FEATURE_SERVER_CONTAINER,
              securityContext: manifestContainerSecurityContext(),
              image: props.image,
              imagePullPolicy: 'IfNotPresent',
              env: [
                // As the chart sets it: the token Feast servers present to each other (base64 of
                // 'intra-server-communication').
                { name: 'INTRA_COMMUNICATION_BASE64', value: 'aW50cmEtc2VydmVyLWNvbW11bmljYXRpb24=' },
                ...manifestEnv(props.config.env),
                ...id.env,
              ],
              command,
              ports: [{ name: mode, containerPort: MODE_PORTS[mode], protocol: 'TCP' }],
              // The port over TCP, as the chart probes: Feast opens it once the store and registry are loaded.
              livenessProbe: { tcpSocket: { port: mode }, initialDelaySeconds: 30, periodSeconds: 15 },
              readinessProbe: { tcpSocket: { port: mode }, initialDelaySeconds: 10, periodSeconds: 5 },
              resources: { requests: { cpu: resources.cpu, memory: resources.memory }, limits: { memory: resources.memory } },
              volumeMounts: [
                { name: 'feast-config', mountPath: FEAST_CONFIG_DIR, readOnly: true },
                { name: 'tmp', mountPath: '/tmp' },
                { name: 'pg', mountPath: PG_PASSFILE_DIR },
                ...id.mounts,
              ],
            },
          ],
          nodeSelector: { ...cluster.systemNodeSelector },
          affinity: {
            podAntiAffinity: {
              preferredDuringSchedulingIgnoredDuringExecution: [
                {
                  weight: 100,
                  podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: { ...selector } } },
                },
              ],
            },
          },
          tolerations: cluster.systemTolerations.map((t) => ({ ...t })),
        },
      },
    },
  };
  const service = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata,
    spec: {
      type: 'ClusterIP',
      ports: [
        { port: 80, targetPort: mode, protocol: 'TCP', name: 'http' },
        ...(metrics
          ? [{ name: 'metrics', port: FEATURE_SERVER_METRICS_PORT, protocol: 'TCP', targetPort: FEATURE_SERVER_METRICS_PORT }]
          : []),
      ],
      selector: { ...selector },
    },
  };
  return [deployment, service];
}

/**
 * The online feature server: a Deployment and Service in `online` mode with the config secret mounted, the
 * pods on the system pool under the restricted Pod Security level, anti-affinity across nodes, Prometheus
 * metrics on port 8000 (`feast serve --metrics`), and a PodDisruptionBudget. Scaling is a KEDA ScaledObject,
 * returned by `scaledObject()` for a release after KEDA.
 *
 * The objects are the ones the feast-feature-server chart renders, installed through Helm as the library's
 * manifests under the same release name (a release installed from the chart upgrades in place), because
 * the chart's Deployment always sets `replicas`: every upgrade, and every rollback, would write it back over
 * the count KEDA chose. Without the field the HPA alone owns it. Upgrading from the chart drops the field
 * once, which resets the count to 1 until the HPA raises it again (within a sync period).
 */
export class FeatureServer extends Construct {
  /** The Helm release of the online server. */
  public readonly addon: ManifestsRelease;
  /** The UI release, when `ui` is on. */
  public readonly ui?: ManifestsRelease;
  /** Labels of the server's pods. */
  public readonly podLabels: { [key: string]: string };
  /** In-cluster URL (the chart's Service, port 80). */
  public readonly url: string;
  /** The PodDisruptionBudget. */
  public readonly disruptionBudget: PodDisruptionBudgetV1;
  private readonly props: FeatureServerProps;
  private readonly resolved: ResolvedServerOptions;

  constructor(scope: Construct, id: string, props: FeatureServerProps) {
    super(scope, id);
    this.props = props;
    const r = resolveServerOptions(props.options);
    this.resolved = r;
    this.podLabels = serverPodLabels(props.name);
    this.url = `http://${props.name}.${props.namespace}.svc.cluster.local`;
    const pg = props.config.postgres;
    const serve = [
      'feast',
      '-f',
      FEATURE_STORE_YAML,
      '--log-level',
      'INFO',
      'serve',
      '-h',
      '0.0.0.0',
      '-p',
      String(FEATURE_SERVER_PORT),
      '--workers',
      String(r.workers),
      '--registry_ttl_sec',
      '60',
      '--metrics',
    ];
    const command = pg ? feastShell(`exec ${serve.join(' ')}`, true) : serve;
    // Construct id 'Chart' keeps the Terraform address of the release once installed from the chart.
    this.addon = new ManifestsRelease(this, 'Chart', {
      cluster: props.cluster,
      releaseName: props.name,
      namespace: props.namespace,
      manifests: featureServerManifests(props, 'online', command, { cpu: r.cpu, memory: r.memory }, props.name),
      dependsOn: props.dependsOn,
      timeoutSeconds: 600,
    });
    this.disruptionBudget = new PodDisruptionBudgetV1(this, 'DisruptionBudget', {
      provider: props.cluster.providers(this).kubernetes,
      metadata: { name: props.name, namespace: props.namespace },
      spec: { maxUnavailable: '1', selector: { matchLabels: { ...this.podLabels } } },
      dependsOn: [this.addon.release],
    });

    if (props.options.ui) {
      const uiName = k8sName(props.name, 'ui');
      const ui = [
        'feast',
        '-f',
        FEATURE_STORE_YAML,
        '--log-level',
        'INFO',
        'ui',
        '-h',
        '0.0.0.0',
        '-p',
        '8888',
        '--registry_ttl_sec',
        '60',
      ];
      this.ui = new ManifestsRelease(this, 'Ui', {
        cluster: props.cluster,
        releaseName: uiName,
        namespace: props.namespace,
        // One replica (the Deployment default; nothing scales it). The UI writes its projects list into its
        // package directory (feast/ui_server.py: ui/build/projects-list.json): it runs from a copy of the
        // feast package on the tmp emptyDir, first on PYTHONPATH, and the root file system stays read-only.
        manifests: featureServerManifests(
          props,
          'ui',
          feastShell(
            [
              `mkdir -p ${UI_PACKAGE_DIR}`,
              `cp -R "$(python3 -c 'import feast, os; print(os.path.dirname(feast.__file__))')" ${UI_PACKAGE_DIR}/`,
              `PYTHONPATH=${UI_PACKAGE_DIR} exec ${ui.join(' ')}`,
            ].join('\n'),
            pg,
          ),
          { cpu: '100m', memory: '512Mi' },
          uiName,
        ),
        dependsOn: props.dependsOn,
        timeoutSeconds: 600,
      });
    }
  }

  /**
   * The KEDA ScaledObject of the server: CPU per replica from cAdvisor (`container_cpu_usage_seconds_total`,
   * scraped by ObservabilityStack; no metrics-server needed), and requests per second when asked for.
   */
  public scaledObject(prometheusUrl: string): { [key: string]: any } {
    const p = this.props;
    const r = this.resolved;
    const cores = parseCpu(r.cpu) ?? 0.5;
    const pods = `pod=~"${p.name}-[a-z0-9]+-[a-z0-9]+"`;
    const triggers: { [key: string]: any }[] = [
      {
        type: 'prometheus',
        name: 'cpu',
        metadata: {
          serverAddress: prometheusUrl,
          query: `sum(rate(container_cpu_usage_seconds_total{namespace="${p.namespace}",${pods},container="${FEATURE_SERVER_CONTAINER}"}[2m]))`,
          // Cores per replica at the target utilization of the request.
          threshold: String(Math.round(cores * r.targetCpuUtilization * 10) / 1000),
        },
      },
    ];
    if (p.options.targetRequestsPerSecond !== undefined) {
      triggers.push({
        type: 'prometheus',
        name: 'requests',
        metadata: {
          serverAddress: prometheusUrl,
          query: `sum(rate(feast_feature_server_request_total{namespace="${p.namespace}",${pods}}[2m]))`,
          threshold: String(p.options.targetRequestsPerSecond),
          ignoreNullValues: 'true',
        },
      });
    }
    return {
      apiVersion: 'keda.sh/v1alpha1',
      kind: 'ScaledObject',
      metadata: { name: p.name, namespace: p.namespace },
      spec: {
        scaleTargetRef: { name: p.name },
        minReplicaCount: r.replicas,
        maxReplicaCount: r.maxReplicas,
        pollingInterval: 30,
        cooldownPeriod: 300,
        advanced: {
          horizontalPodAutoscalerConfig: {
            behavior: {
              scaleUp: { stabilizationWindowSeconds: 0, policies: [{ type: 'Percent', value: 100, periodSeconds: 60 }] },
              scaleDown: { stabilizationWindowSeconds: 300, policies: [{ type: 'Pods', value: 1, periodSeconds: 120 }] },
            },
          },
        },
        triggers,
      },
    };
  }
}
