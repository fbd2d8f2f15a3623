import { HelmProvider } from '@cdktf/provider-helm/lib/provider';
import { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import { ITerraformDependable } from 'cdktf';
import { Construct, IConstruct } from 'constructs';
import { ExtendedResource } from './node-pool';
import { KubernetesVersion } from './kubernetes-version';
import { CloudPermissions } from './permissions';
import { GpuNodePool, NodeTaint } from './node-pool';

/** The cloud a cluster runs on. */
export enum CloudProvider {
  /** Amazon Web Services (EKS). */
  AWS = 'aws',
  /** Microsoft Azure (AKS). */
  AZURE = 'azure',
}

/** A pod toleration, as add-on charts take it. */
export interface PodToleration {
  /** Taint key. */
  readonly key: string;
  /** 'Exists' or 'Equal'. */
  readonly operator: string;
  /**
   * Taint effect.
   * @default - every effect
   */
  readonly effect?: string;
}

/** How a Kubernetes service account becomes a cloud identity. */
export interface ServiceAccountBindingOptions {
  /** Namespace of the service account. */
  readonly namespace: string;
  /** Name of the service account. */
  readonly serviceAccountName: string;
}

/**
 * A Kubernetes service account bound to a cloud identity (EKS Pod Identity on AWS, a federated credential
 * on Azure). Cloud resources grant access to it; charts take its annotations and pod labels.
 */
export interface IWorkloadIdentity extends IConstruct {
  /** Namespace of the bound service account. */
  readonly namespace: string;
  /** Name of the bound service account. */
  readonly serviceAccountName: string;
  /** The cloud principal: an IAM role ARN on AWS, a managed identity client id on Azure. */
  readonly principal: string;
  /** Annotations the service account must carry (none for EKS Pod Identity). */
  readonly serviceAccountAnnotations: { [key: string]: string };
  /** Labels the pods must carry (none for EKS Pod Identity). */
  readonly podLabels: { [key: string]: string };
  /** Resources that must exist before pods using the identity start. */
  readonly dependables: ITerraformDependable[];
  /** Grants cloud permissions; the identity applies its own cloud's part. */
  grant(permissions: CloudPermissions): void;
}

/** The Kubernetes and Helm providers of one cluster in one stack. */
export interface ClusterProviders {
  /** Kubernetes provider. */
  readonly kubernetes: KubernetesProvider;
  /** Helm provider. */
  readonly helm: HelmProvider;
}

/**
 * The contract every in-cluster add-on receives: where to install, what to wait for, which pools exist,
 * and how to give a pod a cloud identity. Implemented on AWS and Azure; add-ons never branch on the cloud
 * for anything this interface can answer.
 */
export interface IPlatformCluster extends IConstruct {
  /** Cluster name as the cloud knows it. */
  readonly clusterName: string;
  /** The cloud. */
  readonly cloudProvider: CloudProvider;
  /** Kubernetes version of control plane and nodes. */
  readonly kubernetesVersion: KubernetesVersion;
  /** Region (AWS) or location (Azure) of the cluster. */
  readonly region: string;
  /** URL of the API server. */
  readonly apiEndpoint: string;
  /** The shell command that writes a kubeconfig entry for this cluster (`aws eks update-kubeconfig ...`, `az aks get-credentials ...`). */
  readonly kubeconfigCommand: string;
  /** Tags the cluster puts on its cloud resources; add-ons put them on theirs. */
  readonly tags: { [key: string]: string };
  /**
   * Resource group of the cluster, for add-ons that create Azure resources beside it.
   * @default - none (clouds without resource groups)
   */
  readonly resourceGroupName?: string;
  /**
   * Kubernetes and Helm providers wired to this cluster, for the stack `scope` is in. Created once per
   * stack, so add-ons can live in another stack than the cluster (from cross-stack references).
   */
  providers(scope: IConstruct): ClusterProviders;
  /**
   * What in-cluster resources created in `scope`'s stack must wait for: API server, system nodes, the
   * deployer's access, storage class. In another stack than the cluster's, that stack is made to depend on
   * the cluster's stack instead, and the list is empty.
   */
  addonDependencies(scope: IConstruct): ITerraformDependable[];
  /** The accelerator pools. */
  readonly nodePools: GpuNodePool[];
  /** The device plugin MIG strategy of the cluster: 'single' or 'mixed'. */
  readonly migStrategy: string;
  /**
   * Namespace of the NVIDIA GPU operator, when the cluster runs one (its DCGM exporter is then the one to scrape).
   * @default - no GPU operator
   */
  readonly gpuOperatorNamespace?: string;
  /** True when the node image ships the NVIDIA driver and container toolkit (the GPU operator must not install them). */
  readonly gpuDriverPreinstalled: boolean;
  /** Node selector that places add-on pods on the system pool. */
  readonly systemNodeSelector: { [key: string]: string };
  /** Tolerations add-on pods need on the system pool (AKS taints it CriticalAddonsOnly). */
  readonly systemTolerations: PodToleration[];
  /** StorageClass for persistent volumes of add-ons (encrypted block storage, retained on release). */
  readonly storageClassName: string;
  /**
   * The labels nodes of `pool` carry on this cloud: the platform's own, adjusted where the cloud takes
   * over a job (AKS cutting MIG itself drops `nvidia.com/mig.config`), plus any the cloud adds.
   */
  poolLabels(pool: GpuNodePool): { [key: string]: string };
  /** The taints nodes of `pool` carry on this cloud: the platform's own plus any the cloud adds (AKS spot). */
  poolTaints(pool: GpuNodePool): NodeTaint[];
  /**
   * The extended resources one node of `pool` advertises once its device plugin runs (what pods request,
   * and what the autoscaler is told to expect of a node it has not started yet).
   */
  poolCapacity(pool: GpuNodePool): ExtendedResource[];
  /** Binds a service account to a new cloud identity. */
  bindServiceAccount(scope: Construct, id: string, options: ServiceAccountBindingOptions): IWorkloadIdentity;
}

/** What a cloud needs to build a cluster; assembled by GpuInferenceCluster. */
export interface ClusterSpec {
  /** Cluster name. */
  readonly clusterName: string;
  /** Kubernetes version. */
  readonly kubernetesVersion: KubernetesVersion;
  /** Validated, cloud-neutral pools. */
  readonly nodePools: GpuNodePool[];
  /** Cluster-wide MIG strategy. */
  readonly migStrategy: string;
  /** Tags for every cloud resource. */
  readonly tags: { [key: string]: string };
  /** Where the in-cluster part (charts, Kubernetes objects) of the cluster goes: a construct in the cluster's stack or in a second stack. */
  readonly inClusterScope: Construct;
}

/** A cloud's implementation of the cluster: created by `Cloud.aws()` or `Cloud.azure()`. */
export interface ICloudBackend {
  /** The cloud. */
  readonly cloudProvider: CloudProvider;
  /** The managed Kubernetes service's name, for messages ('EKS', 'AKS'). */
  readonly serviceName: string;
  /** Cloud-specific checks of the cluster-wide spec, as `<prop> <value> …; <fix>` messages. */
  validate(spec: ClusterSpec): string[];
  /** Cloud-specific checks of one pool (a pool with problems is left out of the build). */
  validatePool(pool: GpuNodePool): string[];
  /** Creates the cluster, its pools and cloud-specific add-ons under `scope`. */
  createCluster(scope: Construct, id: string, spec: ClusterSpec): IPlatformCluster;
}
