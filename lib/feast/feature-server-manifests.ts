import { manifestContainerSecurityContext, manifestPodSecurityContext } from '../private/pod-security';
import { FEAST_CONFIG_DIR, PG_PASSFILE_DIR } from './feature-store-yaml';
import type { FeatureServerProps } from './feature-server';
import { FEAST_UID, manifestEnv } from './workload';

/** Container port of the online server (the chart's `online` port). */
export const FEATURE_SERVER_PORT = 6566;
/** Port of the server's Prometheus endpoint (`feast serve --metrics`; not named in the chart's pod spec). */
export const FEATURE_SERVER_METRICS_PORT = 8000;
/** The chart's container name. */
export const FEATURE_SERVER_CONTAINER = 'feast-feature-server';

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
  // The pods carry only their selector labels: the cloud says what they need for their identity.
  const id = cluster.dataServices.feast.podIdentity(props.identity, props.azureTenantId);
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
