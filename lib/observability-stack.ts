import { ConfigMapV1 } from '@cdktf/provider-kubernetes/lib/config-map-v1';
import { ITerraformDependable, TerraformOutput } from 'cdktf';
import { Construct } from 'constructs';
import { ChartOverrides, HelmAddon } from './addons/chart';
import { PlatformNamespace, PodSecurityLevel } from './addons/namespace';
import { EgressRule } from './addons/egress';
import { MonitoringEgress } from './observability/egress';
import { IAcceleratorCluster, IWorkloadIdentity } from './core/cluster';
import { AcceleratorKind } from './gpu/accelerator';
import { Duration } from './core/duration';
import { DNS_LABEL, kubernetesName, outputName } from './private/naming';
import { reportProblems } from './private/problems';
import { AlertRule, AlertThresholds, alertRuleManifest, prometheusRuleGroups, resolveAlertThresholds } from './observability/alerts';
import { ManifestsRelease } from './addons/manifests';
import { featureServerPodMonitor } from './feast/feature-server';
import { tenancyDashboardJson } from './tenancy/dashboard';
import { KueueScrapeAccess, kueuePodMonitor } from './tenancy/monitoring';
import { ObservabilityCharts } from './observability/charts';
import { platformDashboards } from './observability/dashboards';
import { costRuleGroups } from './observability/cost-rules';
import { DcgmExporterKind, DcgmExporterSource, operatorDcgmServiceMonitor, standaloneDcgmValues } from './observability/dcgm';
import { GrafanaAdminSecret } from './observability/grafana-admin';
import { GRAFANA_DASHBOARD_LABEL, kubePrometheusValues, PROMETHEUS_SERVICE_ACCOUNT } from './observability/kube-prometheus-values';
import { NeuronMonitor } from './observability/neuron-monitor';
import { IRemoteWrite } from './core/remote-write';
import {
  endpointPickerPodMonitor,
  gatewayPodMonitor,
  kedaPodMonitor,
  neuronMonitorPodMonitor,
  routerPodMonitor,
  servingPodMonitor,
} from './observability/scrape';
import { OTEL_COLLECTOR_NAME, otelCollectorValues, TracingOptions, validateTracing } from './observability/tracing';
import { skipCreationStacks } from './private/creation-stacks';

/** Grafana settings. */
export interface GrafanaOptions {
  /**
   * Grafana volume size in GiB (users, preferences, dashboards edited in the UI).
   * @default 10
   */
  readonly storageSizeGib?: number;
  /**
   * Admin user name; the password is generated at apply time into the Secret `grafanaAdminSecretName`.
   * @default 'admin'
   */
  readonly adminUser?: string;
  /**
   * Also ship kube-prometheus-stack's Kubernetes dashboards.
   * @default true
   */
  readonly defaultDashboards?: boolean;
}

/** Props of an ObservabilityStack. */
export interface ObservabilityStackProps {
  /** Cluster to observe: a GpuInferenceCluster (EKS or AKS), an ExistingCluster, or any IAcceleratorCluster. */
  readonly cluster: IAcceleratorCluster;
  /**
   * How long Prometheus keeps samples.
   * @default Duration.days(15)
   */
  readonly retention?: Duration;
  /**
   * Prometheus volume size in GiB; retention by size is set to 85 % of it so a full disk never stops ingestion.
   * @default 100
   */
  readonly storageSizeGib?: number;
  /**
   * Storage class of the Prometheus, Alertmanager and Grafana volumes.
   * @default - the cluster's add-on storage class (`cluster.storageClassName`)
   */
  readonly storageClassName?: string;
  /**
   * Grafana settings.
   * @default - 10 GiB volume, user 'admin' with a generated password, Kubernetes dashboards on
   */
  readonly grafana?: GrafanaOptions;
  /**
   * Alert thresholds and serving SLOs.
   * @default - TTFT p95 2 s, queue depth 10, GPU memory 90 %, GPU temperature 85 °C
   */
  readonly alertThresholds?: AlertThresholds;
  /**
   * Scrape Kueue (with a token of the chart's metrics-reader role) and ship the tenancy dashboard: quota,
   * usage, borrowing and pending workloads per tenant and flavor. Set it where a GpuSharing runs.
   * @default false
   */
  readonly kueue?: boolean;
  /**
   * A managed Prometheus to write samples to, e.g. `RemoteWrite.amazonManagedPrometheus()`.
   * @default - samples stay in the in-cluster Prometheus
   */
  readonly remoteWrite?: IRemoteWrite;
  /**
   * An OpenTelemetry collector that receives OTLP traces (vLLM `--otlp-traces-endpoint`) and forwards them.
   * @default - no collector
   */
  readonly tracing?: TracingOptions;
  /**
   * Namespace of the stack.
   * @default 'monitoring'
   */
  readonly namespace?: string;
  /**
   * Where GPU metrics come from.
   * @default - the GPU operator's exporter when the cluster runs the operator, the standalone chart when it
   * has NVIDIA pools without it, none otherwise
   */
  readonly dcgmExporter?: DcgmExporterSource;
  /**
   * neuron-monitor image, for clusters with Neuron pools.
   * @default 'public.ecr.aws/neuron/neuron-monitor:1.3.0'
   */
  readonly neuronMonitorImage?: string;
  /**
   * Version and values overrides of the kube-prometheus-stack chart.
   * @default - the pinned version and the library's values
   */
  readonly kubePrometheusStackChart?: ChartOverrides;
  /**
   * Version and values overrides of the standalone dcgm-exporter chart.
   * @default - the pinned version and the library's values
   */
  readonly dcgmExporterChart?: ChartOverrides;
  /**
   * Version and values overrides of the OpenTelemetry collector chart.
   * @default - the pinned version and the library's values
   */
  readonly otelCollectorChart?: ChartOverrides;
  /**
   * A Terraform output with Grafana's in-cluster URL, named after the construct path.
   * @default false
   */
  readonly outputs?: boolean;
  /**
   * Further destinations the namespace's pods may reach (e.g. `[{ ports: [587] }]` for Alertmanager's SMTP relay): TCP ports at IPv4 CIDRs, the cloud
   * metadata ranges cut out. Egress is otherwise denied but for DNS, the namespace, HTTPS and what grants
   * request.
   * @default - none
   */
  readonly egress?: EgressRule[];
}

/** Name of the Secret with Grafana's admin credentials. */
const GRAFANA_ADMIN_SECRET = 'grafana-admin-credentials';

/**
 * GPU and LLM observability for a platform cluster: kube-prometheus-stack with persistent storage and a
 * generated Grafana admin password, scraping of DCGM (GPU operator or standalone exporter), neuron-monitor
 * on Neuron pools and vLLM pods labelled `ai-platform.dev/metrics=vllm`; GPU fleet, MIG, Neuron and
 * LLM-serving dashboards; alerts for XID errors, row-remap failures, memory, temperature, missing
 * exporters, unready accelerator nodes and serving SLOs; optional managed remote write and trace gateway.
 *
 * Bad input (retention, sizes, thresholds, a backend of the other cloud) fails at synth.
 */
export class ObservabilityStack extends Construct {
  /** Namespace of the stack (Pod Security 'restricted'). */
  public readonly namespace: string;
  /**
   * Namespace of the DaemonSets that need the host (node-exporter, the standalone DCGM exporter,
   * neuron-monitor): `<namespace>-node-agents`, the stack's only Pod Security 'privileged' namespace.
   */
  public readonly nodeAgentsNamespace: string;
  /** The kube-prometheus-stack install. */
  public readonly kubePrometheusStack: HelmAddon;
  /** The standalone dcgm-exporter install, when used. */
  public readonly dcgmExporter?: HelmAddon;
  /** The neuron-monitor DaemonSet, when the cluster has Neuron pools. */
  public readonly neuronMonitor?: NeuronMonitor;
  /** The OpenTelemetry collector install, when tracing is on. */
  public readonly otelCollector?: HelmAddon;
  /** OTLP/gRPC endpoint for workloads' traces, when tracing is on. */
  public readonly tracesEndpoint?: string;
  /** Cloud identity of Prometheus, when a remote-write backend needs one. */
  public readonly prometheusIdentity?: IWorkloadIdentity;
  /** Secret with Grafana's admin user and password (keys admin-user, admin-password). */
  public readonly grafanaAdminSecretName: string = GRAFANA_ADMIN_SECRET;
  /** UIDs of the dashboards shipped. */
  public readonly dashboardUids: string[];
  /** Prometheus's in-cluster query URL (KEDA's Prometheus scaler and other consumers use it). */
  public readonly prometheusUrl: string;
  private readonly cluster: IAcceleratorCluster;
  /** Grafana's in-cluster URL (`kubectl port-forward` to it, or put an ingress in front). */
  public readonly grafanaUrl: string;

  constructor(scope: Construct, id: string, props: ObservabilityStackProps) {
    super(scope, id);
    skipCreationStacks(this);
    const cluster = props.cluster;
    this.cluster = cluster;
    this.namespace = props.namespace ?? 'monitoring';
    // kube-prometheus-stack names Grafana's Service '<release>-grafana', port 80.
    this.grafanaUrl = `http://kube-prometheus-stack-grafana.${this.namespace}.svc.cluster.local`;
    this.prometheusUrl = `http://kube-prometheus-stack-prometheus.${this.namespace}.svc.cluster.local:9090`;
    if (props.outputs) {
      new TerraformOutput(this, 'grafana_url', { value: this.grafanaUrl, description: 'Grafana inside the cluster' }).overrideLogicalId(
        outputName(this, 'grafana_url'),
      );
    }
    const nvidiaPools = cluster.acceleratorPools.filter((p) => p.accelerator === AcceleratorKind.NVIDIA_GPU);
    const hasNeuron = cluster.acceleratorPools.some((p) => p.accelerator === AcceleratorKind.AWS_NEURON);
    const operatorNs = cluster.gpuOperatorNamespace;
    const dcgm =
      props.dcgmExporter ??
      (nvidiaPools.length === 0
        ? DcgmExporterSource.none()
        : operatorNs
          ? DcgmExporterSource.gpuOperator(operatorNs)
          : DcgmExporterSource.standalone());

    const { resolved: thresholds, errors } = resolveAlertThresholds(props.alertThresholds);
    errors.push(...this.validate(props, dcgm, operatorNs));
    const remoteWriteProblems = props.remoteWrite ? props.remoteWrite.validate(cluster) : [];
    errors.push(...remoteWriteProblems);
    if (props.tracing) errors.push(...validateTracing(props.tracing));
    reportProblems(this, errors);

    // Everything in the stack's namespace passes Pod Security 'restricted' (Prometheus, Alertmanager, the
    // operator and its hook Jobs, kube-state-metrics, Grafana without its root chown init container, the
    // collector), with a default-deny ingress policy; the API server reaches the operator's admission
    // webhook on 10250.
    const namespace = new PlatformNamespace(this, 'Namespace', {
      cluster,
      name: this.namespace,
      podSecurity: PodSecurityLevel.RESTRICTED,
      // Prometheus reaches every namespace through its own policy (MonitoringEgress), nothing else needs to.
      egressToPlatformNamespaces: false,
      egress: props.egress,
      openPorts: [
        { podLabels: { app: 'kube-prometheus-stack-operator' }, port: 10250 },
        // Workloads in any namespace send traces to the collector (OTLP gRPC and HTTP).
        ...(props.tracing
          ? [4317, 4318].map((port) => ({ podLabels: { 'app.kubernetes.io/name': 'opentelemetry-collector' }, port }))
          : []),
      ],
    });
    const ns = namespace.namespace;
    // The DaemonSets that need the host run in a namespace of their own, the only privileged one:
    // node-exporter (hostNetwork, hostPID, hostPath), the standalone DCGM exporter (root with SYS_ADMIN for
    // profiling counters, hostPath to the kubelet's pod-resources socket) and neuron-monitor (privileged:
    // it reads every Neuron device of the node without allocating them through the device plugin).
    this.nodeAgentsNamespace = kubernetesName(`${this.namespace}-node-agents`);
    const agents = new PlatformNamespace(this, 'NodeAgentsNamespace', {
      cluster,
      name: this.nodeAgentsNamespace,
      podSecurity: PodSecurityLevel.PRIVILEGED,
      podSecurityReason:
        'node-exporter (host network, PID namespace and file system), the DCGM exporter (SYS_ADMIN, kubelet pod-resources socket) and neuron-monitor (privileged) read the node itself',
    });
    // Egress is denied but for DNS, the namespace and HTTPS (API server, remote write, Grafana and
    // Alertmanager's outside calls); Prometheus scrapes every namespace and the nodes, the collector exports.
    const monitoringEgress = new MonitoringEgress(this, 'Egress', {
      provider: cluster.providers(this).kubernetes,
      namespace: this.namespace,
      dependsOn: [ns],
      otlpEndpoint: props.tracing?.otlpEndpoint,
    });
    namespace.dependables.push(...monitoringEgress.policies);
    const admin = new GrafanaAdminSecret(this, 'GrafanaAdmin', {
      cluster,
      namespace: this.namespace,
      secretName: GRAFANA_ADMIN_SECRET,
      adminUser: props.grafana?.adminUser ?? 'admin',
      dependsOn: [ns],
    });

    if (props.kueue) new KueueScrapeAccess(this, 'KueueScrape', { cluster, namespace: this.namespace, dependsOn: namespace.dependables });
    const dashboards = platformDashboards(thresholds, {
      nvidia: nvidiaPools.length > 0,
      mig: nvidiaPools.some((p) => p.mig),
      neuron: hasNeuron,
      cost: cluster.acceleratorPools.length > 0,
      dcgm: dcgm.kind !== DcgmExporterKind.NONE,
    });
    if (props.kueue) dashboards.push(tenancyDashboardJson());
    this.dashboardUids = dashboards.map((d) => d.uid);
    for (const d of dashboards) {
      // One ConfigMap per dashboard: the sidecar reloads each on its own and each stays far below 1 MiB.
      new ConfigMapV1(this, `Dashboard-${d.uid}`, {
        provider: cluster.providers(this).kubernetes,
        metadata: {
          name: `dashboard-${d.uid}`,
          namespace: this.namespace,
          labels: { [GRAFANA_DASHBOARD_LABEL.key]: GRAFANA_DASHBOARD_LABEL.value },
        },
        data: { [`${d.uid}.json`]: JSON.stringify(d) },
        dependsOn: [...cluster.addonDependencies(this), ns],
      });
    }

    // A backend with problems is reported, not bound: binding it could fail deep inside (wrong cloud).
    const binding = remoteWriteProblems.length
      ? undefined
      : props.remoteWrite?.bind(this, { cluster, namespace: this.namespace, serviceAccountName: PROMETHEUS_SERVICE_ACCOUNT });
    this.prometheusIdentity = binding?.identity;

    if (hasNeuron) {
      this.neuronMonitor = new NeuronMonitor(this, 'NeuronMonitor', {
        cluster,
        namespace: this.nodeAgentsNamespace,
        image: props.neuronMonitorImage,
        dependsOn: agents.dependables,
      });
    }

    const waitFor: ITerraformDependable[] = [
      ...namespace.dependables,
      ...agents.dependables,
      admin.secret,
      ...(binding?.identity.dependables ?? []),
    ];
    this.kubePrometheusStack = new HelmAddon(this, 'KubePrometheusStack', {
      cluster,
      releaseName: 'kube-prometheus-stack',
      chart: ObservabilityCharts.KUBE_PROMETHEUS_STACK,
      namespace: this.namespace,
      createNamespace: false,
      timeoutSeconds: 900,
      dependsOn: waitFor,
      overrides: props.kubePrometheusStackChart,
      values: kubePrometheusValues({
        cluster,
        retention: (props.retention ?? Duration.days(15)).toPrometheus(),
        storageGib: props.storageSizeGib ?? 100,
        storageClassName: props.storageClassName ?? cluster.storageClassName,
        grafanaStorageGib: props.grafana?.storageSizeGib ?? 10,
        defaultDashboards: props.grafana?.defaultDashboards ?? true,
        grafanaAdminSecret: GRAFANA_ADMIN_SECRET,
        serviceMonitors: dcgm.kind === DcgmExporterKind.GPU_OPERATOR ? [operatorDcgmServiceMonitor(dcgm.operatorNamespace!)] : [],
        podMonitors: [
          servingPodMonitor(),
          routerPodMonitor(),
          featureServerPodMonitor(),
          kedaPodMonitor(),
          // The inference gateway's Envoy pods and endpoint pickers (nothing to scrape without a gateway).
          gatewayPodMonitor(),
          endpointPickerPodMonitor(),
          ...(props.kueue ? [kueuePodMonitor()] : []),
          ...(hasNeuron ? [neuronMonitorPodMonitor(this.nodeAgentsNamespace)] : []),
        ],
        ruleGroups: [
          ...prometheusRuleGroups(thresholds, { nvidia: dcgm.kind !== DcgmExporterKind.NONE, neuron: hasNeuron }),
          ...costRuleGroups(cluster, dcgm.kind !== DcgmExporterKind.NONE),
        ],
        remoteWrite: binding?.remoteWrite ?? [],
        serviceAccountAnnotations: binding?.identity.serviceAccountAnnotations ?? {},
        podLabels: binding?.identity.podLabels ?? {},
        nodeAgentsNamespace: this.nodeAgentsNamespace,
      }),
    });

    if (dcgm.kind === DcgmExporterKind.STANDALONE) {
      this.dcgmExporter = new HelmAddon(this, 'DcgmExporter', {
        cluster,
        releaseName: 'dcgm-exporter',
        chart: ObservabilityCharts.DCGM_EXPORTER,
        namespace: this.nodeAgentsNamespace,
        createNamespace: false,
        values: standaloneDcgmValues(cluster),
        overrides: props.dcgmExporterChart,
        // Its ServiceMonitor needs the CRD kube-prometheus-stack installs.
        dependsOn: [this.kubePrometheusStack.release],
      });
    }

    if (props.tracing) {
      this.otelCollector = new HelmAddon(this, 'OtelCollector', {
        cluster,
        releaseName: 'opentelemetry-collector',
        chart: ObservabilityCharts.OPENTELEMETRY_COLLECTOR,
        namespace: this.namespace,
        createNamespace: false,
        values: otelCollectorValues(cluster, props.tracing),
        overrides: props.otelCollectorChart,
        dependsOn: [ns],
      });
      this.tracesEndpoint = `http://${OTEL_COLLECTOR_NAME}.${this.namespace}.svc.cluster.local:4317`;
    }
  }

  private validate(props: ObservabilityStackProps, dcgm: DcgmExporterSource, operatorNs: string | undefined): string[] {
    const errors: string[] = [];
    const retention = props.retention ?? Duration.days(15);
    if (retention.isShorterThan(Duration.hours(2)) || Duration.days(3650).isShorterThan(retention)) {
      errors.push(
        `retention '${retention.toPrometheus()}' is outside 2h..3650d; pass e.g. Duration.days(15), and a remoteWrite backend for longer history`,
      );
    }
    const size = props.storageSizeGib ?? 100;
    if (!Number.isInteger(size) || size < 10 || size > 16384)
      errors.push(`storageSizeGib ${size} is not an integer in 10..16384; pass e.g. 100`);
    const gsize = props.grafana?.storageSizeGib ?? 10;
    if (!Number.isInteger(gsize) || gsize < 1 || gsize > 1024)
      errors.push(`grafana.storageSizeGib ${gsize} is not an integer in 1..1024; pass e.g. 10`);
    const user = props.grafana?.adminUser ?? 'admin';
    if (!/^[A-Za-z0-9._@-]{1,64}$/.test(user))
      errors.push(`grafana.adminUser '${user}' is not 1-64 letters, digits or . _ @ -; pass e.g. 'admin'`);
    const ns = props.namespace ?? 'monitoring';
    if (!DNS_LABEL.test(ns))
      errors.push(`namespace '${ns}' is not a DNS-1123 label; use lowercase letters, digits and '-', e.g. 'monitoring'`);
    if (props.storageClassName !== undefined && !/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/.test(props.storageClassName)) {
      errors.push(
        `storageClassName '${props.storageClassName}' is not a valid StorageClass name; pass e.g. 'gp3' or omit it for the default class`,
      );
    }
    if (dcgm.kind === DcgmExporterKind.STANDALONE && operatorNs !== undefined) {
      errors.push(
        `dcgmExporter 'standalone' while the GPU operator already runs a DCGM exporter in '${operatorNs}'; two exporters fight over profiling counters, use DcgmExporterSource.gpuOperator()`,
      );
    }
    if (dcgm.kind === DcgmExporterKind.GPU_OPERATOR && !DNS_LABEL.test(dcgm.operatorNamespace!)) {
      errors.push(
        `dcgmExporter.operatorNamespace '${dcgm.operatorNamespace}' is not a DNS-1123 label; pass the GPU operator's namespace, e.g. 'gpu-operator'`,
      );
    }
    return errors;
  }

  /**
   * Alert rules of other constructs (e.g. `features.freshnessAlert()`), as a PrometheusRule installed
   * through Helm after kube-prometheus-stack (which owns the CRD); Prometheus selects every rule.
   */
  public addAlertRules(id: string, groupName: string, rules: AlertRule[]): void {
    new ManifestsRelease(this, `Rules-${id}`, {
      cluster: this.cluster,
      releaseName: kubernetesName(`rules-${id}`, 'label', 53),
      namespace: this.namespace,
      manifests: [
        {
          apiVersion: 'monitoring.coreos.com/v1',
          kind: 'PrometheusRule',
          metadata: { name: kubernetesName(`ai-platform-${id}`), namespace: this.namespace },
          spec: {
            groups: [
              {
                name: groupName,
                rules: rules.map(alertRuleManifest),
              },
            ],
          },
        },
      ],
      dependsOn: [this.kubePrometheusStack.release],
    });
  }
}
