import { ConfigMapV1 } from '@cdktf/provider-kubernetes/lib/config-map-v1';
import { DeploymentV1 } from '@cdktf/provider-kubernetes/lib/deployment-v1';
import { RoleBindingV1 } from '@cdktf/provider-kubernetes/lib/role-binding-v1';
import { RoleV1 } from '@cdktf/provider-kubernetes/lib/role-v1';
import { ServiceAccountV1 } from '@cdktf/provider-kubernetes/lib/service-account-v1';
import { ServiceV1 } from '@cdktf/provider-kubernetes/lib/service-v1';
import { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import { ENDPOINT_PICKER_APP } from '../observability/scrape';
import { labelValue } from '../private/naming';
import { containerSecurityContext, NONROOT_UID, podSecurityContext, writableDirs } from '../private/pod-security';
import { RagContext } from './types';

/** The endpoint picker of Gateway API Inference Extension v1.5.0 (the image the `inferencepool` chart v1.5.0 runs). */
export const EPP_IMAGE = 'registry.k8s.io/gateway-api-inference-extension/epp:v1.5.0';
/** Port of the picker's ext_proc gRPC service (Envoy calls it). */
export const EPP_EXT_PROC_PORT = 9002;
/** Port of the picker's gRPC health service. */
const EPP_HEALTH_PORT = 9003;
/** Replicas of each picker: a leader and a standby. */
export const EPP_REPLICAS = 2;
/** Port of the picker's Prometheus metrics. */
export const EPP_METRICS_PORT = 9090;
/** `app.kubernetes.io/name` of the pickers' pods (ObservabilityStack scrapes them by it). */
export const PICKER_APP = ENDPOINT_PICKER_APP;
/** Label the picker's pods carry (value: the picker's name), as the chart's `inferencepool` selector label. */
export const EPP_LABEL = 'inferencepool';

/**
 * The picker's scheduling configuration: the `default-plugins.yaml` the `inferencepool` chart v1.5.0 renders
 * for vLLM over HTTP (config/charts/epplib/templates/_config.yaml): queue depth and KV-cache use (weight 2
 * each) and prefix-cache affinity (weight 3), from the servers' own `/metrics`.
 */
export const EPP_PLUGINS_CONFIG = `apiVersion: inference.networking.x-k8s.io/v1alpha1
kind: EndpointPickerConfig
plugins:
- type: queue-scorer
- type: kv-cache-utilization-scorer
- type: prefix-cache-scorer
- type: metrics-data-source
  parameters:
    scheme: "http"
    path: "/metrics"
    insecureSkipVerify: true
- type: core-metrics-extractor
schedulingProfiles:
- name: default
  plugins:
  - pluginRef: queue-scorer
    weight: 2
  - pluginRef: kv-cache-utilization-scorer
    weight: 2
  - pluginRef: prefix-cache-scorer
    weight: 3
`;

/** Options of one endpoint picker. */
export interface EndpointPickerProps {
  /** Where it runs (the InferencePool's namespace). */
  readonly ctx: RagContext;
  /** Name of the picker's Deployment, Service, ConfigMap and service account. */
  readonly name: string;
  /** Name of the InferencePool it picks for (in the same namespace). */
  readonly poolName: string;
  /** Further labels of its pods (the stack's, which network policies select by). */
  readonly podLabels: { [key: string]: string };
  /** What it waits for (namespace, the gateway's CRDs: it watches its InferencePool). */
  readonly dependsOn: ITerraformDependable[];
}

/**
 * The endpoint picker (EPP) of one InferencePool: for each request Envoy asks it (ext_proc) which pod of
 * the pool serves it, scored on queue depth, KV-cache use and prefix-cache affinity read from vLLM's
 * metrics. Built here with the same image, arguments, plugin configuration and RBAC as the pinned
 * `inferencepool` chart v1.5.0, because that chart's Deployment template sets no security context (so
 * its pods fail Pod Security 'restricted', which the RAG namespace enforces), has no node selector and
 * requests 4 CPUs and 8 GiB. Two replicas with leader election, as the chart renders for `replicas: 2`: only
 * the leader reports ready and serves (its prefix-cache state is in memory), the other takes over within the
 * lease. Envoy calls the picker with full-duplex streaming, which Envoy Gateway allows only failing closed: a
 * picker down means the model's requests fail, hence the standby. No PodDisruptionBudget: the standby is never
 * ready, so any budget would forbid evicting the leader and hang every node drain.
 */
export class EndpointPicker extends Construct {
  /** Name of the picker's Service (the InferencePool's `endpointPickerRef`). */
  public readonly serviceName: string;
  /** Labels of the picker's pods. */
  public readonly podLabels: { [key: string]: string };
  /** The Deployment. */
  public readonly deployment: DeploymentV1;

  constructor(scope: Construct, id: string, props: EndpointPickerProps) {
    super(scope, id);
    const { ctx, name } = props;
    const provider = ctx.cluster.providers(this).kubernetes;
    const meta = {
      name,
      namespace: ctx.namespace,
      labels: {
        'app.kubernetes.io/name': PICKER_APP,
        'app.kubernetes.io/instance': labelValue(name),
        'app.kubernetes.io/part-of': 'ai-platform',
      },
    };
    this.serviceName = name;
    this.podLabels = {
      ...props.podLabels,
      'app.kubernetes.io/name': PICKER_APP,
      [EPP_LABEL]: labelValue(name),
      'inference.networking.k8s.io/igw-mode': 'inferencepool',
    };
    const selector = { [EPP_LABEL]: labelValue(name) };
    const sa = new ServiceAccountV1(this, 'ServiceAccount', {
      provider,
      metadata: meta,
      automountServiceAccountToken: false,
      dependsOn: props.dependsOn,
    });
    // The chart's two Roles in one: pods, and the Inference Extension objects of the namespace.
    const role = new RoleV1(this, 'Role', {
      provider,
      metadata: meta,
      rule: [
        { apiGroups: [''], resources: ['pods'], verbs: ['get', 'watch', 'list'] },
        {
          apiGroups: ['inference.networking.x-k8s.io'],
          resources: ['inferenceobjectives', 'inferencemodelrewrites'],
          verbs: ['get', 'watch', 'list'],
        },
        { apiGroups: ['inference.networking.k8s.io'], resources: ['inferencepools'], verbs: ['get', 'watch', 'list'] },
        // Leader election (the chart's leader-election Role).
        {
          apiGroups: ['coordination.k8s.io'],
          resources: ['leases'],
          verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'],
        },
        { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch'] },
      ],
      dependsOn: props.dependsOn,
    });
    const binding = new RoleBindingV1(this, 'RoleBinding', {
      provider,
      metadata: meta,
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
      subject: [{ kind: 'ServiceAccount', name, namespace: ctx.namespace }],
      dependsOn: [role, sa],
    });
    const config = new ConfigMapV1(this, 'Config', {
      provider,
      metadata: meta,
      data: { 'default-plugins.yaml': EPP_PLUGINS_CONFIG },
      dependsOn: props.dependsOn,
    });
    const dirs = writableDirs([{ name: 'tmp', mountPath: '/tmp', sizeLimit: '256Mi' }]);
    const grpcProbe = (service: string, period: number) => ({ grpc: [{ port: EPP_HEALTH_PORT, service }], periodSeconds: period });
    this.deployment = new DeploymentV1(this, 'Deployment', {
      provider,
      metadata: meta,
      spec: {
        replicas: String(EPP_REPLICAS),
        // As the chart: the old leader goes at once, so a new one is elected without waiting for it.
        strategy: { type: 'Recreate' },
        selector: { matchLabels: selector },
        template: {
          metadata: { labels: this.podLabels },
          spec: {
            serviceAccountName: name,
            automountServiceAccountToken: true,
            priorityClassName: 'ai-inference',
            // As the chart: no shorter than the longest grace period of the pool's pods.
            terminationGracePeriodSeconds: 130,
            nodeSelector: { ...ctx.cluster.systemNodeSelector },
            toleration: ctx.cluster.systemTolerations.map((t) => ({ ...t })),
            securityContext: podSecurityContext({ uid: NONROOT_UID, gid: NONROOT_UID }),
            // The standby on another node than the leader.
            topologySpreadConstraint: [
              {
                maxSkew: 1,
                topologyKey: 'kubernetes.io/hostname',
                whenUnsatisfiable: 'ScheduleAnyway',
                labelSelector: [{ matchLabels: selector }],
              },
            ],
            container: [
              {
                name: 'epp',
                image: EPP_IMAGE,
                imagePullPolicy: 'IfNotPresent',
                args: [
                  '--pool-name',
                  props.poolName,
                  '--pool-namespace',
                  ctx.namespace,
                  '--pool-group',
                  'inference.networking.k8s.io',
                  '--zap-encoder',
                  'json',
                  '--config-file',
                  '/config/default-plugins.yaml',
                  '--v',
                  '1',
                  '--ha-enable-leader-election',
                  '--tracing=false',
                  // Scraped by Prometheus without a token; the namespace admits only its own pods and monitoring.
                  '--metrics-endpoint-auth=false',
                ],
                env: [
                  { name: 'NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
                  { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
                ],
                port: [
                  { name: 'grpc', containerPort: EPP_EXT_PROC_PORT },
                  { name: 'grpc-health', containerPort: EPP_HEALTH_PORT },
                  { name: 'metrics', containerPort: EPP_METRICS_PORT },
                ],
                // Smaller than the chart's 4 CPUs / 8 GiB (sized for high QPS with every scorer): one stack's
                // pool, on the system pool; the memory limit keeps a leak from starving the node.
                resources: { requests: { cpu: '500m', memory: '1Gi' }, limits: { memory: '4Gi' } },
                // With leader election the picker answers 'liveness' on every replica, 'readiness' on the leader.
                livenessProbe: { ...grpcProbe('liveness', 10), initialDelaySeconds: 5 },
                readinessProbe: grpcProbe('readiness', 2),
                securityContext: containerSecurityContext({ uid: NONROOT_UID, gid: NONROOT_UID }),
                volumeMount: [...dirs.volumeMount, { name: 'plugins-config-volume', mountPath: '/config', readOnly: true }],
              },
            ],
            volume: [...dirs.volume, { name: 'plugins-config-volume', configMap: { name } }],
          },
        },
      },
      waitForRollout: false,
      dependsOn: [...props.dependsOn, binding, config],
    });
    new ServiceV1(this, 'Service', {
      provider,
      metadata: meta,
      spec: {
        selector,
        port: [
          { name: 'grpc-ext-proc', port: EPP_EXT_PROC_PORT, targetPort: String(EPP_EXT_PROC_PORT), protocol: 'TCP' },
          { name: 'http-metrics', port: EPP_METRICS_PORT, targetPort: String(EPP_METRICS_PORT), protocol: 'TCP' },
        ],
      },
      dependsOn: props.dependsOn,
    });
  }
}
