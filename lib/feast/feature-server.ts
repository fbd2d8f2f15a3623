import { PodDisruptionBudgetV1 } from '@cdktf/provider-kubernetes/lib/pod-disruption-budget-v1';
import { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import { ManifestsRelease } from '../addons/manifests';
import { prometheusTrigger, scaledObject } from '../addons/scaled-object';
import { IPlatformCluster, IWorkloadIdentity } from '../core/cluster';
import { FEATURE_STORE_YAML, k8sName } from './feature-store-yaml';
import { FEATURE_SERVER_CONTAINER, FEATURE_SERVER_PORT, featureServerManifests, serverPodLabels } from './feature-server-manifests';
import { FeatureServerOptions, ResolvedServerOptions, parseCpu, resolveServerOptions } from './feature-server-options';
import { FeastIdentityConfig, feastShell } from './workload';

// The PodMonitor is imported from here by ObservabilityStack.
export { featureServerPodMonitor } from './feature-server-manifests';

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
   * token is mounted by the pod spec: see `IFeastBackend.podIdentity`).
   * @default - none (AWS)
   */
  readonly azureTenantId?: string;
  /** What the release waits for. */
  readonly dependsOn: ITerraformDependable[];
}

/** Where the UI runs its writable copy of the feast package from (on the tmp emptyDir). */
const UI_PACKAGE_DIR = '/tmp/feast-ui';

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
    const triggers = [
      prometheusTrigger(
        'cpu',
        prometheusUrl,
        `sum(rate(container_cpu_usage_seconds_total{namespace="${p.namespace}",${pods},container="${FEATURE_SERVER_CONTAINER}"}[2m]))`,
        // Cores per replica at the target utilization of the request.
        String(Math.round(cores * r.targetCpuUtilization * 10) / 1000),
      ),
    ];
    if (p.options.targetRequestsPerSecond !== undefined) {
      triggers.push(
        prometheusTrigger(
          'requests',
          prometheusUrl,
          `sum(rate(feast_feature_server_request_total{namespace="${p.namespace}",${pods}}[2m]))`,
          String(p.options.targetRequestsPerSecond),
          { ignoreNullValues: true },
        ),
      );
    }
    return scaledObject({
      name: p.name,
      namespace: p.namespace,
      minReplicas: r.replicas,
      maxReplicas: r.maxReplicas,
      pollingInterval: 30,
      cooldownPeriod: 300,
      scaleUp: { stabilizationWindowSeconds: 0, type: 'Percent', value: 100, periodSeconds: 60 },
      scaleDown: { stabilizationWindowSeconds: 300, type: 'Pods', value: 1, periodSeconds: 120 },
      triggers,
    });
  }
}
