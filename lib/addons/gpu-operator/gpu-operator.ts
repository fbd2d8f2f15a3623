import { Construct } from 'constructs';
import { MigPartedConfigEntry, renderMigPartedConfig, renderTimeSlicingConfig } from '../../gpu';
import { IAcceleratorCluster } from '../../core/cluster';
import { gpuNodeTolerations } from '../../private/tolerations';
import { GpuNodePool, NodePoolRole, PlatformLabels } from '../../core/node-pool';
import { toYaml } from '../../private/yaml';
import { ChartOverrides, Charts, HelmAddon } from '../chart';
import { DCGM_METRICS_CONFIG_MAP, dcgmCountersCsv } from './dcgm-counters';
import { PlatformNamespace, PodSecurityLevel } from '../namespace';

/** Options of the GPU operator add-on. */
export interface GpuOperatorProps {
  /** Cluster to install into. */
  readonly cluster: IAcceleratorCluster;
  /** The pools as declared (MIG layouts and time-slicing render the operator's configs). */
  readonly nodePools: GpuNodePool[];
  /**
   * Namespace of the operator.
   * @default 'gpu-operator'
   */
  readonly namespace?: string;
  /**
   * Version and values overrides of the GPU operator chart.
   * @default - the pinned version and the library's values
   */
  readonly chart?: ChartOverrides;
}

/** Name of the ConfigMap holding the generated mig-parted configs. */
export const MIG_CONFIG_MAP = 'ai-platform-mig-parted-config';
/** Name of the ConfigMap holding the device-plugin configs (time-slicing). */
export const DEVICE_PLUGIN_CONFIG_MAP = 'ai-platform-device-plugin-config';

/**
 * NVIDIA GPU operator, configured from the cluster's pools: driver and toolkit left to the node image when it
 * ships them, MIG manager with a generated mig-parted config covering every pool's layout, and named
 * device-plugin configs for time-sliced pools (selected per node by label).
 */
export class GpuOperator extends Construct {
  /** The Helm install. */
  public readonly addon: HelmAddon;
  /** The namespace the operator runs in. */
  public readonly namespace: string;

  constructor(scope: Construct, id: string, props: GpuOperatorProps) {
    super(scope, id);
    const cluster = props.cluster;
    this.namespace = props.namespace ?? 'gpu-operator';
    // Driver, toolkit and device plugin DaemonSets need host access: privileged, default-deny ingress.
    // Egress: the API server (HTTPS). Where the operator installs the driver, its container fetches kernel
    // headers from the distribution's package mirrors over HTTP (apt on AKS Ubuntu nodes).
    const namespace = new PlatformNamespace(this, 'Namespace', {
      cluster,
      name: this.namespace,
      podSecurity: PodSecurityLevel.PRIVILEGED,
      podSecurityReason:
        'the GPU operator installs the driver and container toolkit on the host and runs the device plugin with host access',
      egressToPlatformNamespaces: false,
      egress: cluster.gpuDriverPreinstalled ? undefined : [{ ports: [80], cidrs: ['0.0.0.0/0'] }],
    });
    this.addon = new HelmAddon(this, 'Chart', {
      cluster,
      releaseName: 'gpu-operator',
      chart: Charts.GPU_OPERATOR,
      namespace: this.namespace,
      createNamespace: false,
      dependsOn: namespace.dependables,
      values: gpuOperatorValues(cluster, props.nodePools),
      overrides: props.chart,
      timeoutSeconds: 900,
    });
  }
}

/** The operator's Helm values for a cluster; exported for tests and for add-ons that extend them. */
export function gpuOperatorValues(cluster: IAcceleratorCluster, nodePools: GpuNodePool[]): { [key: string]: any } {
  const gpuPools = nodePools.filter((p) => p.role !== NodePoolRole.NEURON);
  const labels = (p: GpuNodePool) => cluster.acceleratorPools.find((i) => i.name === p.name)?.labels ?? p.labels;
  // Only pools whose nodes ask the MIG manager for a config (on AKS, a layout AKS cuts itself does not).
  const migPools = gpuPools.filter((p) => p.mig && labels(p)[PlatformLabels.MIG_CONFIG] !== undefined);
  const slicedPools = gpuPools.filter((p) => p.timeSlicing !== undefined);
  const preinstalled = cluster.gpuDriverPreinstalled;

  const values: { [key: string]: any } = {
    driver: { enabled: !preinstalled },
    toolkit: { enabled: !preinstalled },
    mig: { strategy: cluster.migStrategy },
    // The operator prefers the system pool (the chart's nodeSelector keeps its kubernetes.io/os pin), and
    // with exactly the system tolerations below it can run nowhere else, since every accelerator pool is
    // tainted. Its hook Jobs (upgrade-CRD before every upgrade, GPU-cluster cleanup before delete) read
    // only operator.nodeSelector/tolerations: the tolerations place them on the system pool too.
    operator: {
      // The CRDs sit in crds/ (installed once, never upgraded by Helm); the chart's pre-upgrade hook Job
      // (templates/upgrade_crd.yaml: operator image, `manage-crds apply` of ClusterPolicy, NVIDIADriver,
      // GPUCluster and NFD CRDs) upgrades them before the new operator starts. On by default: kept on.
      upgradeCRD: true,
      // Off: uninstalling keeps the CRDs (and any NVIDIADriver a user added); the ClusterPolicy has no
      // finalizer and goes with the release, its operands with it (owner references).
      cleanupCRD: false,
      affinity: {
        nodeAffinity: {
          preferredDuringSchedulingIgnoredDuringExecution: [
            {
              weight: 100,
              preference: {
                matchExpressions: Object.entries(cluster.systemNodeSelector).map(([key, value]) => ({
                  key,
                  operator: 'In',
                  values: [value],
                })),
              },
            },
          ],
        },
      },
    },
    // Operands run on every GPU node, including tainted spot training nodes.
    daemonsets: { tolerations: gpuNodeTolerations(cluster) },
    'node-feature-discovery': {
      // master's placement also places NFD's post-delete cleanup Job.
      master: { nodeSelector: { ...cluster.systemNodeSelector } },
      gc: { nodeSelector: { ...cluster.systemNodeSelector } },
      // Without NFD labels on a node the operator deploys nothing there, so the worker must reach spot nodes too.
      worker: { tolerations: gpuNodeTolerations(cluster) },
    },
    // Scraping is configured by the observability stack, which also installs the ServiceMonitor CRD.
    // The platform's field list (health counters the defaults leave out): the operator creates the
    // ConfigMap and points the exporter at it (DCGM_EXPORTER_COLLECTORS).
    dcgmExporter: {
      enabled: true,
      serviceMonitor: { enabled: false },
      config: { name: DCGM_METRICS_CONFIG_MAP, create: true, data: dcgmCountersCsv() },
    },
  };

  // Lists replace the chart's defaults (which tolerate only a control-plane taint that managed clusters
  // do not have): each component gets exactly the system pool's tolerations.
  const tolerations = () => cluster.systemTolerations.map((t) => ({ ...t }));
  values.operator.tolerations = tolerations();
  values['node-feature-discovery'].master.tolerations = tolerations();
  values['node-feature-discovery'].gc.tolerations = tolerations();

  if (migPools.length) {
    // Entries are limited to each GPU's PCI ids, so one name (all-1g.10gb) can mean 7 slices on an H100
    // and 4 on an A100 40GB, as in the operator's own default config.
    const entries: MigPartedConfigEntry[] = migPools.map((p) => {
      const d = p.mig!.migPartedEntry(p.gpu!);
      return { name: p.migConfigName!, migEnabled: d.migEnabled, slices: d.slices, deviceFilter: d.deviceFilter };
    });
    values.migManager = {
      enabled: true,
      // Cloud VMs pass GPUs through: changing MIG mode needs a GPU reset the guest cannot do, so the
      // manager must reboot the node or mig.config.state ends 'failed'.
      env: [{ name: 'WITH_REBOOT', value: 'true' }],
      config: { create: true, name: MIG_CONFIG_MAP, default: 'all-disabled', data: { 'config.yaml': renderMigPartedConfig(entries) } },
    };
  } else {
    values.migManager = { enabled: false };
  }

  if (slicedPools.length) {
    const data: { [key: string]: string } = {
      // Nodes partitioned by AKS count here too: the plugin must advertise their MIG devices.
      default: toYaml({ version: 'v1', flags: { migStrategy: gpuPools.some((p) => p.mig) ? cluster.migStrategy : 'none' } }).trimEnd(),
    };
    for (const p of slicedPools) data[p.devicePluginConfigName!] = renderTimeSlicingConfig(p.timeSlicing!).trimEnd();
    values.devicePlugin = { config: { create: true, name: DEVICE_PLUGIN_CONFIG_MAP, default: 'default', data } };
  }
  return values;
}
