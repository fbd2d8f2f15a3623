import { requireClusterObject } from '../private/cluster-checks';
import { lazyModule } from '../private/lazy';
import { Annotations, Fn, ITerraformDependable, Op, TerraformStack, Token } from 'cdktf';
import type { EntraPrincipal } from './data';
import { Construct, IConstruct } from 'constructs';
import {
  AcceleratorPoolInfo,
  ClusterNetwork,
  ClusterProviders,
  CloudProvider,
  ExistingClusterSpec,
  ICloudCluster,
  IClusterImport,
  IWorkloadIdentity,
  NamespaceAdminGrant,
  NamespaceAdminOptions,
  PodToleration,
  ServiceAccountBindingOptions,
} from '../core/cluster';
import { dataScopeIn } from '../core/data-scope';
import { IDataServices } from '../core/data-services';
import { ClusterAccess } from '../private/cluster-access';
import { AZURERM_LOGIN, aksKubeconfigCommand, kubeloginExec, validateKubeloginMode } from './kubelogin';
import { validateAksClusterName, validateAzureTags, validateGuid, validateIds, validateResourceGroupName } from '../private/validation';
import { AzureDataServices } from './data';
import { FederatedWorkloadIdentity, federatedIdentityName } from './workload-identity';
import { grantAksNamespaceAdmin } from './namespace-admin';
import { RetainedVolumeAccess } from './retained-volumes';
import { aksLoadBalancerAnnotations } from './load-balancer';

const dataAzurermKubernetesClusterLib = lazyModule<typeof import('@cdktf/provider-azurerm/lib/data-azurerm-kubernetes-cluster')>(
  '@cdktf/provider-azurerm/lib/data-azurerm-kubernetes-cluster',
);

/** What the library needs to know of an AKS cluster it did not create. */
export interface ExistingAksCloudClusterProps {
  /** Cluster name. */
  readonly clusterName: string;
  /** Resource group of the cluster. */
  readonly resourceGroupName: string;
  /** Pools, as their nodes appear. */
  readonly acceleratorPools: AcceleratorPoolInfo[];
  /** StorageClass for add-on volumes. */
  readonly storageClassName: string;
  /** Node selector of the pool for add-ons. */
  readonly systemNodeSelector: { [key: string]: string };
  /** Tolerations for that pool. */
  readonly systemTolerations: PodToleration[];
  /** Node selector for ordinary workloads. */
  readonly workloadNodeSelector: { [key: string]: string };
  /** Tolerations ordinary workloads need. */
  readonly workloadTolerations: PodToleration[];
  /** Whether node images carry the NVIDIA driver. */
  readonly gpuDriverPreinstalled: boolean;
  /**
   * Subnet for private endpoints of data services (in the VNet the nodes use).
   * @default - none: data services report that they need one
   */
  readonly privateEndpointSubnetId?: string;
  /** kubelogin login mode: 'azurerm' (the azurerm provider's ARM_* credential) or one of kubelogin's. */
  readonly kubeloginMode: string;
  /**
   * Principal id of a user-assigned control-plane identity.
   * @default - the system-assigned identity's, read from the cluster
   */
  readonly controlPlanePrincipalId?: string;
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
  /** Tags for resources the library creates. */
  readonly tags: { [key: string]: string };
  /**
   * The stack for what outlives the cluster (retained data of services); it reads the cluster through a
   * data source of its own.
   * @default - none: everything in this construct's stack
   */
  readonly dataStack?: TerraformStack;
}

/**
 * An AKS cluster the library did not create, read through the `azurerm_kubernetes_cluster` data source:
 * providers with kubelogin (Entra ID), federated workload identities on its OIDC issuer (OIDC issuer and
 * workload identity must be enabled on it) and the data services in its VNet.
 */
export class ExistingAksCloudCluster extends Construct implements ICloudCluster {
  public readonly cloudProvider = CloudProvider.AZURE;
  public readonly clusterName: string;
  public readonly region: string;
  public readonly apiEndpoint: string;
  public readonly kubeconfigCommand: string;
  public readonly resourceGroupName?: string;
  public readonly network: ClusterNetwork;
  public readonly dataServices: IDataServices;
  public readonly systemNodeSelector: { [key: string]: string };
  public readonly systemTolerations: PodToleration[];
  public readonly workloadNodeSelector: { [key: string]: string };
  public readonly workloadTolerations: PodToleration[];
  public readonly storageClassName: string;
  public readonly gpuDriverPreinstalled: boolean;
  public readonly acceleratorPools: AcceleratorPoolInfo[];
  private readonly access: ClusterAccess;
  private readonly oidcIssuerUrl: string;
  private readonly clusterId: string;
  private readonly tags: { [key: string]: string };

  constructor(scope: Construct, id: string, props: ExistingAksCloudClusterProps) {
    super(scope, id);
    const data = new (dataAzurermKubernetesClusterLib().DataAzurermKubernetesCluster)(this, 'Lookup', {
      name: props.clusterName,
      resourceGroupName: props.resourceGroupName,
    });
    this.clusterName = props.clusterName;
    this.resourceGroupName = props.resourceGroupName;
    this.tags = props.tags;
    // Resources of a data stack are placed in the cluster's location as that stack reads it.
    const home = dataScopeIn(props.dataStack, this);
    this.region =
      home === this
        ? data.location
        : new (dataAzurermKubernetesClusterLib().DataAzurermKubernetesCluster)(home, 'Lookup', {
            name: props.clusterName,
            resourceGroupName: props.resourceGroupName,
          }).location;
    this.oidcIssuerUrl = data.oidcIssuerUrl;
    this.clusterId = data.id;
    const kube = data.kubeConfig.get(0);
    this.apiEndpoint = kube.host;
    this.kubeconfigCommand = aksKubeconfigCommand(props.resourceGroupName, props.clusterName, props.kubeloginMode);
    // A subnet id is '<vnet id>/subnets/<name>'. A cluster whose VNet AKS made has no subnet of the user's
    // for endpoints: data services then report that they need one.
    const subnetId = props.privateEndpointSubnetId;
    this.network = subnetId
      ? { networkId: Fn.replace(subnetId, '//subnets/[^/]+$/', ''), privateSubnetIds: [subnetId] }
      : { networkId: '', privateSubnetIds: [] };
    this.systemNodeSelector = props.systemNodeSelector;
    this.systemTolerations = props.systemTolerations;
    this.workloadNodeSelector = props.workloadNodeSelector;
    this.workloadTolerations = props.workloadTolerations;
    this.storageClassName = props.storageClassName;
    this.gpuDriverPreinstalled = props.gpuDriverPreinstalled;
    this.acceleratorPools = props.acceleratorPools;
    this.access = new ClusterAccess(this, {
      connection: {
        host: kube.host,
        clusterCaCertificate: Fn.base64decode(kube.clusterCaCertificate),
        ...kubeloginExec(props.kubeloginMode),
      },
    });
    this.dataServices = new AzureDataServices({
      clusterName: props.clusterName,
      location: this.region,
      resourceGroupName: props.resourceGroupName,
      network: this.network,
      tags: props.tags,
      cluster: this,
      privateDnsZoneIds: props.privateDnsZoneIds,
      databaseAdministrator: props.databaseAdministrator,
      dataStack: props.dataStack,
      // Shared file systems keep their shares in the cluster's resource group, not in its node resource group.
      retainedVolumes: new RetainedVolumeAccess(this, 'RetainedVolumes', {
        resourceGroupName: props.resourceGroupName,
        clusterPrincipalId: props.controlPlanePrincipalId ?? data.identity.get(0).principalId,
        // Only a system-assigned identity has a principal id on the cluster (a service-principal cluster has
        // no identity at all): said at plan, by the grant that needs it, and only when something needs it.
        principalCheck:
          props.controlPlanePrincipalId === undefined
            ? {
                condition: Token.asString(Op.eq(Fn.try([data.identity.get(0).type, '']), 'SystemAssigned')),
                errorMessage: `AKS cluster ${props.clusterName} does not run its control plane as a system-assigned identity, whose principal id the retained-volume grant needs; pass controlPlanePrincipalId (the object id of its user-assigned identity) to ExistingCluster.fromAks.`,
              }
            : undefined,
      }),
    });
    // The class the user names must exist: plan says so otherwise, instead of claims pending forever.
    if (props.storageClassName !== '' && !Token.isUnresolved(props.storageClassName))
      requireClusterObject(this, 'StorageClassCheck', this.access.providers(this).kubernetes, {
        apiVersion: 'storage.k8s.io/v1',
        kind: 'StorageClass',
        name: props.storageClassName,
        errorMessage: `StorageClass ${props.storageClassName} (storageClassName) does not exist in AKS cluster ${props.clusterName}; create it (reclaimPolicy Retain) or name one the cluster has.`,
      });
  }

  public providers(scope: IConstruct): ClusterProviders {
    return this.access.providers(scope);
  }

  public addonDependencies(scope: IConstruct): ITerraformDependable[] {
    return this.access.dependenciesFor(scope);
  }

  public loadBalancerServiceAnnotations(internal: boolean): { [key: string]: string } {
    return aksLoadBalancerAnnotations(internal);
  }

  public grantNamespaceAdmin(scope: Construct, id: string, o: NamespaceAdminOptions): NamespaceAdminGrant {
    return grantAksNamespaceAdmin(this, this.clusterId, scope, id, o);
  }

  public bindServiceAccount(scope: Construct, id: string, options: ServiceAccountBindingOptions): IWorkloadIdentity {
    return new FederatedWorkloadIdentity(scope, id, {
      identityName: federatedIdentityName(this.clusterName, id),
      resourceGroupName: this.resourceGroupName!,
      location: this.region,
      oidcIssuerUrl: this.oidcIssuerUrl,
      namespace: options.namespace,
      serviceAccountName: options.serviceAccountName,
      tags: this.tags,
    });
  }
}

/** The AKS-specific props of `ExistingCluster.fromAks` (ExistingAksClusterProps). */
export interface ExistingAksOptions {
  /** Cluster name. */
  readonly clusterName: string;
  /** Resource group of the cluster. */
  readonly resourceGroupName: string;
  /**
   * Tags, as the user gave them.
   * @default - none
   */
  readonly tags?: { [key: string]: string };
  /**
   * StorageClass for add-on volumes.
   * @default - none, which is reported: AKS's own classes delete the disk with the claim
   */
  readonly storageClassName?: string;
  /**
   * Subnet for private endpoints of data services.
   * @default - none
   */
  readonly privateEndpointSubnetId?: string;
  /**
   * Private DNS zones that already serve the VNet, by zone name.
   * @default - data services create their own
   */
  readonly privateDnsZoneIds?: { [zoneName: string]: string };
  /**
   * The Entra administrator of PostgreSQL servers.
   * @default - the identity running Terraform
   */
  readonly databaseAdministrator?: EntraPrincipal;
  /**
   * kubelogin login mode.
   * @default 'azurerm'
   */
  readonly kubeloginMode?: string;
  /**
   * Principal id of a user-assigned control-plane identity.
   * @default - the system-assigned identity's
   */
  readonly controlPlanePrincipalId?: string;
}

/** The taint AKS puts on a system pool reserved for add-ons. */
const AKS_CRITICAL_ADDONS_TAINT = 'CriticalAddonsOnly';
/** AKS's own disk classes: they delete the disk with the claim. */
const AKS_DELETE_CLASSES = ['default', 'managed', 'managed-csi', 'managed-csi-premium', 'managed-premium'];

/** Brings an AKS cluster along for ExistingCluster.fromAks. */
export class AksClusterImport implements IClusterImport {
  constructor(private readonly options: ExistingAksOptions) {}

  public validate(): string[] {
    const o = this.options;
    const problems = [
      ...validateAksClusterName('clusterName', o.clusterName),
      ...validateGuid('controlPlanePrincipalId', o.controlPlanePrincipalId, "a managed identity's object id"),
      ...validateResourceGroupName('resourceGroupName', o.resourceGroupName),
      ...validateAzureTags('tags', o.tags),
      ...validateIds(
        'privateEndpointSubnetId',
        o.privateEndpointSubnetId !== undefined ? [o.privateEndpointSubnetId] : undefined,
        '/subscriptions/…/subnets/endpoints',
      ),
      ...validateKubeloginMode('kubeloginMode', o.kubeloginMode ?? AZURERM_LOGIN),
    ];
    // AKS makes no class that keeps the disk when the claim goes: the platform team names one that does.
    if (o.storageClassName === undefined)
      problems.push(
        'storageClassName undefined has no default on AKS, whose built-in classes delete the disk with the claim; name a StorageClass of the cluster with reclaimPolicy Retain (disk.csi.azure.com, parameters.resourceGroup outside the node resource group)',
      );
    return problems;
  }

  public dataStackValues(): { [prop: string]: unknown } {
    const o = this.options;
    return {
      resourceGroupName: o.resourceGroupName,
      privateEndpointSubnetId: o.privateEndpointSubnetId,
      privateDnsZoneIds: o.privateDnsZoneIds,
      databaseAdministrator: o.databaseAdministrator,
    };
  }

  public importCluster(scope: Construct, id: string, spec: ExistingClusterSpec): ICloudCluster {
    const o = this.options;
    const storageClassName = spec.storageClassName ?? '';
    if (!Token.isUnresolved(storageClassName) && AKS_DELETE_CLASSES.includes(storageClassName))
      Annotations.of(scope).addWarning(
        `storageClassName '${storageClassName}' is an AKS built-in class with reclaimPolicy Delete: add-on data (metrics, vector indexes) is deleted with its claim; name a class with reclaimPolicy Retain`,
      );
    // AKS taints a system pool reserved for add-ons CriticalAddonsOnly=true:NoSchedule; tolerating it lets
    // add-ons run there (and is harmless where no pool carries it), as on clusters this library creates.
    const systemTolerations = spec.systemTolerations.some((t) => t.key === AKS_CRITICAL_ADDONS_TAINT)
      ? spec.systemTolerations
      : [...spec.systemTolerations, { key: AKS_CRITICAL_ADDONS_TAINT, operator: 'Exists' }];
    return new ExistingAksCloudCluster(scope, id, {
      ...spec,
      systemTolerations,
      storageClassName,
      resourceGroupName: o.resourceGroupName,
      privateEndpointSubnetId: o.privateEndpointSubnetId,
      kubeloginMode: o.kubeloginMode ?? AZURERM_LOGIN,
      controlPlanePrincipalId: o.controlPlanePrincipalId,
      privateDnsZoneIds: o.privateDnsZoneIds,
      databaseAdministrator: o.databaseAdministrator,
    });
  }
}
