import { HelmProvider } from '@cdktf/provider-helm/lib/provider';
import { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import { GpuOperator } from './addons/gpu-operator/gpu-operator';
import { PlatformPriorityClasses } from './addons/priority-classes';
import { Cloud } from './cloud';
import { ClusterSpec, CloudProvider, IPlatformCluster, IWorkloadIdentity, PodToleration, ServiceAccountBindingOptions } from './core/cluster';
import { throwIfAny } from './core/errors';
import { KubernetesVersion } from './core/kubernetes-version';
import { GpuNodePool, NodePoolRole, NodeTaint, clusterMigStrategy } from './core/node-pool';

/** Props of a GpuInferenceCluster. */
export interface GpuInferenceClusterProps {
  /** Where to run: `Cloud.aws({...})`. */
  readonly cloud: Cloud;
  /** Cluster name, unique in the account and region. */
  readonly clusterName: string;
  /**
   * Kubernetes version.
   * @default KubernetesVersion.V1_33
   */
  readonly kubernetesVersion?: KubernetesVersion;
  /** Accelerator pools; a system pool for add-ons is always added. */
  readonly nodePools: GpuNodePool[];
  /**
   * Tags for every cloud resource.
   * @default - { 'managed-by': 'cdktf-ai-platform', 'ai-platform/cluster': clusterName }
   */
  readonly tags?: { [key: string]: string };
  /**
   * Install the NVIDIA GPU operator (device plugin, MIG manager, DCGM exporter, GPU feature discovery).
   * @default true when any pool has NVIDIA GPUs
   */
  readonly installGpuOperator?: boolean;
}

/**
 * A Kubernetes cluster for LLM inference and training on AWS (EKS): accelerator pools with MIG or
 * time-slicing, spot training pools, Neuron pools, the NVIDIA GPU operator, autoscaling from zero and
 * priority classes, with Kubernetes and Helm providers for further add-ons.
 *
 * Mistakes in pools (a MIG profile the GPU lacks, min > max, a GPU the cloud does not offer) fail at synth.
 */
export class GpuInferenceCluster extends Construct implements IPlatformCluster {
  /** The cloud-specific cluster (EksPlatformCluster on AWS). */
  public readonly platform: IPlatformCluster;
  /** The GPU operator, when installed. */
  public readonly gpuOperator?: GpuOperator;
  /** The platform priority classes. */
  public readonly priorityClasses: PlatformPriorityClasses;

  constructor(scope: Construct, id: string, props: GpuInferenceClusterProps) {
    super(scope, id);
    const names = new Set<string>();
    const errors: string[] = [];
    if (props.nodePools.length === 0) errors.push('nodePools [] is empty; add at least one GpuNodePool');
    for (const pool of props.nodePools) {
      if (names.has(pool.name) || pool.name === 'system') {
        errors.push(`nodePools[${pool.name}].name '${pool.name}' is ${pool.name === 'system' ? 'reserved for the add-on pool' : 'used twice'}; give every pool its own name`);
      }
      names.add(pool.name);
      errors.push(...pool.validate());
    }
    throwIfAny(this, errors);

    const spec: ClusterSpec = {
      clusterName: props.clusterName,
      kubernetesVersion: props.kubernetesVersion ?? KubernetesVersion.V1_33,
      nodePools: [...props.nodePools],
      migStrategy: clusterMigStrategy(props.nodePools),
      tags: props.tags ?? { 'managed-by': 'cdktf-ai-platform', 'ai-platform/cluster': props.clusterName },
    };
    throwIfAny(this, props.cloud.backend.validate(spec));

    this.platform = props.cloud.backend.createCluster(this, 'Cluster', spec);
    const hasNvidia = props.nodePools.some((p) => p.role !== NodePoolRole.NEURON);
    if (props.installGpuOperator ?? hasNvidia) this.gpuOperator = new GpuOperator(this, 'GpuOperator', { cluster: this.platform });
    this.priorityClasses = new PlatformPriorityClasses(this, 'PriorityClasses', { cluster: this.platform });
  }

  public get clusterName(): string { return this.platform.clusterName; }
  public get cloudProvider(): CloudProvider { return this.platform.cloudProvider; }
  public get kubernetesVersion(): KubernetesVersion { return this.platform.kubernetesVersion; }
  public get kubernetesProvider(): KubernetesProvider { return this.platform.kubernetesProvider; }
  public get helmProvider(): HelmProvider { return this.platform.helmProvider; }
  public get nodePools(): GpuNodePool[] { return this.platform.nodePools; }
  public get migStrategy(): string { return this.platform.migStrategy; }
  public get gpuDriverPreinstalled(): boolean { return this.platform.gpuDriverPreinstalled; }
  public get gpuOperatorNamespace(): string | undefined { return this.gpuOperator?.namespace; }
  public get systemNodeSelector(): { [key: string]: string } { return this.platform.systemNodeSelector; }
  public get systemTolerations(): PodToleration[] { return this.platform.systemTolerations; }
  public get storageClassName(): string { return this.platform.storageClassName; }

  /** Add-on dependencies, including the GPU operator once it is installed. */
  public get addonDependencies(): ITerraformDependable[] {
    return [...this.platform.addonDependencies, ...(this.gpuOperator ? [this.gpuOperator.addon.release] : [])];
  }

  public poolLabels(pool: GpuNodePool): { [key: string]: string } {
    return this.platform.poolLabels(pool);
  }

  public poolTaints(pool: GpuNodePool): NodeTaint[] {
    return this.platform.poolTaints(pool);
  }

  public bindServiceAccount(scope: Construct, id: string, options: ServiceAccountBindingOptions): IWorkloadIdentity {
    return this.platform.bindServiceAccount(scope, id, options);
  }
}
