import { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import { ChartOverrides, Charts, HelmAddon } from '../../addons/chart';
import { ManifestsRelease } from '../../addons/manifests';
import { IAcceleratorCluster } from '../../core/cluster';
import { KARPENTER_NAMESPACE, KARPENTER_SERVICE_ACCOUNT, KarpenterCloudResources } from './karpenter-cloud';
import { KarpenterNodeClassInput, KarpenterPoolInput, karpenterNodeClass, karpenterNodeOverlay, karpenterNodePool } from './manifests';

/** Options of Karpenter's in-cluster part. */
export interface KarpenterProps {
  /** The cluster. */
  readonly cluster: IAcceleratorCluster;
  /** The cloud side (identity, queue, node role and profile), in the cluster's stack. */
  readonly cloud: KarpenterCloudResources;
  /** The pools Karpenter provisions. */
  readonly pools: KarpenterPoolInput[];
  /** What every node class shares. */
  readonly nodeClass: KarpenterNodeClassInput;
  /**
   * Version and values overrides of the karpenter chart.
   * @default - the pinned version and the library's values
   */
  readonly chart?: ChartOverrides;
  /**
   * Node repair (Karpenter's `nodeRepair` feature gate, alpha): Karpenter replaces a node whose conditions
   * stay unhealthy (those the EKS node monitoring agent reports for GPU, Neuron, kernel, network and runtime
   * faults, and NotReady), as node auto repair does for managed node groups.
   * @default false
   */
  readonly nodeRepair?: boolean;
  /**
   * Version override of the karpenter-crd chart.
   * @default - the pinned version
   */
  readonly crdChart?: ChartOverrides;
}

/** Seconds the pools' release may take to go on destroy: every node drained (bounded by the grace period) and terminated. */
const POOLS_TIMEOUT_SECONDS = 40 * 60;

/**
 * Karpenter on the system node group (the chart's affinity keeps it off Karpenter's own nodes), and one
 * NodePool and EC2NodeClass per pool (a NodeOverlay for pools with MIG devices), in three releases applied in
 * order: CRDs, controller, objects. Destroy runs backwards: the objects' release is uninstalled first and waits (Helm `wait` on uninstall) until NodePools and
 * EC2NodeClasses are gone, which Karpenter's finalizers allow only once every node it launched is drained and its
 * instance terminated; only then do the controller, its identity, its queue and the nodes' role go.
 */
export class Karpenter extends Construct {
  /** The CRD release. */
  public readonly crds: HelmAddon;
  /** The controller release. */
  public readonly controller: HelmAddon;
  /** NodePools, EC2NodeClasses and NodeOverlays. */
  public readonly nodePools: ManifestsRelease;

  constructor(scope: Construct, id: string, props: KarpenterProps) {
    super(scope, id);
    const cluster = props.cluster;
    this.crds = new HelmAddon(this, 'Crds', {
      cluster,
      releaseName: 'karpenter-crd',
      chart: Charts.KARPENTER_CRD,
      namespace: KARPENTER_NAMESPACE,
      createNamespace: false,
      overrides: props.crdChart,
      // Deleting a CRD deletes every object of its kind: an uninstall or a replaced release (a renamed chart, a
      // moved namespace) would delete every NodePool and NodeClaim, and Karpenter would terminate every node it
      // launched. Helm leaves kept CRDs in place (with their release annotations, so a reinstall adopts them);
      // on destroy they go with the cluster.
      values: { additionalAnnotations: { 'helm.sh/resource-policy': 'keep' } },
    });
    const overlays = props.pools.map(karpenterNodeOverlay).filter((o): o is { [key: string]: any } => o !== undefined);
    this.controller = new HelmAddon(this, 'Chart', {
      cluster,
      releaseName: 'karpenter',
      chart: Charts.KARPENTER,
      namespace: KARPENTER_NAMESPACE,
      createNamespace: false,
      dependsOn: [this.crds.release, ...props.cloud.controllerDependables],
      overrides: props.chart,
      values: {
        serviceAccount: { create: true, name: KARPENTER_SERVICE_ACCOUNT },
        // The chart's defaults place it already: its node affinity (karpenter.sh/nodepool DoesNotExist) keeps it
        // off every node Karpenter launched, so a controller never consolidates its own node away, and every
        // other node of this cluster is the system group (the accelerator pools are Karpenter's, and tainted).
        // One replica a node (required anti-affinity) and a zone spread come with it.
        tolerations: [{ key: 'CriticalAddonsOnly', operator: 'Exists' }, ...cluster.systemTolerations.map((t) => ({ ...t }))],
        controller: {
          // Nodes answer IMDS within one hop only, so the SDK cannot read the region there.
          env: [{ name: 'AWS_REGION', value: cluster.region }],
          resources: { requests: { cpu: '500m', memory: '1Gi' }, limits: { memory: '1Gi' } },
        },
        settings: {
          clusterName: cluster.clusterName,
          clusterEndpoint: cluster.apiEndpoint,
          interruptionQueue: props.cloud.interruptionQueue.queue.name,
          // NodeOverlay (alpha) is what lets Karpenter schedule MIG slices and time-sliced GPUs.
          // nodeRepair: the self-healing managed node groups get from node auto repair.
          featureGates: { nodeOverlay: overlays.length > 0, nodeRepair: props.nodeRepair ?? false },
        },
      },
    });
    // The CRDs are the karpenter-crd release's, created first: Helm upgrades them with it. The chart's own crds/
    // folder finds them in place and leaves them (Helm only ever creates crds/ that do not exist).

    const objects: { [key: string]: any }[] = [];
    for (const pool of props.pools) objects.push(karpenterNodeClass(pool, props.nodeClass), karpenterNodePool(pool, props.nodeClass));
    objects.push(...overlays);
    const deps: ITerraformDependable[] = [this.controller.release, ...props.cloud.nodeDependables];
    this.nodePools = new ManifestsRelease(this, 'NodePools', {
      cluster,
      releaseName: 'karpenter-node-pools',
      namespace: KARPENTER_NAMESPACE,
      manifests: objects,
      dependsOn: deps,
      timeoutSeconds: POOLS_TIMEOUT_SECONDS,
    });
  }
}
