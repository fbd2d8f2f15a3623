import { lazyModule } from '../private/lazy';
import type { KubernetesCluster } from '@cdktf/provider-azurerm/lib/kubernetes-cluster';
import type { KubernetesClusterNodePool } from '@cdktf/provider-azurerm/lib/kubernetes-cluster-node-pool';
import type { RoleAssignment } from '@cdktf/provider-azurerm/lib/role-assignment';
import type { UserAssignedIdentity } from '@cdktf/provider-azurerm/lib/user-assigned-identity';
import { Fn, ITerraformDependable, Token } from 'cdktf';
import type { EntraPrincipal } from './data';
import { Construct, IConstruct } from 'constructs';
import {
  AcceleratorPoolInfo,
  ClusterNetwork,
  ClusterProviders,
  ClusterSpec,
  CloudProvider,
  ICloudCluster,
  IWorkloadIdentity,
  NamespaceAdminGrant,
  NamespaceAdminOptions,
  PodToleration,
  ServiceAccountBindingOptions,
} from '../core/cluster';
import { IDataServices } from '../core/data-services';
import { AzureDataServices } from './data';
import { ClusterAccess } from '../private/cluster-access';
import { Duration } from '../core/duration';
import { ExtendedResource, GpuNodePool, NodeTaint, PlatformLabels, acceleratorPoolInfo } from '../core/node-pool';
import { waitAfter } from '../private/time';
import { selectAzureVmSize } from './vm-size-selection';
import { FederatedWorkloadIdentity, federatedIdentityName } from './workload-identity';
import { grantAksNamespaceAdmin } from './namespace-admin';
import { aksKubeconfigCommand, kubeloginExec } from './kubelogin';
import { RetainedVolumeAccess } from './retained-volumes';
import {
  AksPoolTarget,
  GENERAL_POOL,
  aksAcceleratorPool,
  aksGeneralPool,
  aksPoolLabels,
  aksPoolTaints,
  upgradeSettings,
} from './aks-node-pools';
import { dataScopeIn } from '../core/data-scope';
import {
  AksAuditWorkspace,
  AksSecurityOptions,
  AksSecretsKey,
  aksControlPlaneLogs,
  aksSecretsVaultName,
  grantKeyToCluster,
} from './aks-security';
import type { MonitorDiagnosticSetting } from '@cdktf/provider-azurerm/lib/monitor-diagnostic-setting';
import { aksLoadBalancerAnnotations } from './load-balancer';

const dataAzurermClientConfigLib = lazyModule<typeof import('@cdktf/provider-azurerm/lib/data-azurerm-client-config')>(
  '@cdktf/provider-azurerm/lib/data-azurerm-client-config',
);
const kubernetesClusterLib = lazyModule<typeof import('@cdktf/provider-azurerm/lib/kubernetes-cluster')>(
  '@cdktf/provider-azurerm/lib/kubernetes-cluster',
);
const roleAssignmentLib = lazyModule<typeof import('@cdktf/provider-azurerm/lib/role-assignment')>(
  '@cdktf/provider-azurerm/lib/role-assignment',
);
const userAssignedIdentityLib = lazyModule<typeof import('@cdktf/provider-azurerm/lib/user-assigned-identity')>(
  '@cdktf/provider-azurerm/lib/user-assigned-identity',
);

export { AKS_ENTRA_SERVER_ID } from './kubelogin';
/** Options of the AKS cluster, from `Cloud.azure({...})`. */
export interface AksPlatformClusterProps extends AksSecurityOptions {
  /** Validated cluster spec. */
  readonly spec: ClusterSpec;
  /** Location. */
  readonly location: string;
  /** Resource group name. */
  readonly resourceGroupName: string;
  /** Node subnet id. */
  readonly nodeSubnetId: string;
  /** Id of the virtual network of the node subnet. */
  readonly vnetId: string;
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
  /** Authorized IP ranges (may be a Terraform list token); empty means a private cluster. */
  readonly authorizedIpRanges: string[];
  /**
   * Object id of the identity that runs Terraform, given 'Azure Kubernetes Service RBAC Cluster Admin'.
   * @default - the signed-in identity (azurerm_client_config)
   */
  readonly deployerPrincipalId?: string;
  /** How long in-cluster resources wait for the deployer's role assignment to apply. */
  readonly rbacPropagationDelay: Duration;
  /** Fewest system nodes. */
  readonly systemMinNodes: number;
  /** Most system nodes. */
  readonly systemMaxNodes: number;
  /**
   * Why Terraform cannot reach the API while creating the cluster.
   * @default - reachable
   */
  readonly unreachableBecause?: string;
  /** Entra ID groups given cluster admin. */
  readonly adminGroupObjectIds: string[];
  /** VM size of the system pool. */
  readonly systemVmSize: string;
  /** VM size of the untainted 'general' pool for ordinary workloads. */
  readonly generalVmSize: string;
  /** Fewest 'general' nodes. */
  readonly generalMinNodes: number;
  /** Most 'general' nodes; 0 leaves the pool out. */
  readonly generalMaxNodes: number;
  /** kubelogin login mode for the providers: 'azurerm' (the azurerm provider's ARM_* credential) or one of kubelogin's. */
  readonly kubeloginMode: string;
  /** Day of the weekly maintenance window. */
  readonly maintenanceDay: string;
  /** Start hour (UTC) of the weekly maintenance window. */
  readonly maintenanceStartHour: number;
}

/**
 * An AKS cluster for AI workloads: private API (or an authorized-IP list), Entra ID with Azure RBAC and
 * local accounts off, OIDC issuer + workload identity, Azure Policy, Key Vault secrets provider, patch
 * auto-upgrades in a maintenance window, Azure CNI overlay with Cilium network policy, a system pool for
 * add-ons only and one user pool per accelerator pool.
 */
export class AksPlatformCluster extends Construct implements ICloudCluster {
  public readonly clusterName: string;
  public readonly cloudProvider = CloudProvider.AZURE;
  // Every GPU pool runs with gpu_driver None: the GPU operator owns driver, toolkit (the 'nvidia' runtime
  // class its operands use) and MIG on all of them, so no node has two owners.
  public readonly gpuDriverPreinstalled = false;
  public readonly systemNodeSelector: { [key: string]: string } = { [PlatformLabels.ROLE]: 'system' };
  public readonly systemTolerations: PodToleration[] = [{ key: 'CriticalAddonsOnly', operator: 'Exists' }];
  public readonly workloadNodeSelector: { [key: string]: string };
  public readonly workloadTolerations: PodToleration[];
  // Premium SSD through AKS's managed CSI driver (encrypted at rest by the platform), retained on release.
  public readonly storageClassName = 'premium-ssd-retain';
  public readonly region: string;
  public readonly apiEndpoint: string;
  public readonly kubeconfigCommand: string;
  public readonly resourceGroupName?: string;
  /** The VNet and the node subnet (where data services put their private endpoints). */
  public readonly network: ClusterNetwork;
  /** Azure Storage, PostgreSQL Flexible Server and Managed Redis behind private endpoints in the VNet. */
  public readonly dataServices: IDataServices;
  /** The AKS cluster resource. */
  public readonly cluster: KubernetesCluster;
  /** User node pool per pool name. */
  public readonly userPools: { [pool: string]: KubernetesClusterNodePool } = {};
  /**
   * The untainted, autoscaled 'general' pool where ordinary workloads run (every other pool is tainted),
   * unless `generalMaxNodes` is 0.
   */
  public readonly generalPool?: KubernetesClusterNodePool;
  /** The deployer's data-plane admin role assignment. */
  public readonly deployerAdmin: RoleAssignment;
  /**
   * The cluster's control-plane identity (cloud provider, autoscaler, CSI drivers act as it on Azure): grant
   * it what the cluster must reach outside its node resource group.
   */
  public readonly controlPlaneIdentity: UserAssignedIdentity;
  /** The control-plane identity's 'Network Contributor' on the node subnet. */
  public readonly subnetAccess: RoleAssignment;
  /** Id of the Log Analytics workspace holding the control-plane (audit) logs. */
  public readonly logAnalyticsWorkspaceId: string;
  /** The diagnostic setting sending control-plane logs (kube-audit-admin, guard, ...) to the workspace. */
  public readonly controlPlaneLogs: MonitorDiagnosticSetting;
  /** Versioned id of the Key Vault key envelope-encrypting Kubernetes secrets, unless secretsEncryption is off. */
  public readonly secretsKeyId?: string;
  private readonly props: AksPlatformClusterProps;
  private readonly access: ClusterAccess;
  private readonly shapes = new Map<string, number>();

  constructor(scope: Construct, id: string, props: AksPlatformClusterProps) {
    super(scope, id);
    this.props = props;
    const spec = props.spec;
    const name = spec.clusterName;
    const tags = spec.tags;
    this.clusterName = name;
    this.region = props.location;
    this.resourceGroupName = props.resourceGroupName;
    this.network = { networkId: props.vnetId, privateSubnetIds: [props.nodeSubnetId] };
    const client = new (dataAzurermClientConfigLib().DataAzurermClientConfig)(this, 'Client', {});
    const isPrivate = !Token.isUnresolved(props.authorizedIpRanges) && props.authorizedIpRanges.length === 0;
    const window = {
      frequency: 'Weekly',
      interval: 1,
      duration: 4,
      dayOfWeek: props.maintenanceDay,
      startTime: `${String(props.maintenanceStartHour).padStart(2, '0')}:00`,
      utcOffset: '+00:00',
    };

    // The control plane acts on the node subnet as its identity (the cloud provider joins internal load
    // balancers to it; AKS validates and reads it). A system-assigned identity only exists once the cluster
    // does, too late to be granted for its creation: this one is made and granted first. Scope: the subnet
    // alone, the role AKS documents for a subnet of the user's (join/action and read are what it uses).
    this.controlPlaneIdentity = new (userAssignedIdentityLib().UserAssignedIdentity)(this, 'ControlPlaneIdentity', {
      name: `${name}-control-plane`,
      resourceGroupName: props.resourceGroupName,
      location: props.location,
      tags,
    });
    this.subnetAccess = new (roleAssignmentLib().RoleAssignment)(this, 'ControlPlaneSubnetAccess', {
      scope: props.nodeSubnetId,
      roleDefinitionName: 'Network Contributor',
      principalId: this.controlPlaneIdentity.principalId,
      // A new identity may not have replicated to every Entra region yet; the type skips that lookup.
      principalType: 'ServicePrincipal',
    });
    // AKS checks the identity's rights on the subnet when it creates the cluster; an assignment takes a
    // while to reach every ARM region, so the cluster waits for it as in-cluster resources wait for theirs.
    const subnetAccessApplied = waitAfter(this, 'ControlPlaneSubnetPropagation', props.rbacPropagationDelay, [this.subnetAccess], {
      assignment: this.subnetAccess.id,
    });

    // Audit logs and the secrets key are data: where retained data lives (the data stack), kept by default.
    const home = dataScopeIn(spec.dataStack, this);
    this.logAnalyticsWorkspaceId =
      props.logAnalyticsWorkspaceId ??
      new AksAuditWorkspace(home, 'AuditWorkspace', {
        name: `${name}-logs`,
        resourceGroupName: props.resourceGroupName,
        location: props.location,
        retentionInDays: props.controlPlaneLogRetentionDays ?? 365,
        retainOnDestroy: props.retainLogsOnDestroy ?? true,
        tags,
      }).workspace.id;
    // KMS etcd encryption: AKS checks the identity's access to the key when it turns KMS on, so the cluster
    // waits for the grant as it waits for the subnet's.
    const keyAccess: ITerraformDependable[] = [];
    if (props.secretsEncryption ?? true) {
      let keyScope = props.secretsKeyVaultId;
      this.secretsKeyId = props.secretsKeyVaultKeyId;
      if (this.secretsKeyId === undefined || keyScope === undefined) {
        const key = new AksSecretsKey(home, 'SecretsKey', {
          clusterName: name,
          resourceGroupName: props.resourceGroupName,
          location: props.location,
          vaultName: props.secretsKeyVaultName ?? aksSecretsVaultName(this, name, props.resourceGroupName),
          deployerPrincipalId: props.deployerPrincipalId,
          propagationDelay: props.rbacPropagationDelay,
          retainOnDestroy: props.retainSecretsKeyOnDestroy ?? true,
          tags,
        }).key;
        this.secretsKeyId = key.id;
        keyScope = key.resourceVersionlessId;
      }
      const grant = grantKeyToCluster(
        this,
        'ControlPlaneKeyAccess',
        keyScope,
        this.controlPlaneIdentity.principalId,
        props.rbacPropagationDelay,
      );
      keyAccess.push(grant.assignment, grant.applied);
    }

    this.cluster = new (kubernetesClusterLib().KubernetesCluster)(this, 'Resource', {
      name,
      location: props.location,
      resourceGroupName: props.resourceGroupName,
      dnsPrefix: Token.isUnresolved(name)
        ? name
        : name
            .toLowerCase()
            .replace(/[^a-z0-9-]/g, '-')
            .slice(0, 54),
      kubernetesVersion: spec.kubernetesVersion.version,
      skuTier: 'Standard',
      privateClusterEnabled: isPrivate,
      apiServerAccessProfile: isPrivate ? undefined : { authorizedIpRanges: props.authorizedIpRanges },
      localAccountDisabled: true,
      roleBasedAccessControlEnabled: true,
      azureActiveDirectoryRoleBasedAccessControl: {
        azureRbacEnabled: true,
        tenantId: client.tenantId,
        adminGroupObjectIds: props.adminGroupObjectIds.length ? props.adminGroupObjectIds : undefined,
      },
      oidcIssuerEnabled: true,
      workloadIdentityEnabled: true,
      azurePolicyEnabled: true,
      // Public: the KMS plugin reaches the vault from the AKS control plane (Private needs API server VNet integration).
      keyManagementService: this.secretsKeyId ? { keyVaultKeyId: this.secretsKeyId, keyVaultNetworkAccess: 'Public' } : undefined,
      // Billed per vCore of the nodes while on; off by default (see AzureCloudOptions.defenderForContainers).
      microsoftDefender: props.defenderForContainers ? { logAnalyticsWorkspaceId: this.logAnalyticsWorkspaceId } : undefined,
      keyVaultSecretsProvider: { secretRotationEnabled: true, secretRotationInterval: '2m' },
      automaticUpgradeChannel: 'patch',
      nodeOsUpgradeChannel: 'NodeImage',
      maintenanceWindowAutoUpgrade: window,
      maintenanceWindowNodeOs: window,
      identity: { type: 'UserAssigned', identityIds: [this.controlPlaneIdentity.id] },
      networkProfile: {
        networkPlugin: 'azure',
        networkPluginMode: 'overlay',
        networkPolicy: 'cilium',
        networkDataPlane: 'cilium',
        podCidr: '192.168.0.0/16',
        serviceCidr: '172.16.0.0/16',
        dnsServiceIp: '172.16.0.10',
        outboundType: 'loadBalancer',
        loadBalancerSku: 'standard',
      },
      autoScalerProfile: {
        balanceSimilarNodeGroups: true,
        expander: 'least-waste',
        skipNodesWithSystemPods: false,
        scaleDownUnneeded: '10m',
        maxNodeProvisioningTime: '20m',
      },
      defaultNodePool: {
        name: 'system',
        vmSize: props.systemVmSize,
        vnetSubnetId: props.nodeSubnetId,
        autoScalingEnabled: true,
        minCount: props.systemMinNodes,
        maxCount: props.systemMaxNodes,
        // Taints the pool CriticalAddonsOnly: add-ons tolerate it (systemTolerations), workloads do not.
        onlyCriticalAddonsEnabled: true,
        osSku: 'AzureLinux',
        osDiskSizeGb: 64,
        nodeLabels: { [PlatformLabels.ROLE]: 'system' },
        // Pinned: AKS fills in a drain timeout when unset, and azurerm replaces the whole cluster when a
        // drain timeout or undrainable-node behaviour set out of band is "removed" by the next plan.
        upgradeSettings: upgradeSettings('33%'),
        // With kubernetesVersion: a minor upgrade rolls the nodes too, after the control plane.
        orchestratorVersion: spec.kubernetesVersion.version,
        temporaryNameForRotation: 'systemtmp',
        tags,
      },
      tags,
      lifecycle: { ignoreChanges: ['default_node_pool[0].node_count'] },
      dependsOn: [this.subnetAccess, subnetAccessApplied, ...keyAccess],
    });
    // Who did what in the cluster (kube-audit-admin), Entra/Azure RBAC decisions (guard), the API server and
    // the autoscaler, kept in the workspace beyond the cluster.
    this.controlPlaneLogs = aksControlPlaneLogs(this, 'ControlPlaneLogs', this.cluster.id, this.logAnalyticsWorkspaceId);

    // The deployer installs charts right after creation; with Azure RBAC it needs a data-plane role, and
    // creating that assignment needs Microsoft.Authorization/roleAssignments/write on the cluster's scope.
    // Azure applies it within minutes: in-cluster resources wait, or the first write gets 403.
    const deployerId = props.deployerPrincipalId ?? client.objectId;
    this.deployerAdmin = new (roleAssignmentLib().RoleAssignment)(this, 'DeployerClusterAdmin', {
      scope: this.cluster.id,
      roleDefinitionName: 'Azure Kubernetes Service RBAC Cluster Admin',
      principalId: deployerId,
    });
    const rbacApplied = waitAfter(this, 'DeployerRbacPropagation', props.rbacPropagationDelay, [this.deployerAdmin], {
      assignment: this.deployerAdmin.id,
    });

    for (const pool of spec.nodePools) this.userPools[pool.name] = this.addPool(pool);
    // The system pool takes add-ons only and every accelerator pool is tainted: without this pool a pod
    // with no tolerations (an application, a tenant's CPU job) would stay Pending.
    if (props.generalMaxNodes > 0)
      this.generalPool = aksGeneralPool(this, this.poolTarget(), {
        vmSize: props.generalVmSize,
        minNodes: props.generalMinNodes,
        maxNodes: props.generalMaxNodes,
      });
    this.workloadNodeSelector = this.generalPool ? { [PlatformLabels.ROLE]: GENERAL_POOL } : { ...this.systemNodeSelector };
    this.workloadTolerations = this.generalPool ? [] : this.systemTolerations.map((t) => ({ ...t }));

    const kube = this.cluster.kubeConfig.get(0);
    this.apiEndpoint = kube.host;
    // Entra-only clusters need kubelogin in the kubeconfig; convert-kubeconfig wires it in.
    this.kubeconfigCommand = aksKubeconfigCommand(props.resourceGroupName, this.cluster.name, props.kubeloginMode);
    this.access = new ClusterAccess(this, {
      connection: {
        host: kube.host,
        clusterCaCertificate: Fn.base64decode(kube.clusterCaCertificate),
        ...kubeloginExec(props.kubeloginMode),
      },
      unreachableBecause: props.unreachableBecause,
    });
    this.access.addDependency(this.cluster, rbacApplied);
    // Retained disks and file shares go to the cluster's resource group: AKS deletes the node resource group with the cluster.
    const volumes = new RetainedVolumeAccess(this, 'RetainedVolumes', {
      resourceGroupName: props.resourceGroupName,
      clusterPrincipalId: this.controlPlaneIdentity.principalId,
      propagationDelay: props.rbacPropagationDelay,
    });
    this.dataServices = new AzureDataServices({
      clusterName: name,
      location: props.location,
      resourceGroupName: props.resourceGroupName,
      network: this.network,
      tags,
      cluster: this,
      privateDnsZoneIds: props.privateDnsZoneIds,
      databaseAdministrator: props.databaseAdministrator,
      dataStack: spec.dataStack,
      retainedVolumes: volumes,
    });

    // Premium SSD through AKS's managed CSI driver (encrypted at rest by the platform). AKS's built-in
    // classes delete the disk with the claim; platform data must outlive a release.
    this.access.addRetainedStorageClass(
      spec.inClusterScope,
      this.storageClassName,
      'disk.csi.azure.com',
      { skuName: 'Premium_LRS', cachingMode: 'ReadOnly', resourceGroup: volumes.resourceGroupName },
      {},
      volumes.grant(spec.inClusterScope),
    );
  }

  public providers(scope: IConstruct): ClusterProviders {
    return this.access.providers(scope);
  }

  public addonDependencies(scope: IConstruct): ITerraformDependable[] {
    return this.access.dependenciesFor(scope);
  }

  public get acceleratorPools(): AcceleratorPoolInfo[] {
    return this.props.spec.nodePools.map((p) => {
      const vmSize = selectAzureVmSize(p).shape?.vmSize;
      return acceleratorPoolInfo(p, this.poolLabels(p), this.poolTaints(p), this.poolCapacity(p), vmSize ? [vmSize] : undefined);
    });
  }

  /** The extended resources one node of `pool` advertises once the GPU operator runs. */
  public poolCapacity(pool: GpuNodePool): ExtendedResource[] {
    const perNode = this.shapes.get(pool.name) ?? selectAzureVmSize(pool).shape?.acceleratorsPerNode ?? 0;
    return pool.extendedResources(perNode, this.props.spec.migStrategy);
  }

  /** The labels nodes of `pool` carry, with the spot label AKS adds. */
  public poolLabels(pool: GpuNodePool): { [key: string]: string } {
    return aksPoolLabels(pool);
  }

  /** The taints nodes of `pool` carry, with the spot taint AKS adds. */
  public poolTaints(pool: GpuNodePool): NodeTaint[] {
    return aksPoolTaints(pool);
  }

  public loadBalancerServiceAnnotations(internal: boolean): { [key: string]: string } {
    return aksLoadBalancerAnnotations(internal);
  }

  public grantNamespaceAdmin(scope: Construct, id: string, o: NamespaceAdminOptions): NamespaceAdminGrant {
    return grantAksNamespaceAdmin(this, this.cluster.id, scope, id, o);
  }

  public bindServiceAccount(scope: Construct, id: string, options: ServiceAccountBindingOptions): IWorkloadIdentity {
    return new FederatedWorkloadIdentity(scope, id, {
      identityName: federatedIdentityName(this.clusterName, id),
      resourceGroupName: this.props.resourceGroupName,
      location: this.props.location,
      oidcIssuerUrl: this.cluster.oidcIssuerUrl,
      namespace: options.namespace,
      serviceAccountName: options.serviceAccountName,
      tags: this.props.spec.tags,
    });
  }

  private addPool(pool: GpuNodePool): KubernetesClusterNodePool {
    const shape = selectAzureVmSize(pool).shape!;
    this.shapes.set(pool.name, shape.acceleratorsPerNode);
    const group = pool.capacityReservation?.id;
    // AKS deploys the pool's VMs into the group as the cluster's (user-assigned) identity, which needs
    // Contributor on the group (Microsoft Learn, 'Use capacity reservation groups with AKS').
    let groupAccess: ITerraformDependable[] | undefined;
    if (group) {
      const access = new (roleAssignmentLib().RoleAssignment)(this, `Pool-${pool.name}-ReservationAccess`, {
        scope: group,
        roleDefinitionName: 'Contributor',
        principalId: this.controlPlaneIdentity.principalId,
        principalType: 'ServicePrincipal',
      });
      // As for the subnet: AKS checks the right when it creates the pool, before ARM may have it everywhere.
      groupAccess = [
        waitAfter(this, `Pool-${pool.name}-ReservationPropagation`, this.props.rbacPropagationDelay, [access], { assignment: access.id }),
      ];
    }
    return aksAcceleratorPool(this, this.poolTarget(), pool, {
      vmSize: shape.vmSize,
      capacity: this.poolCapacity(pool),
      hostEncryption: this.props.hostEncryption,
      dependsOn: groupAccess,
    });
  }

  private poolTarget(): AksPoolTarget {
    return {
      kubernetesClusterId: this.cluster.id,
      nodeSubnetId: this.props.nodeSubnetId,
      orchestratorVersion: this.props.spec.kubernetesVersion.version,
      tags: this.props.spec.tags,
    };
  }
}
