import { ResourceGroup } from '@cdktf/provider-azurerm/lib/resource-group';
import { Construct } from 'constructs';
import { ClusterSpec, CloudProvider, ICloudBackend, IPlatformCluster } from '../core/cluster';
import { isAzureRegion, validateApiAllowList, validateNetworkCidr } from '../core/validation';
import { AksPlatformCluster } from './aks-cluster';
import { AzureNetwork } from './network';
import { selectAzureVmSize } from './vm-size-selection';

/** Azure-specific options of a GpuInferenceCluster. */
export interface AzureCloudOptions {
  /** Azure region, e.g. 'eastus2'. */
  readonly location: string;
  /**
   * Existing resource group to deploy into.
   * @default - a new resource group '<clusterName>-rg'
   */
  readonly resourceGroup?: string;
  /**
   * Existing subnet for the nodes (Azure CNI overlay: pods do not take subnet addresses).
   * @default - a new VNet with a /20 node subnet
   */
  readonly existingSubnetId?: string;
  /**
   * Address space of the new VNet.
   * @default '10.20.0.0/16'
   */
  readonly vnetCidr?: string;
  /**
   * Public API server restricted to these CIDRs. Without them the cluster is private.
   * @default - private cluster
   */
  readonly authorizedIpRanges?: string[];
  /**
   * Entra ID group object ids given cluster admin.
   * @default - none (the deploying identity gets the AKS RBAC Cluster Admin role)
   */
  readonly adminGroupObjectIds?: string[];
  /**
   * VM size of the system pool.
   * @default 'Standard_D4ds_v5'
   */
  readonly systemVmSize?: string;
  /**
   * kubelogin login mode the Kubernetes and Helm providers use: 'azurecli', 'workloadidentity', 'msi', 'spn'.
   * @default 'azurecli'
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
const LOGIN_MODES = ['azurecli', 'workloadidentity', 'msi', 'spn', 'devicecode', 'interactive', 'azd'];

/** Builds GpuInferenceClusters on AKS. Created by `Cloud.azure()`. */
export class AzureBackend implements ICloudBackend {
  public readonly cloudProvider = CloudProvider.AZURE;
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
    if (!/^[a-zA-Z][a-zA-Z0-9-]{0,38}[a-zA-Z0-9]$/.test(spec.clusterName)) {
      out.push(`clusterName '${spec.clusterName}' is not a valid AKS cluster name here; use 2-40 letters, digits or '-', starting with a letter and ending alphanumeric`);
    }
    out.push(...validateApiAllowList('authorizedIpRanges', o.authorizedIpRanges ?? [], 'omit it for a private cluster'));
    if (o.vnetCidr !== undefined) out.push(...validateNetworkCidr('vnetCidr', o.vnetCidr, 16, 24, 'use e.g. 10.20.0.0/16'));
    if (o.maintenanceDay !== undefined && !DAYS.includes(o.maintenanceDay)) out.push(`maintenanceDay '${o.maintenanceDay}' is not a weekday name; use one of ${DAYS.join(', ')}`);
    const hour = o.maintenanceStartHour ?? 2;
    if (!Number.isInteger(hour) || hour < 0 || hour > 23) out.push(`maintenanceStartHour ${hour} is not an hour; use 0-23 (UTC)`);
    if (o.kubeloginMode !== undefined && !LOGIN_MODES.includes(o.kubeloginMode)) out.push(`kubeloginMode '${o.kubeloginMode}' is not a kubelogin login mode; use one of ${LOGIN_MODES.join(', ')}`);
    if (spec.nodePools.length > 99) {
      out.push(`nodePools ${spec.nodePools.length} pools exceed AKS's limit of 100 node pools per cluster (one is the system pool); use at most 99`);
    }
    for (const pool of spec.nodePools) {
      // Linux pool names on AKS: 1-12 lower-case alphanumerics, starting with a letter.
      if (!/^[a-z][a-z0-9]{0,11}$/.test(pool.name)) {
        out.push(`nodePools[${pool.name}].name '${pool.name}' is not a valid AKS node pool name; use 1-12 lower-case letters and digits, starting with a letter`);
      }
      out.push(...selectAzureVmSize(pool).errors);
    }
    return out;
  }

  public createCluster(scope: Construct, id: string, spec: ClusterSpec): IPlatformCluster {
    const o = this.options;
    let rgName = o.resourceGroup;
    if (!rgName) {
      const rg = new ResourceGroup(scope, 'ResourceGroup', { name: `${spec.clusterName}-rg`, location: o.location, tags: spec.tags });
      rgName = rg.name;
    }
    let subnetId = o.existingSubnetId;
    if (!subnetId) {
      const net = new AzureNetwork(scope, 'Network', {
        clusterName: spec.clusterName,
        resourceGroupName: rgName,
        location: o.location,
        cidr: o.vnetCidr ?? '10.20.0.0/16',
        tags: spec.tags,
      });
      subnetId = net.nodeSubnet.id;
    }
    return new AksPlatformCluster(scope, id, {
      spec,
      location: o.location,
      resourceGroupName: rgName,
      nodeSubnetId: subnetId,
      authorizedIpRanges: o.authorizedIpRanges ?? [],
      adminGroupObjectIds: o.adminGroupObjectIds ?? [],
      systemVmSize: o.systemVmSize ?? 'Standard_D4ds_v5',
      kubeloginMode: o.kubeloginMode ?? 'azurecli',
      maintenanceDay: o.maintenanceDay ?? 'Sunday',
      maintenanceStartHour: o.maintenanceStartHour ?? 2,
    });
  }
}
