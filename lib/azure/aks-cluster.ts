import { DataAzurermClientConfig } from '@cdktf/provider-azurerm/lib/data-azurerm-client-config';
import { KubernetesCluster } from '@cdktf/provider-azurerm/lib/kubernetes-cluster';
import { KubernetesClusterNodePool } from '@cdktf/provider-azurerm/lib/kubernetes-cluster-node-pool';
import { RoleAssignment } from '@cdktf/provider-azurerm/lib/role-assignment';
import { HelmProvider } from '@cdktf/provider-helm/lib/provider';
import { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import { StorageClassV1 } from '@cdktf/provider-kubernetes/lib/storage-class-v1';
import { Fn, ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import { ClusterSpec, CloudProvider, IPlatformCluster, IWorkloadIdentity, PodToleration, ServiceAccountBindingOptions } from '../core/cluster';
import { KubernetesVersion } from '../core/kubernetes-version';
import { clusterProviders } from '../core/providers';
import { GpuNodePool, NodeTaint, PlatformLabels, TaintEffect } from '../core/node-pool';
import { aksGpuInstance, selectAzureVmSize } from './vm-size-selection';
import { FederatedWorkloadIdentity } from './workload-identity';

/** AKS's Entra ID server application, the audience kubelogin requests tokens for. */
const AKS_ENTRA_SERVER_ID = '6dae42f8-4368-4678-94ff-3960e28e3630';
const SPOT_LABEL = 'kubernetes.azure.com/scalesetpriority';

/** Options of the AKS cluster, from `Cloud.azure({...})`. */
export interface AksPlatformClusterProps {
  /** Validated cluster spec. */
  readonly spec: ClusterSpec;
  /** Location. */
  readonly location: string;
  /** Resource group name. */
  readonly resourceGroupName: string;
  /** Node subnet id. */
  readonly nodeSubnetId: string;
  /** Authorized IP ranges; empty means a private cluster. */
  readonly authorizedIpRanges: string[];
  /** Entra ID groups given cluster admin. */
  readonly adminGroupObjectIds: string[];
  /** VM size of the system pool. */
  readonly systemVmSize: string;
  /** kubelogin login mode for the providers. */
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
export class AksPlatformCluster extends Construct implements IPlatformCluster {
  public readonly clusterName: string;
  public readonly cloudProvider = CloudProvider.AZURE;
  public readonly kubernetesVersion: KubernetesVersion;
  public readonly kubernetesProvider: KubernetesProvider;
  public readonly helmProvider: HelmProvider;
  public readonly nodePools: GpuNodePool[];
  public readonly migStrategy: string;
  // Pools run with gpu_driver None so the GPU operator owns driver and toolkit, except where AKS cuts MIG.
  public readonly gpuDriverPreinstalled = false;
  public readonly systemNodeSelector: { [key: string]: string } = { [PlatformLabels.ROLE]: 'system' };
  public readonly systemTolerations: PodToleration[] = [{ key: 'CriticalAddonsOnly', operator: 'Exists' }];
  // Premium SSD through AKS's managed CSI driver (encrypted at rest by the platform), retained on release.
  public readonly storageClassName = 'premium-ssd-retain';
  public readonly addonDependencies: ITerraformDependable[];
  /** The AKS cluster resource. */
  public readonly cluster: KubernetesCluster;
  /** User node pool per pool name. */
  public readonly userPools: { [pool: string]: KubernetesClusterNodePool } = {};
  private readonly props: AksPlatformClusterProps;

  constructor(scope: Construct, id: string, props: AksPlatformClusterProps) {
    super(scope, id);
    this.props = props;
    const spec = props.spec;
    const name = spec.clusterName;
    const tags = spec.tags;
    this.clusterName = name;
    this.kubernetesVersion = spec.kubernetesVersion;
    this.nodePools = spec.nodePools;
    this.migStrategy = spec.migStrategy;
    const client = new DataAzurermClientConfig(this, 'Client', {});
    const isPrivate = props.authorizedIpRanges.length === 0;
    const window = { frequency: 'Weekly', interval: 1, duration: 4, dayOfWeek: props.maintenanceDay, startTime: `${String(props.maintenanceStartHour).padStart(2, '0')}:00`, utcOffset: '+00:00' };

    this.cluster = new KubernetesCluster(this, 'Resource', {
      name,
      location: props.location,
      resourceGroupName: props.resourceGroupName,
      dnsPrefix: name.toLowerCase().replace(/[^a-z0-9-]/g, '-').slice(0, 54),
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
      keyVaultSecretsProvider: { secretRotationEnabled: true, secretRotationInterval: '2m' },
      automaticUpgradeChannel: 'patch',
      nodeOsUpgradeChannel: 'NodeImage',
      maintenanceWindowAutoUpgrade: window,
      maintenanceWindowNodeOs: window,
      identity: { type: 'SystemAssigned' },
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
        minCount: 2,
        maxCount: 4,
        // Taints the pool CriticalAddonsOnly: add-ons tolerate it (systemTolerations), workloads do not.
        onlyCriticalAddonsEnabled: true,
        osSku: 'AzureLinux',
        osDiskSizeGb: 64,
        nodeLabels: { [PlatformLabels.ROLE]: 'system' },
        upgradeSettings: { maxSurge: '33%' },
        temporaryNameForRotation: 'systemtmp',
        tags,
      },
      tags,
      lifecycle: { ignoreChanges: ['default_node_pool[0].node_count'] },
    });

    // The deployer installs charts right after creation; with Azure RBAC it needs a data-plane role.
    const deployerAdmin = new RoleAssignment(this, 'DeployerClusterAdmin', {
      scope: this.cluster.id,
      roleDefinitionName: 'Azure Kubernetes Service RBAC Cluster Admin',
      principalId: client.objectId,
    });

    for (const pool of spec.nodePools) this.userPools[pool.name] = this.addPool(pool);
    this.addonDependencies = [this.cluster, deployerAdmin];

    const kube = this.cluster.kubeConfig.get(0);
    const providers = clusterProviders(this, {
      host: kube.host,
      clusterCaCertificate: Fn.base64decode(kube.clusterCaCertificate),
      command: 'kubelogin',
      args: ['get-token', '--login', props.kubeloginMode, '--server-id', AKS_ENTRA_SERVER_ID],
    });
    this.kubernetesProvider = providers.kubernetes;
    this.helmProvider = providers.helm;

    const storageClass = new StorageClassV1(this, 'StorageClass', {
      provider: this.kubernetesProvider,
      metadata: { name: this.storageClassName },
      storageProvisioner: 'disk.csi.azure.com',
      parameters: { skuName: 'Premium_LRS', cachingMode: 'ReadOnly' },
      // AKS's built-in classes delete the disk with the claim; platform data must outlive a release.
      reclaimPolicy: 'Retain',
      volumeBindingMode: 'WaitForFirstConsumer',
      allowVolumeExpansion: true,
      dependsOn: [...this.addonDependencies],
    });
    // Add-ons with volumes must find their StorageClass in place.
    this.addonDependencies.push(storageClass);
  }

  public poolLabels(pool: GpuNodePool): { [key: string]: string } {
    const labels: { [key: string]: string } = { ...pool.labels };
    if (aksGpuInstance(pool)) {
      // AKS partitions the GPUs and ships the driver: the operator must not install a second driver or re-cut MIG.
      delete labels[PlatformLabels.MIG_CONFIG];
      labels['nvidia.com/gpu.deploy.driver'] = 'false';
      labels['nvidia.com/gpu.deploy.container-toolkit'] = 'false';
      labels['nvidia.com/gpu.deploy.mig-manager'] = 'false';
    }
    // AKS labels spot nodes itself (and taints them, see poolTaints); declaring it keeps plans clean.
    if (pool.spot) labels[SPOT_LABEL] = 'spot';
    return labels;
  }

  public poolTaints(pool: GpuNodePool): NodeTaint[] {
    return pool.spot ? [...pool.taints, { key: SPOT_LABEL, value: 'spot', effect: TaintEffect.NO_SCHEDULE }] : pool.taints;
  }

  public bindServiceAccount(scope: Construct, id: string, options: ServiceAccountBindingOptions): IWorkloadIdentity {
    return new FederatedWorkloadIdentity(scope, id, {
      identityName: `${this.clusterName}-${id}`.slice(0, 128),
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
    const gpuInstance = aksGpuInstance(pool);
    const taints = this.poolTaints(pool).map((t) => `${t.key}=${t.value}:${t.effect}`);
    return new KubernetesClusterNodePool(this, `Pool-${pool.name}`, {
      name: pool.name,
      kubernetesClusterId: this.cluster.id,
      vmSize: shape.vmSize,
      mode: 'User',
      vnetSubnetId: this.props.nodeSubnetId,
      autoScalingEnabled: true,
      minCount: pool.minNodes,
      maxCount: pool.maxNodes,
      nodeLabels: this.poolLabels(pool),
      nodeTaints: taints,
      // MIG needs Ubuntu node images on AKS.
      osSku: 'Ubuntu',
      osDiskSizeGb: pool.diskSizeGib,
      gpuDriver: gpuInstance ? 'Install' : 'None',
      gpuInstance,
      priority: pool.spot ? 'Spot' : 'Regular',
      evictionPolicy: pool.spot ? 'Delete' : undefined,
      spotMaxPrice: pool.spot ? -1 : undefined,
      // Surge nodes are whole GPU machines; one at a time. Spot pools may not set surge at all.
      upgradeSettings: pool.spot ? undefined : { maxSurge: '1' },
      tags: this.props.spec.tags,
      lifecycle: { ignoreChanges: ['node_count'] },
    });
  }
}
