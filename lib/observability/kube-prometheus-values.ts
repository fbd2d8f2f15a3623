import { IPlatformCluster } from '../core/cluster';
import { PlatformLabels } from '../core/node-pool';
import { COST_NODE_LABELS, COST_POD_LABELS } from './cost-rules';

/** Service account of Prometheus, fixed so a cloud identity can be bound to it before the chart runs. */
export const PROMETHEUS_SERVICE_ACCOUNT = 'prometheus';
/** Label the Grafana sidecar watches on dashboard ConfigMaps (kube-prometheus-stack's default). */
export const GRAFANA_DASHBOARD_LABEL = { key: 'grafana_dashboard', value: '1' };
/** busybox of the CRD upgrade Job (it only unpacks the CRDs), pinned instead of the chart's `latest`. */
export const KPS_CRD_UPGRADE_BUSYBOX_TAG = '1.37.0';
/** Keys of the Grafana admin Secret. */
export const GRAFANA_ADMIN_KEYS = { user: 'admin-user', password: 'admin-password' };

/** Everything the kube-prometheus-stack values depend on, resolved by the stack. */
export interface KubePrometheusValuesInput {
  /** The cluster. */
  readonly cluster: IPlatformCluster;
  /** Prometheus retention, Prometheus duration syntax. */
  readonly retention: string;
  /** Prometheus volume size, GiB. */
  readonly storageGib: number;
  /** Storage class of the volumes. */
  readonly storageClassName: string;
  /** Grafana volume size, GiB. */
  readonly grafanaStorageGib: number;
  /** Ship the chart's Kubernetes dashboards. */
  readonly defaultDashboards: boolean;
  /** Name of the Secret holding Grafana's admin credentials. */
  readonly grafanaAdminSecret: string;
  /** `prometheus.additionalServiceMonitors`. */
  readonly serviceMonitors: { [key: string]: any }[];
  /** `prometheus.additionalPodMonitors`. */
  readonly podMonitors: { [key: string]: any }[];
  /** Rule groups of the platform PrometheusRule. */
  readonly ruleGroups: { [key: string]: any }[];
  /** `prometheusSpec.remoteWrite`. */
  readonly remoteWrite: { [key: string]: any }[];
  /** Annotations for Prometheus's service account (cloud identity). */
  readonly serviceAccountAnnotations: { [key: string]: string };
  /** Labels for Prometheus's pods (cloud identity). */
  readonly podLabels: { [key: string]: string };
  /**
   * Namespace of node-exporter (the privileged one of host-access DaemonSets).
   * @default - the release's
   */
  readonly nodeAgentsNamespace?: string;
}

function pvc(sizeGib: number, storageClassName: string): { [key: string]: any } {
  return {
    volumeClaimTemplate: {
      spec: {
        storageClassName,
        accessModes: ['ReadWriteOnce'],
        resources: { requests: { storage: `${sizeGib}Gi` } },
      },
    },
  };
}

/** kube-prometheus-stack values: persistent Prometheus/Alertmanager/Grafana on the system pool, platform scrape and rules. */
export function kubePrometheusValues(i: KubePrometheusValuesInput): { [key: string]: any } {
  // Every pod the chart creates goes to the system pool, hook Jobs included: each component reads its own
  // keys, and a hook Job left Pending fails the whole (atomic) release.
  const placement = {
    nodeSelector: { ...i.cluster.systemNodeSelector },
    tolerations: i.cluster.systemTolerations.map((t) => ({ ...t })),
  };
  return {
    // EKS and AKS hide etcd, scheduler and controller-manager, and kube-proxy binds its metrics to
    // localhost: scraping them only produces permanently firing 'target down' alerts.
    kubeEtcd: { enabled: false },
    kubeControllerManager: { enabled: false },
    kubeScheduler: { enabled: false },
    kubeProxy: { enabled: false },
    additionalPrometheusRulesMap: { 'ai-platform': { groups: i.ruleGroups } },
    // The prometheus-operator CRDs sit in the crds subchart's crds/ folder, which Helm installs once and
    // never upgrades: after a chart bump the new operator would run against old CRDs. The chart's upgrade
    // Job (crds/templates/upgrade: pre-install, pre-upgrade and pre-rollback hooks, with a ServiceAccount
    // and a ClusterRole limited to these CRDs by name) server-side applies the chart's CRDs with
    // --force-conflicts before anything else changes. On the first install Helm has already created the
    // CRDs from crds/, so the apply changes nothing. It pulls busybox (pinned here; the chart says latest)
    // and registry.k8s.io/kubectl at the cluster's version, and runs on the system pool like every hook.
    crds: {
      upgradeJob: {
        enabled: true,
        image: { busybox: { tag: KPS_CRD_UPGRADE_BUSYBOX_TAG } },
        ...placement,
      },
    },
    prometheusOperator: {
      ...placement,
      admissionWebhooks: {
        // Certificate hook Jobs: createSecret (pre-install/upgrade) and patchWebhook (post-install/upgrade).
        patch: { ...placement },
        deployment: { ...placement },
      },
    },
    // kube_node_labels and kube_pod_labels carry only the labels allowed here: the cost rules join pods to
    // their node's pool and instance type and to their served model; the GPU health alerts name the pool
    // (and role) of a failing node.
    'kube-state-metrics': {
      ...placement,
      metricLabelsAllowlist: [
        `nodes=[${[...new Set([...COST_NODE_LABELS, PlatformLabels.POOL, PlatformLabels.ROLE])].sort().join(',')}]`,
        `pods=[${COST_POD_LABELS.join(',')}]`,
      ],
    },
    // node-exporter reads the host (hostNetwork, hostPID, hostPath /, /proc, /sys): Pod Security
    // 'privileged' only, so it runs in the node agents' namespace and the release's stays 'restricted'.
    // The subchart puts its DaemonSet, Service and ServiceMonitor there (templates' namespace helpers).
    ...(i.nodeAgentsNamespace ? { 'prometheus-node-exporter': { namespaceOverride: i.nodeAgentsNamespace } } : {}),
    alertmanager: {
      alertmanagerSpec: { ...placement, storage: pvc(5, i.storageClassName) },
    },
    grafana: {
      defaultDashboardsEnabled: i.defaultDashboards,
      // Credentials come from a Secret created outside the chart, so no password is in the values.
      admin: { existingSecret: i.grafanaAdminSecret, userKey: GRAFANA_ADMIN_KEYS.user, passwordKey: GRAFANA_ADMIN_KEYS.password },
      persistence: { enabled: true, type: 'pvc', size: `${i.grafanaStorageGib}Gi`, storageClassName: i.storageClassName },
      // The volume is ReadWriteOnce (a cloud disk attaches to one node): the chart's RollingUpdate starts the
      // new pod before the old one stops, and on another node it waits forever on a Multi-Attach error, so
      // an upgrade times out and the atomic release rolls back. Stop the old pod first.
      deploymentStrategy: { type: 'Recreate' },
      // The init container chowning the volume runs as root with CHOWN and DAC_OVERRIDE, which Pod Security
      // 'restricted' rejects; the pod's fsGroup (472, the chart's) makes the volume Grafana's instead.
      initChownData: { enabled: false },
      'grafana.ini': { analytics: { check_for_updates: false } },
      sidecar: {
        dashboards: {
          enabled: true,
          label: GRAFANA_DASHBOARD_LABEL.key,
          labelValue: GRAFANA_DASHBOARD_LABEL.value,
          searchNamespace: 'ALL',
        },
      },
      ...placement,
    },
    prometheus: {
      serviceAccount: { create: true, name: PROMETHEUS_SERVICE_ACCOUNT, annotations: { ...i.serviceAccountAnnotations } },
      additionalServiceMonitors: i.serviceMonitors,
      additionalPodMonitors: i.podMonitors,
      prometheusSpec: {
        retention: i.retention,
        // Keep headroom on the volume: Prometheus stops ingesting when the disk fills.
        retentionSize: `${Math.floor(i.storageGib * 0.85)}GB`,
        storageSpec: pvc(i.storageGib, i.storageClassName),
        externalLabels: { cluster: i.cluster.clusterName },
        // Select monitors and rules from every release and namespace, not only this chart's, so other
        // platform add-ons and serving charts can ship their own ServiceMonitors and PrometheusRules.
        serviceMonitorSelectorNilUsesHelmValues: false,
        podMonitorSelectorNilUsesHelmValues: false,
        ruleSelectorNilUsesHelmValues: false,
        probeSelectorNilUsesHelmValues: false,
        scrapeConfigSelectorNilUsesHelmValues: false,
        remoteWrite: i.remoteWrite,
        ...(Object.keys(i.podLabels).length ? { podMetadata: { labels: { ...i.podLabels } } } : {}),
        resources: { requests: { cpu: '500m', memory: '2Gi' } },
        ...placement,
      },
    },
  };
}
