import { TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import { importAks, importEks } from './cloud';
import type { EntraPrincipal } from './cloud';
import { ExistingClusterSpec, IClusterImport, ICloudCluster, PodToleration } from './core/cluster';
import { ExistingPoolProps, existingPoolInfo, validateExistingPool } from './core/existing-pool';
import { KubernetesVersion } from './core/kubernetes-version';
import { PlatformClusterBase } from './core/platform-cluster-base';
import { reportProblems } from './private/problems';
import { PlatformReport } from './cost/platform-report';
import { K8sName, validateK8sName, validateLabels, validateTolerations } from './private/validation';
import { skipCreationStacks } from './private/creation-stacks';

/** What every existing cluster is described by. */
export interface ExistingClusterBaseProps {
  /** Cluster name as the cloud knows it (a Terraform variable works too). */
  readonly clusterName: string;
  /**
   * Kubernetes version of the cluster (picks image tags of version-bound add-ons).
   * @default KubernetesVersion.DEFAULT
   */
  readonly kubernetesVersion?: KubernetesVersion;
  /** The accelerator pools, described by the labels, taints and capacity of their nodes. */
  readonly acceleratorPools: ExistingPoolProps[];
  /**
   * A StorageClass of the cluster for add-on volumes (encrypted; Retain recommended); `terraform plan`
   * fails when the cluster lacks it. Required on AKS, whose built-in classes delete the disk with the claim.
   * @default - on EKS, an encrypted gp3 class the library creates (see `installEbsCsiDriver`)
   */
  readonly storageClassName?: string;
  /**
   * Node selector for add-on pods and their charts' hook jobs.
   * @default - none: add-ons run on any untainted node
   */
  readonly systemNodeSelector?: { [key: string]: string };
  /**
   * Tolerations add-on pods need on those nodes. On AKS the `CriticalAddonsOnly` taint of a system pool
   * reserved for add-ons (`only_critical_addons_enabled`) is always tolerated as well.
   * @default - none (on AKS: CriticalAddonsOnly)
   */
  readonly systemTolerations?: PodToleration[];
  /**
   * Node selector for ordinary workloads (no accelerator, not add-ons: applications, CPU jobs); add-ons such
   * as tenancy place CPU work with it.
   * @default - none: any untainted node
   */
  readonly workloadNodeSelector?: { [key: string]: string };
  /**
   * Tolerations ordinary workloads need on those nodes.
   * @default - none
   */
  readonly workloadTolerations?: PodToleration[];
  /**
   * Namespace of the NVIDIA GPU operator the platform team runs; ObservabilityStack then scrapes its DCGM
   * exporter instead of installing another.
   * @default - no GPU operator: ObservabilityStack installs the standalone DCGM exporter
   */
  readonly gpuOperatorNamespace?: string;
  /**
   * True when the node images carry the NVIDIA driver and container toolkit.
   * @default true
   */
  readonly gpuDriverPreinstalled?: boolean;
  /**
   * MIG strategy of the cluster's device plugin: 'none', 'single' or 'mixed'.
   * @default - 'mixed' when a pool advertises nvidia.com/mig-* resources, else 'none'
   */
  readonly migStrategy?: string;
  /**
   * Tags for cloud resources add-ons create.
   * @default - { 'managed-by': 'cdktf-ai-platform', 'ai-platform-cluster': clusterName }
   */
  readonly tags?: { [key: string]: string };
  /**
   * A stack of its own for what must outlive the workloads installed here: every retained stateful resource
   * created through this cluster (ObjectStore, PostgresDatabase, KeyValueCache, shared file systems,
   * Prometheus workspaces, with their keys, subnet groups, security groups, private endpoints and DNS
   * zones). Deploy it first; `cdktf destroy <this stack>` then leaves it whole. Values its resources are
   * built from (cluster name, subnets, resource group) must be literals or variables of that stack.
   * @default - everything in this construct's stack
   */
  readonly dataStack?: TerraformStack;
}

/** An EKS cluster the platform team already runs. */
export interface ExistingEksClusterProps extends ExistingClusterBaseProps {
  /**
   * Private subnets (two zones or more) for data services.
   * @default - none: data services (ObjectStore excepted) report that they need them
   */
  readonly privateSubnetIds?: string[];
  /**
   * The security group every node carries; data services admit traffic from it only.
   * @default - the EKS cluster security group
   */
  readonly nodeSecurityGroupId?: string;
  /**
   * Install the `aws-ebs-csi-driver` EKS add-on (with its own Pod Identity) that the library's gp3
   * StorageClass needs. Only for a cluster without the driver: creating an add-on the cluster already runs
   * fails (ResourceInUseException); import it instead, or leave this off.
   * @default false - the driver must already run; `terraform plan` fails, saying so, when it does not
   */
  readonly installEbsCsiDriver?: boolean;
}

/** An AKS cluster the platform team already runs. */
export interface ExistingAksClusterProps extends ExistingClusterBaseProps {
  /** Resource group of the cluster. */
  readonly resourceGroupName: string;
  /**
   * Subnet for private endpoints of data services, in the VNet of the nodes.
   * @default - none: data services report that they need one
   */
  readonly privateEndpointSubnetId?: string;
  /**
   * Private DNS zones that already serve the VNet (a hub's central `privatelink.*` zones), by zone name,
   * e.g. `{ 'privatelink.blob.core.windows.net': '<zone id>' }`: data services register their private
   * endpoints there instead of creating and linking their own (a VNet takes one zone of a name only).
   * @default - data services create each zone in the cluster's resource group and link it to the VNet
   */
  readonly privateDnsZoneIds?: { [zoneName: string]: string };
  /**
   * The Entra administrator of PostgreSQL servers the data services create (an Entra group is best).
   * @default - the identity running Terraform (User when signed in through the Azure CLI, else ServicePrincipal)
   */
  readonly databaseAdministrator?: EntraPrincipal;
  /**
   * How the Kubernetes and Helm providers sign in (kubelogin, Entra ID): 'azurerm' uses the credential of
   * the azurerm provider's ARM_* variables (through `sh`), or one of kubelogin's modes ('azurecli', 'azd',
   * 'spn', 'msi', 'workloadidentity', 'azurepipelines') with kubelogin's variables. The identity needs
   * 'Azure Kubernetes Service RBAC Cluster Admin' (or a binding as cluster-admin) on the cluster.
   * @default 'azurerm'
   */
  readonly kubeloginMode?: string;
  /**
   * Object (principal) id of the cluster's control-plane identity, when it is user-assigned. The Azure Disk
   * and Azure Files CSI drivers act as it; it is granted Contributor on `resourceGroupName`, where shared
   * file systems keep their shares (AKS deletes the node resource group with the cluster).
   * @default - the system-assigned identity's principal id, read from the cluster (plan fails with the fix
   * when the cluster uses a user-assigned one)
   */
  readonly controlPlanePrincipalId?: string;
}

const MIG_STRATEGIES = ['none', 'single', 'mixed'];

/**
 * A cluster this library did not create, for add-ons (ObservabilityStack, data services, ...) to install
 * into without creating one: it is found by name through the cloud's data source, its pools are described
 * by labels, taints and capacity. Terraform must be able to reach its API server and hold cluster-admin
 * rights on it; nothing is waited for.
 *
 * ```ts fixture=aws
 * const cluster = ExistingCluster.fromEks(this, 'Shared', {
 *   clusterName: 'platform-prod',
 *   acceleratorPools: [{ name: 'h100', labels: { 'nvidia.com/gpu.product': 'NVIDIA-H100-80GB-HBM3' },
 *     taints: [{ key: 'nvidia.com/gpu', value: 'true', effect: TaintEffect.NO_SCHEDULE }],
 *     capacity: [{ name: 'nvidia.com/gpu', count: 8 }], maxNodes: 4 }],
 * });
 * ```
 */
export class ExistingCluster extends PlatformClusterBase {
  /** An EKS cluster found by name (data source `aws_eks_cluster`). */
  public static fromEks(scope: Construct, id: string, props: ExistingEksClusterProps): ExistingCluster {
    return new ExistingCluster(scope, id, props, importEks(props));
  }

  /**
   * An AKS cluster found by name and resource group (data source `azurerm_kubernetes_cluster`). Nothing is
   * granted to the cluster's own identity: on a subnet of your VNet its control-plane identity must already
   * hold 'Network Contributor' (or subnets/join/action and subnets/read) there, or internal LoadBalancer
   * Services fail.
   */
  public static fromAks(scope: Construct, id: string, props: ExistingAksClusterProps): ExistingCluster {
    return new ExistingCluster(scope, id, props, importAks(props));
  }

  public readonly kubernetesVersion: KubernetesVersion;
  public readonly tags: { [key: string]: string };
  public readonly migStrategy: string;
  private readonly cloud: ICloudCluster;
  private readonly operatorNamespace?: string;

  private constructor(scope: Construct, id: string, props: ExistingClusterBaseProps, cloud: IClusterImport) {
    super(scope, id);
    skipCreationStacks(this);
    this.kubernetesVersion = props.kubernetesVersion ?? KubernetesVersion.DEFAULT;
    this.tags = props.tags ?? { 'managed-by': 'cdktf-ai-platform', 'ai-platform-cluster': props.clusterName };
    const hasMig = props.acceleratorPools.some((p) => p.capacity.some((c) => c.name.startsWith('nvidia.com/mig-')));
    this.migStrategy = props.migStrategy ?? (hasMig ? 'mixed' : 'none');
    this.operatorNamespace = props.gpuOperatorNamespace;
    const names = new Set<string>();
    const problems = [...cloud.validate(), ...props.acceleratorPools.flatMap((p) => validateExistingPool(p, names))];
    if (!MIG_STRATEGIES.includes(this.migStrategy))
      problems.push(`migStrategy '${this.migStrategy}' is not a device plugin MIG strategy; use one of ${MIG_STRATEGIES.join(', ')}`);
    problems.push(
      ...validateK8sName('storageClassName', props.storageClassName, K8sName.SUBDOMAIN, 'gp3-encrypted'),
      ...validateK8sName('gpuOperatorNamespace', props.gpuOperatorNamespace, K8sName.LABEL, 'gpu-operator'),
      ...validateLabels('systemNodeSelector', props.systemNodeSelector),
      ...validateTolerations('systemTolerations', props.systemTolerations),
    );
    problems.push(
      ...this._useDataStack(props.dataStack, { values: { clusterName: props.clusterName, tags: this.tags, ...cloud.dataStackValues() } }),
    );
    this.warnOfRetainedData('add-ons installed on the cluster');
    reportProblems(this, problems);
    this.cloud = cloud.importCluster(this, 'Cluster', this.spec(props));
    PlatformReport.of(this).addCluster(this);
  }

  /** The cloud-specific half (data sources, providers, identities). */
  public get cloudCluster(): ICloudCluster {
    return this.cloud;
  }

  public get gpuOperatorNamespace(): string | undefined {
    return this.operatorNamespace;
  }

  private spec(props: ExistingClusterBaseProps): ExistingClusterSpec {
    return {
      clusterName: props.clusterName,
      acceleratorPools: props.acceleratorPools.map(existingPoolInfo),
      storageClassName: props.storageClassName,
      systemNodeSelector: { ...(props.systemNodeSelector ?? {}) },
      systemTolerations: [...(props.systemTolerations ?? [])],
      workloadNodeSelector: { ...(props.workloadNodeSelector ?? {}) },
      workloadTolerations: [...(props.workloadTolerations ?? [])],
      gpuDriverPreinstalled: props.gpuDriverPreinstalled ?? true,
      tags: this.tags,
      dataStack: this.dataStack,
    };
  }
}
