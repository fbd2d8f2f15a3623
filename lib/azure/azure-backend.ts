import { lazyModule } from '../private/lazy';
import { Annotations, Fn, TerraformStack } from 'cdktf';
import type { EntraPrincipal } from './data';
import { Construct } from 'constructs';
import { ClusterSpec, CloudProvider, IAcceleratorCluster, ICloudBackend, ICloudCluster } from '../core/cluster';
import { dataScopeIn } from '../core/data-scope';
import { Duration } from '../core/duration';
import { GpuNodePool } from '../core/node-pool';
import {
  isAzureRegion,
  isToken,
  validateApiAllowList,
  validateAzureTags,
  validateGuid,
  validateIds,
  validateNetworkCidr,
  validateResourceGroupName,
  validateWholeNumber,
  validateSystemNodes,
} from '../private/validation';
import { AksPlatformCluster } from './aks-cluster';
import { GENERAL_POOL, rotationName } from './aks-node-pools';
import { AksSecurityOptions, validateAksSecurityOptions } from './aks-security';
import { AZURERM_LOGIN, validateKubeloginMode } from './kubelogin';
import { AzureNetwork } from './network';
import { selectAzureVmSize } from './vm-size-selection';

const resourceGroupLib = lazyModule<typeof import('@cdktf/provider-azurerm/lib/resource-group')>(
  '@cdktf/provider-azurerm/lib/resource-group',
);

/** Azure-specific options of a GpuInferenceCluster. */
export interface AzureCloudOptions extends AksSecurityOptions {
  /** Azure region, e.g. 'eastus2'. */
  readonly location: string;
  /**
   * Existing resource group to deploy into.
   * @default - a new resource group '<clusterName>-rg'
   */
  readonly resourceGroup?: string;
  /**
   * Existing subnet for the nodes (Azure CNI overlay: pods do not take subnet addresses). The cluster's
   * control-plane identity is given 'Network Contributor' on it, so the deployer needs
   * Microsoft.Authorization/roleAssignments/write on the subnet (Owner, User Access Administrator or Role
   * Based Access Control Administrator there).
   * @default - a new VNet with a /20 node subnet
   */
  readonly existingSubnetId?: string;
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
   * Address space of the new VNet.
   * @default '10.20.0.0/16'
   */
  readonly vnetCidr?: string;
  /**
   * Public API server restricted to these CIDRs (the deployers' egress, e.g. from a TerraformVariable).
   * Without them the cluster is private, which needs Terraform to run inside the VNet: with a VNet this
   * stack creates, that is only possible for an in-cluster part in a second stack (`inClusterStack`).
   * @default - private cluster
   */
  readonly authorizedIpRanges?: string[];
  /**
   * Entra ID group object ids given cluster admin (a Terraform list variable works too).
   * @default - none
   */
  readonly adminGroupObjectIds?: string[];
  /**
   * Object id of the identity that runs `terraform apply`; it gets 'Azure Kubernetes Service RBAC Cluster
   * Admin' on the cluster, and every in-cluster resource waits for that assignment to apply. The deployer
   * needs Microsoft.Authorization/roleAssignments/write (Owner or User Access Administrator) on the
   * resource group. Pin it (e.g. to the CI identity, from a variable) when several identities apply the
   * same stack, or each apply by another identity replaces the assignment.
   * @default - the signed-in identity, read at apply time (azurerm_client_config)
   */
  readonly deployerPrincipalId?: string;
  /**
   * How long in-cluster resources wait after the deployer's role assignment is created (Azure RBAC takes
   * up to five minutes to apply; only the first apply waits).
   * @default Duration.minutes(5)
   */
  readonly rbacPropagationDelay?: Duration;
  /**
   * VM size of the system pool.
   * @default 'Standard_D4ds_v5'
   */
  readonly systemVmSize?: string;
  /**
   * Fewest system nodes.
   * @default 2
   */
  readonly systemMinNodes?: number;
  /**
   * Most system nodes.
   * @default 4
   */
  readonly systemMaxNodes?: number;
  /**
   * VM size of the 'general' pool: untainted, autoscaled, labelled `ai-platform.dev/role=general`, where
   * ordinary workloads (applications, CPU jobs: pods with no tolerations) run, since the system pool takes
   * add-ons only and accelerator pools are tainted. A new size rotates the pool through 'generaltmp'.
   * @default 'Standard_D4ds_v5'
   */
  readonly generalVmSize?: string;
  /**
   * Fewest 'general' nodes; 0 scales the pool from zero (the first ordinary pod then waits a few minutes
   * for a node).
   * @default 1
   */
  readonly generalMinNodes?: number;
  /**
   * Most 'general' nodes; 0 leaves the pool out (ordinary workloads then need the system pool's
   * CriticalAddonsOnly toleration: `cluster.workloadTolerations`).
   * @default 5
   */
  readonly generalMaxNodes?: number;
  /**
   * How the Kubernetes and Helm providers sign in to the cluster (kubelogin, Entra ID). 'azurerm' uses the
   * credential the azurerm provider uses, read from the same variables at plan and apply time: a client
   * certificate or secret (ARM_CLIENT_ID, ARM_TENANT_ID, ARM_CLIENT_CERTIFICATE_PATH / ARM_CLIENT_SECRET),
   * OIDC (ARM_USE_OIDC with ARM_OIDC_TOKEN_FILE_PATH / ARM_OIDC_TOKEN, GitHub Actions or Azure Pipelines),
   * AKS workload identity, a managed identity (ARM_USE_MSI) or else the Azure CLI; it runs through `sh`.
   * kubelogin's own modes ('azurecli', 'azd', 'spn', 'msi', 'workloadidentity', 'azurepipelines') read
   * kubelogin's variables (AZURE_CLIENT_ID, AZURE_TENANT_ID, AZURE_CLIENT_SECRET, AZURE_FEDERATED_TOKEN_FILE, ...):
   * use one where there is no `sh`, or where azurerm's credential is set in its provider block instead of
   * ARM_* variables. The identity needs an Azure RBAC role on the cluster (the deployer gets one).
   * @default 'azurerm'
   */
  readonly kubeloginMode?: string;
  /**
   * Day of the weekly maintenance window for upgrades.
   * @default 'Sunday'
   */
  readonly maintenanceDay?: string;
  /**
   * UTC start hour of the 4-hour maintenance window.
   * @default 2
   */
  readonly maintenanceStartHour?: number;
}

const DAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];

/** Builds GpuInferenceClusters on AKS. Created by `Cloud.azure()`. */
export class AzureBackend implements ICloudBackend {
  public readonly cloudProvider = CloudProvider.AZURE;
  public readonly serviceName = 'AKS';
  private readonly options: AzureCloudOptions;

  constructor(options: AzureCloudOptions) {
    this.options = options;
  }

  public validate(spec: ClusterSpec): string[] {
    const o = this.options;
    const out: string[] = [];
    if (!isAzureRegion(o.location)) {
      out.push(`location ${JSON.stringify(o.location)} is not an Azure region name; use the short form, e.g. 'eastus2'`);
    }
    if (!isToken(spec.clusterName) && !/^[a-zA-Z][a-zA-Z0-9-]{0,38}[a-zA-Z0-9]$/.test(spec.clusterName)) {
      out.push(
        `clusterName '${spec.clusterName}' is not a valid AKS cluster name here; use 2-40 letters, digits or '-', starting with a letter and ending alphanumeric`,
      );
    }
    out.push(...validateApiAllowList('authorizedIpRanges', o.authorizedIpRanges ?? [], 'omit it for a private cluster'));
    if (o.vnetCidr !== undefined) out.push(...validateNetworkCidr('vnetCidr', o.vnetCidr, 16, 24, 'use e.g. 10.20.0.0/16'));
    if (o.maintenanceDay !== undefined && !DAYS.includes(o.maintenanceDay))
      out.push(`maintenanceDay '${o.maintenanceDay}' is not a weekday name; use one of ${DAYS.join(', ')}`);
    const hour = o.maintenanceStartHour ?? 2;
    if ((!isToken(hour) && !Number.isInteger(hour)) || hour < 0 || hour > 23)
      out.push(`maintenanceStartHour ${hour} is not an hour; use 0-23 (UTC)`);
    if (o.kubeloginMode !== undefined) out.push(...validateKubeloginMode('kubeloginMode', o.kubeloginMode));
    if (spec.nodePools.length > 99) {
      out.push(
        `nodePools ${spec.nodePools.length} pools exceed AKS's limit of 100 node pools per cluster (one is the system pool); use at most 99`,
      );
    }
    if (spec.migStrategy === 'mixed') {
      // AKS labels every GPU node kubernetes.azure.com/accelerator; under the mixed strategy a MIG node
      // advertises nvidia.com/gpu 0, which cluster-autoscaler then takes for a GPU that never comes up:
      // it keeps the node "unready", scales up again and removes it.
      for (const pool of spec.nodePools.filter((p) => p.mig && (isToken(p.minNodes) || isToken(p.maxNodes) || p.minNodes !== p.maxNodes))) {
        out.push(
          `nodePools[${pool.name}].mig '${pool.mig!.kind.toLowerCase()}' under the mixed MIG strategy cannot autoscale on AKS (cluster-autoscaler treats its nodes, labelled as GPU nodes with 0 nvidia.com/gpu, as never ready); use uniform single-profile layouts on every MIG pool, or fix the pool size (minNodes = maxNodes)`,
        );
      }
    }
    const names = new Set(spec.nodePools.map((p) => p.name));
    const gMin = o.generalMinNodes ?? 1;
    const gMax = o.generalMaxNodes ?? 5;
    out.push(...validateWholeNumber('generalMinNodes', gMin, 0, 1000, 'use 0 to scale the general pool from zero, 1 to keep a node ready'));
    const gMaxProblems = validateWholeNumber(
      'generalMaxNodes',
      gMax,
      0,
      1000,
      'use 0 to leave the general pool out (AKS pools have at most 1000 nodes)',
    );
    out.push(...gMaxProblems);
    if (!gMaxProblems.length && !isToken(gMax) && !isToken(gMin) && gMax > 0 && gMax < gMin)
      out.push(`generalMaxNodes ${gMax} is below generalMinNodes ${gMin}; use generalMaxNodes >= generalMinNodes`);
    if (o.generalVmSize !== undefined && !isToken(o.generalVmSize) && !/^Standard_[A-Za-z0-9_]+$/.test(o.generalVmSize))
      out.push(`generalVmSize '${o.generalVmSize}' is not an Azure VM size name; use e.g. 'Standard_D4ds_v5'`);
    if (isToken(gMax) || gMax > 0) {
      for (const reserved of [GENERAL_POOL, rotationName(GENERAL_POOL)].filter((n) => names.has(n)))
        out.push(
          `nodePools[${reserved}].name '${reserved}' is taken by the general pool for ordinary workloads${reserved === GENERAL_POOL ? '' : ' (its temporary rotation name)'}; rename the pool, or set generalMaxNodes 0`,
        );
    }
    for (const pool of spec.nodePools) {
      const tmp = rotationName(pool.name);
      if (names.has(tmp))
        out.push(`nodePools[${tmp}].name '${tmp}' is the temporary name pool '${pool.name}' rotates through on AKS; rename one of them`);
    }
    out.push(...validateAzureTags('tags', spec.tags));
    out.push(...validateResourceGroupName('resourceGroup', o.resourceGroup));
    if (o.existingSubnetId !== undefined)
      out.push(...validateIds('existingSubnetId', [o.existingSubnetId], '/subscriptions/…/subnets/nodes'));
    if (o.deployerPrincipalId !== undefined) out.push(...validateGuid('deployerPrincipalId', o.deployerPrincipalId, 'an Entra object id'));
    if (!isToken(o.adminGroupObjectIds))
      for (const g of o.adminGroupObjectIds ?? []) out.push(...validateGuid('adminGroupObjectIds', g, 'an Entra group object id'));
    out.push(...validateAksSecurityOptions(o));
    out.push(...validateWholeNumber('systemMaxNodes', o.systemMaxNodes, 1, 1000, 'AKS pools have at most 1000 nodes'));
    out.push(...validateSystemNodes(o.systemMinNodes ?? 2, o.systemMaxNodes ?? 4));
    return out;
  }

  public validatePool(pool: GpuNodePool): string[] {
    const out: string[] = [];
    // Linux pool names on AKS: 1-12 lower-case alphanumerics, starting with a letter.
    if (!isToken(pool.name) && !/^[a-z][a-z0-9]{0,11}$/.test(pool.name)) {
      out.push(
        `nodePools[${pool.name}].name '${pool.name}' is not a valid AKS node pool name; use 1-12 lower-case letters and digits, starting with a letter`,
      );
    }
    // The pool's disk is the nodes' OS disk on AKS.
    out.push(...validateWholeNumber(`nodePools[${pool.name}].diskSizeGib`, pool.diskSizeGib, 30, 2048, 'AKS OS disks have 30-2048 GiB'));
    out.push(...validateWholeNumber(`nodePools[${pool.name}].maxNodes`, pool.maxNodes, 1, 1000, 'AKS pools have at most 1000 nodes'));
    out.push(...selectAzureVmSize(pool).errors);
    return out;
  }

  public dataStackValues(): { [prop: string]: unknown } {
    const o = this.options;
    const createsVault = o.secretsEncryption !== false && o.secretsKeyVaultKeyId === undefined;
    return {
      'cloud.location': o.location,
      'cloud.resourceGroup': o.resourceGroup,
      'cloud.existingSubnetId': o.existingSubnetId,
      'cloud.vnetCidr': o.vnetCidr,
      'cloud.privateDnsZoneIds': o.privateDnsZoneIds,
      'cloud.databaseAdministrator': o.databaseAdministrator,
      // The audit workspace and the secrets key (with the deployer's role on its vault) live there too.
      'cloud.controlPlaneLogRetentionDays': o.controlPlaneLogRetentionDays,
      'cloud.secretsKeyVaultName': o.secretsKeyVaultName,
      'cloud.deployerPrincipalId': createsVault ? o.deployerPrincipalId : undefined,
    };
  }

  public createCluster(scope: Construct, id: string, spec: ClusterSpec): ICloudCluster {
    const o = this.options;
    // With a data stack, the group and the VNet outlive the cluster: data services, their private endpoints
    // and retained volumes live in them.
    const home = dataScopeIn(spec.dataStack, scope);
    // A reference to the group (not its literal name), so everything in it is created after it.
    let rgName = o.resourceGroup;
    if (!rgName && !spec.dataStack) {
      Annotations.of(scope).addWarning(
        `dataStack (unset) creates resource group '${spec.clusterName}-rg' in stack '${TerraformStack.of(scope).node.id}': the cluster's retained disks and file shares (Prometheus, vector stores, the model cache) are created in it, and once one exists \`cdktf destroy\` fails at the group (azurerm refuses to delete a group holding resources it did not create); pass dataStack (a stack of its own, deployed first), or cloud.resourceGroup of a group you keep`,
      );
    }
    if (!rgName) {
      const rg = new (resourceGroupLib().ResourceGroup)(home, 'ResourceGroup', {
        name: `${spec.clusterName}-rg`,
        location: o.location,
        tags: spec.tags,
      });
      rgName = rg.name;
    }
    let subnetId = o.existingSubnetId;
    // A subnet id is '<vnet id>/subnets/<name>'.
    let vnetId = subnetId ? Fn.replace(subnetId, '//subnets/[^/]+$/', '') : '';
    if (!subnetId) {
      const net = new AzureNetwork(home, 'Network', {
        clusterName: spec.clusterName,
        resourceGroupName: rgName,
        location: o.location,
        cidr: o.vnetCidr ?? '10.20.0.0/16',
        tags: spec.tags,
      });
      subnetId = net.nodeSubnetId;
      vnetId = net.vnet.id;
    }
    const ranges = o.authorizedIpRanges ?? [];
    const isPrivate = !isToken(ranges) && ranges.length === 0;
    return new AksPlatformCluster(scope, id, {
      spec,
      location: o.location,
      resourceGroupName: rgName,
      nodeSubnetId: subnetId,
      vnetId,
      privateDnsZoneIds: o.privateDnsZoneIds,
      databaseAdministrator: o.databaseAdministrator,
      authorizedIpRanges: ranges,
      adminGroupObjectIds: o.adminGroupObjectIds ?? [],
      deployerPrincipalId: o.deployerPrincipalId,
      rbacPropagationDelay: o.rbacPropagationDelay ?? Duration.minutes(5),
      systemVmSize: o.systemVmSize ?? 'Standard_D4ds_v5',
      systemMinNodes: o.systemMinNodes ?? 2,
      systemMaxNodes: o.systemMaxNodes ?? 4,
      generalVmSize: o.generalVmSize ?? 'Standard_D4ds_v5',
      generalMinNodes: o.generalMinNodes ?? 1,
      generalMaxNodes: o.generalMaxNodes ?? 5,
      unreachableBecause:
        isPrivate && !o.existingSubnetId
          ? 'cloud.authorizedIpRanges [] makes a private cluster in a VNet this stack creates, which Terraform cannot reach to install the in-cluster part (charts, Kubernetes objects) in the same apply; ' +
            "list the deployer's egress CIDR in authorizedIpRanges (from a TerraformVariable), bring an existingSubnetId in a VNet your runner lives in, " +
            'or set inClusterStack to a second stack applied from inside the VNet'
          : undefined,
      kubeloginMode: o.kubeloginMode ?? AZURERM_LOGIN,
      maintenanceDay: o.maintenanceDay ?? 'Sunday',
      maintenanceStartHour: o.maintenanceStartHour ?? 2,
      logAnalyticsWorkspaceId: o.logAnalyticsWorkspaceId,
      controlPlaneLogRetentionDays: o.controlPlaneLogRetentionDays,
      retainLogsOnDestroy: o.retainLogsOnDestroy,
      secretsEncryption: o.secretsEncryption,
      secretsKeyVaultKeyId: o.secretsKeyVaultKeyId,
      secretsKeyVaultId: o.secretsKeyVaultId,
      secretsKeyVaultName: o.secretsKeyVaultName,
      retainSecretsKeyOnDestroy: o.retainSecretsKeyOnDestroy,
      hostEncryption: o.hostEncryption,
      defenderForContainers: o.defenderForContainers,
    });
  }

  public installAddons(_cloudCluster: ICloudCluster, _cluster: IAcceleratorCluster, _spec: ClusterSpec): void {
    // AKS runs its own cluster-autoscaler (autoScalerProfile); nothing to install.
  }
}
