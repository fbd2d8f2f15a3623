import { HelmProvider } from '@cdktf/provider-helm/lib/provider';
import { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import { ITerraformDependable, TerraformStack } from 'cdktf';
import { Construct, IConstruct } from 'constructs';
import { ExtendedResource } from './node-pool';
import { KubernetesVersion } from './kubernetes-version';
import { IDataServices } from './data-services';
import { AcceleratorKind, Gpu } from '../gpu/accelerator';
import { GpuNodePool, NodeTaint } from './node-pool';
import { PoolMarket, PoolPricing } from './pool-pricing';

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

/** A node-local endpoint pods fetch cloud credentials from (the EKS Pod Identity agent). */
export interface CredentialEndpoint {
  /** Short name, naming the NetworkPolicy that allows it: 'pod-identity-agent'. */
  readonly name: string;
  /** Addresses, as CIDRs (IPv4 and IPv6). */
  readonly cidrs: string[];
  /** TCP port. */
  readonly port: number;
}

/**
 * A Kubernetes service account bound to a cloud identity (EKS Pod Identity on AWS, a federated credential
 * on Azure). Resources grant access to it (`bucket.grantRead(identity)`); charts take its annotations and
 * pod labels.
 */
export interface IWorkloadIdentity extends IConstruct {
  /** The cloud the identity lives in; a resource of another cloud refuses to grant it access. */
  readonly cloudProvider: CloudProvider;
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
  /** Resources that must exist before pods using the identity start (the binding and every grant). */
  readonly dependables: ITerraformDependable[];
  /**
   * Node-local endpoints the pods call for credentials, which the namespaces the library creates (egress
   * denied) then allow.
   * @default - none (credentials over HTTPS, e.g. Entra workload identity)
   */
  readonly credentialEndpoints?: CredentialEndpoint[];
}

/** The Kubernetes and Helm providers of one cluster in one stack. */
export interface ClusterProviders {
  /** Kubernetes provider. */
  readonly kubernetes: KubernetesProvider;
  /** Helm provider. */
  readonly helm: HelmProvider;
}

/** What a cluster needs to make a cloud principal an admin of one namespace. */
export interface NamespaceAdminOptions {
  /** The namespace. */
  readonly namespace: string;
  /** The cloud principal: an IAM role ARN on EKS, an Entra group object id on AKS. */
  readonly principal: string;
  /** The Kubernetes group to map the principal to, where the cloud maps principals to groups (EKS). */
  readonly kubernetesGroup: string;
  /** Tags for cloud resources the grant creates. */
  readonly tags: { [key: string]: string };
}

/** The cloud side of a namespace admin grant. */
export interface NamespaceAdminGrant {
  /** The group the principal's requests carry in Kubernetes; a RoleBinding in the namespace names it. */
  readonly kubernetesGroup: string;
  /** Cloud resources of the grant (access entry, role assignments). */
  readonly dependables: ITerraformDependable[];
}

/** The network a cluster runs in, where data services put their private endpoints. */
export interface ClusterNetwork {
  /** VPC id (AWS) or virtual network id (Azure). */
  readonly networkId: string;
  /**
   * Subnets for private endpoints of data services: the cluster's private subnets (AWS, at least two
   * zones) or its node subnet (Azure).
   */
  readonly privateSubnetIds: string[];
  /**
   * The security group every node carries; data services admit traffic from it only.
   * @default - none: the cloud filters by subnet (Azure network security groups)
   */
  readonly nodeSecurityGroupId?: string;
}

/**
 * An accelerator node pool as add-ons see it: what its nodes carry and advertise, whether the library
 * created the pool or it belongs to a cluster brought along.
 */
export interface AcceleratorPoolInfo {
  /** Pool name. */
  readonly name: string;
  /** NVIDIA GPUs or AWS Neuron chips. */
  readonly accelerator: AcceleratorKind;
  /**
   * GPU model.
   * @default - none (Neuron pools, or a model the description left out)
   */
  readonly gpu?: Gpu;
  /** Labels every node of the pool carries. */
  readonly labels: { [key: string]: string };
  /** Taints every node of the pool carries. */
  readonly taints: NodeTaint[];
  /** Extended resources one node advertises (`nvidia.com/gpu`, `nvidia.com/mig-1g.10gb`, `aws.amazon.com/neuroncore`). */
  readonly capacity: ExtendedResource[];
  /** Most nodes the pool scales to; quotas and reports multiply `capacity` by it. */
  readonly maxNodes: number;
  /** True when the GPUs are cut into MIG instances. */
  readonly mig: boolean;
  /**
   * Instance types (AWS) or VM size (Azure) of the nodes, the first preferred.
   * @default - unknown (a pool described without them)
   */
  readonly instanceTypes?: string[];
  /**
   * Fewest nodes the pool scales to.
   * @default - unknown
   */
  readonly minNodes?: number;
  /**
   * How the nodes are bought.
   * @default - unknown
   */
  readonly market?: PoolMarket;
  /**
   * A price that replaces the catalog's list price.
   * @default - the catalog's price
   */
  readonly pricing?: PoolPricing;
}

/**
 * What every add-on may see of a cluster: where and how to install (providers for a stack, what to wait
 * for, placement of add-on pods and their hook jobs, storage class), where the cluster is (region,
 * network, resource group, tags), how a pod gets a cloud identity, and the cloud's data services.
 * Implemented by GpuInferenceCluster (EKS or AKS) and ExistingCluster; add-ons never branch on the cloud.
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
  /** The network of the cluster. */
  readonly network: ClusterNetwork;
  /** The cloud's data services (object store, PostgreSQL, cache) next to this cluster. */
  readonly dataServices: IDataServices;
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
  /** Node selector that places add-on pods (and their charts' hook jobs) on the system pool. */
  readonly systemNodeSelector: { [key: string]: string };
  /** Tolerations add-on pods need on the system pool (AKS taints it CriticalAddonsOnly). */
  readonly systemTolerations: PodToleration[];
  /**
   * Node selector for ordinary workloads: pods that need no accelerator and are not platform add-ons
   * (applications, CPU jobs, a tenant's CPU quota). With `workloadTolerations` it places them on untainted
   * general-purpose nodes (the AKS 'general' pool, the EKS system group), never on accelerator nodes. Empty
   * means any untainted node.
   */
  readonly workloadNodeSelector: { [key: string]: string };
  /** Tolerations ordinary workloads need on those nodes (none, unless the only such nodes are tainted). */
  readonly workloadTolerations: PodToleration[];
  /** StorageClass for persistent volumes of add-ons (encrypted block storage, retained on release). */
  readonly storageClassName: string;
  /** Binds a service account to a new cloud identity. */
  bindServiceAccount(scope: Construct, id: string, options: ServiceAccountBindingOptions): IWorkloadIdentity;
  /**
   * Maps a team's cloud principal to a Kubernetes group for one namespace (an EKS access entry with
   * `kubernetes_groups`; on AKS the Entra group id is the group, plus namespace-scoped Azure RBAC), for a
   * RoleBinding in that namespace to name.
   */
  grantNamespaceAdmin(scope: Construct, id: string, options: NamespaceAdminOptions): NamespaceAdminGrant;
  /**
   * Annotations a LoadBalancer Service needs on this cloud: `internal` puts it on private addresses of the
   * cluster's network (an internal NLB on EKS, the internal Azure load balancer on AKS); otherwise it is
   * internet-facing (restrict it with the Service's `loadBalancerSourceRanges`).
   */
  loadBalancerServiceAnnotations(internal: boolean): { [key: string]: string };
  /**
   * Where resources that must outlive the cluster go (retained data, its keys, subnet groups, security groups
   * without node rules, private endpoints and DNS zones): with a data stack, a construct there standing for
   * `scope` (same path, created once); without one, `scope` itself. What refers to the cluster (rules from
   * the node security group, IAM, role assignments to workload identities, Kubernetes objects) stays under
   * `scope`, so the data stack never reads the cluster's stack.
   */
  dataScope(scope: Construct): Construct;
}

/**
 * What accelerator add-ons (monitoring, serving, quotas) need beyond IPlatformCluster: the pools with the
 * labels, taints and per-node capacity they advertise, the MIG strategy, and who owns the GPU stack.
 */
export interface IAcceleratorCluster extends IPlatformCluster {
  /** The accelerator pools. */
  readonly acceleratorPools: AcceleratorPoolInfo[];
  /** The device plugin MIG strategy of the cluster: 'none', 'single' or 'mixed'. */
  readonly migStrategy: string;
  /**
   * Namespace of the NVIDIA GPU operator, when the cluster runs one (its DCGM exporter is then the one to scrape).
   * @default - no GPU operator
   */
  readonly gpuOperatorNamespace?: string;
  /** True when the node image ships the NVIDIA driver and container toolkit (the GPU operator must not install them). */
  readonly gpuDriverPreinstalled: boolean;
}

/** How in-cluster resources reach a cluster from a given stack. */
export interface IClusterInstallTarget {
  /** Kubernetes and Helm providers for `scope`'s stack. */
  providers(scope: IConstruct): ClusterProviders;
  /** What in-cluster resources of `scope`'s stack wait for. */
  addonDependencies(scope: IConstruct): ITerraformDependable[];
}

/**
 * The part of a cluster only its cloud can answer, built by a cloud backend (new cluster) or by
 * ExistingCluster (one brought along). GpuInferenceCluster and ExistingCluster turn it into the contract.
 */
export interface ICloudCluster extends IConstruct, IClusterInstallTarget {
  /** The cloud. */
  readonly cloudProvider: CloudProvider;
  /** Cluster name as the cloud knows it. */
  readonly clusterName: string;
  /** Region (AWS) or location (Azure). */
  readonly region: string;
  /** URL of the API server. */
  readonly apiEndpoint: string;
  /** Command that writes a kubeconfig entry. */
  readonly kubeconfigCommand: string;
  /**
   * Resource group (Azure).
   * @default - none
   */
  readonly resourceGroupName?: string;
  /** The network of the cluster. */
  readonly network: ClusterNetwork;
  /** The cloud's data services. */
  readonly dataServices: IDataServices;
  /** Node selector of the system pool. */
  readonly systemNodeSelector: { [key: string]: string };
  /** Tolerations of the system pool. */
  readonly systemTolerations: PodToleration[];
  /** Node selector of the nodes for ordinary workloads (no accelerator, not add-ons). */
  readonly workloadNodeSelector: { [key: string]: string };
  /** Tolerations ordinary workloads need on those nodes. */
  readonly workloadTolerations: PodToleration[];
  /** StorageClass for add-on volumes. */
  readonly storageClassName: string;
  /** True when node images carry the NVIDIA driver. */
  readonly gpuDriverPreinstalled: boolean;
  /** The accelerator pools, as their nodes appear. */
  readonly acceleratorPools: AcceleratorPoolInfo[];
  /** Binds a service account to a new cloud identity. */
  bindServiceAccount(scope: Construct, id: string, options: ServiceAccountBindingOptions): IWorkloadIdentity;
  /**
   * Maps a team's cloud principal to a Kubernetes group for one namespace (an EKS access entry with
   * `kubernetes_groups`; on AKS the Entra group id is the group, plus namespace-scoped Azure RBAC), for a
   * RoleBinding in that namespace to name.
   */
  grantNamespaceAdmin(scope: Construct, id: string, options: NamespaceAdminOptions): NamespaceAdminGrant;
  /** Annotations of a LoadBalancer Service on this cloud, internal or internet-facing. */
  loadBalancerServiceAnnotations(internal: boolean): { [key: string]: string };
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
  /**
   * The stack for what outlives the cluster: the network the cloud creates and retained data of services.
   * @default - none: everything in the cluster's stack
   */
  readonly dataStack?: TerraformStack;
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
  /**
   * The options resources of a data stack are built from (network, location, resource group), by prop name
   * (`cloud.<option>`): with `dataStack`, none may be a value of another stack.
   */
  dataStackValues(): { [prop: string]: unknown };
  /** Creates the cluster, its pools and cloud-specific add-ons under `scope`. */
  createCluster(scope: Construct, id: string, spec: ClusterSpec): ICloudCluster;
  /**
   * Installs the cloud's own in-cluster add-ons (autoscaler, device plugins) under `spec.inClusterScope`,
   * once the cluster is whole; `cloudCluster` is what createCluster returned.
   */
  installAddons(cloudCluster: ICloudCluster, cluster: IAcceleratorCluster, spec: ClusterSpec): void;
}

/**
 * What ExistingCluster knows of a cluster brought along, on every cloud: the description its props give,
 * resolved to values (pools as their nodes appear, defaults filled in).
 */
export interface ExistingClusterSpec {
  /** Cluster name as the cloud knows it. */
  readonly clusterName: string;
  /** Pools, as their nodes appear. */
  readonly acceleratorPools: AcceleratorPoolInfo[];
  /**
   * StorageClass for add-on volumes.
   * @default - the cloud decides (a class of the library's on EKS; none on AKS, which the import reports)
   */
  readonly storageClassName?: string;
  /** Node selector of the nodes for add-ons. */
  readonly systemNodeSelector: { [key: string]: string };
  /** Tolerations add-ons need there. */
  readonly systemTolerations: PodToleration[];
  /** Node selector for ordinary workloads. */
  readonly workloadNodeSelector: { [key: string]: string };
  /** Tolerations ordinary workloads need. */
  readonly workloadTolerations: PodToleration[];
  /** True when node images carry the NVIDIA driver. */
  readonly gpuDriverPreinstalled: boolean;
  /** Tags for cloud resources the library creates. */
  readonly tags: { [key: string]: string };
  /**
   * The stack for what outlives the cluster.
   * @default - none
   */
  readonly dataStack?: TerraformStack;
}

/**
 * A cloud's way to bring along a cluster it did not create, the counterpart of ICloudBackend for
 * ExistingCluster: checks of the cloud-specific props, the values a data stack reads, and the ICloudCluster
 * reading the cluster through the cloud's data source.
 */
export interface IClusterImport {
  /** Cloud-specific checks of the props, as `<prop> <value> …; <fix>` messages. */
  validate(): string[];
  /** The cloud-specific values resources of a data stack are built from, by prop name. */
  dataStackValues(): { [prop: string]: unknown };
  /** Reads the cluster under `scope` (the ExistingCluster), as child `id`. */
  importCluster(scope: Construct, id: string, spec: ExistingClusterSpec): ICloudCluster;
}
