import { lazyModule } from '../private/lazy';
import { Token } from 'cdktf';
import { Construct } from 'constructs';
import { CloudProvider, IAcceleratorCluster } from '../core/cluster';
import { IRemoteWrite, RemoteWriteBindOptions, RemoteWriteBinding } from '../core/remote-write';
import { isAzureRegion } from '../private/validation';
import { FederatedWorkloadIdentity } from './workload-identity';

const dataAzurermClientConfigLib = lazyModule<typeof import('@cdktf/provider-azurerm/lib/data-azurerm-client-config')>(
  '@cdktf/provider-azurerm/lib/data-azurerm-client-config',
);
const monitorDataCollectionEndpointLib = lazyModule<typeof import('@cdktf/provider-azurerm/lib/monitor-data-collection-endpoint')>(
  '@cdktf/provider-azurerm/lib/monitor-data-collection-endpoint',
);
const monitorDataCollectionRuleLib = lazyModule<typeof import('@cdktf/provider-azurerm/lib/monitor-data-collection-rule')>(
  '@cdktf/provider-azurerm/lib/monitor-data-collection-rule',
);
const monitorWorkspaceLib = lazyModule<typeof import('@cdktf/provider-azurerm/lib/monitor-workspace')>(
  '@cdktf/provider-azurerm/lib/monitor-workspace',
);

/** Options of Azure Monitor managed service for Prometheus. */
export interface AzureMonitorPrometheusOptions {
  /**
   * Region of the Azure Monitor workspace, e.g. 'eastus2'.
   * @default - the cluster's location
   */
  readonly location?: string;
  /**
   * Resource group of the workspace and its data collection endpoint and rule.
   * @default - the cluster's resource group
   */
  readonly resourceGroupName?: string;
  /**
   * Name of the new Azure Monitor workspace.
   * @default - '<clusterName>-metrics'
   */
  readonly workspaceName?: string;
  /**
   * Protect the workspace (and its metrics history) with `prevent_destroy`. Set false for throwaway
   * environments that must `destroy` cleanly.
   * @default true
   */
  readonly retainOnDestroy?: boolean;
}

/**
 * Azure Monitor managed service for Prometheus as a remote-write backend: an Azure Monitor workspace, a
 * data collection endpoint and rule for Prometheus samples, a federated identity for Prometheus's service
 * account with 'Monitoring Metrics Publisher' on the rule, and Entra-authenticated remote write.
 */
export class AzureMonitorPrometheus implements IRemoteWrite {
  constructor(private readonly options: AzureMonitorPrometheusOptions = {}) {}

  public validate(cluster: IAcceleratorCluster): string[] {
    const errors: string[] = [];
    if (cluster.cloudProvider !== CloudProvider.AZURE) {
      errors.push(
        `remoteWrite 'azureMonitor' does not fit a cluster on ${cluster.cloudProvider}; workload identity federation to Entra ID needs AKS, use RemoteWrite.amazonManagedPrometheus() on EKS`,
      );
    }
    if (this.options.location !== undefined && !isAzureRegion(this.options.location)) {
      errors.push(`remoteWrite.location '${this.options.location}' is not an Azure region name; use the short form, e.g. 'eastus2'`);
    }
    const name = this.options.workspaceName;
    if (
      cluster.cloudProvider === CloudProvider.AZURE &&
      this.options.resourceGroupName === undefined &&
      cluster.resourceGroupName === undefined
    ) {
      errors.push(
        'remoteWrite.resourceGroupName (unset) has no default, because the cluster exposes no resource group; pass the resource group of the workspace',
      );
    }
    if (name !== undefined && !Token.isUnresolved(name) && !/^[A-Za-z0-9][A-Za-z0-9-]{2,42}[A-Za-z0-9]$/.test(name)) {
      errors.push(
        `remoteWrite.workspaceName '${name}' is not a valid Azure Monitor workspace name; use 4-44 letters, digits or '-', starting and ending alphanumeric`,
      );
    }
    return errors;
  }

  public bind(scope: Construct, options: RemoteWriteBindOptions): RemoteWriteBinding {
    const o = this.options;
    const cluster = options.cluster;
    const name = o.workspaceName ?? `${cluster.clusterName}-metrics`;
    // Defaults come from the cluster as references, so these are created after its resource group.
    const common = {
      resourceGroupName: o.resourceGroupName ?? cluster.resourceGroupName!,
      location: o.location ?? cluster.region,
      tags: { ...cluster.tags },
    };
    const client = new (dataAzurermClientConfigLib().DataAzurermClientConfig)(scope, 'AzureClient', {});
    // The metrics history outlives the cluster: in its data stack when it has one. The ingestion endpoint
    // and rule refer to nothing of the cluster's either, but hold no data: they stay with the stack.
    const workspace = new (monitorWorkspaceLib().MonitorWorkspace)(cluster.dataScope(scope), 'Workspace', {
      ...common,
      name,
      lifecycle: { preventDestroy: o.retainOnDestroy ?? true },
    });
    const endpoint = new (monitorDataCollectionEndpointLib().MonitorDataCollectionEndpoint)(scope, 'IngestionEndpoint', {
      ...common,
      name: `${name}-dce`,
      kind: 'Linux',
      description: `Prometheus remote-write ingestion for ${options.cluster.clusterName}`,
    });
    const rule = new (monitorDataCollectionRuleLib().MonitorDataCollectionRule)(scope, 'IngestionRule', {
      ...common,
      name: `${name}-dcr`,
      kind: 'Linux',
      dataCollectionEndpointId: endpoint.id,
      dataSources: { prometheusForwarder: [{ name: 'PrometheusRemoteWrite', streams: ['Microsoft-PrometheusMetrics'] }] },
      destinations: { monitorAccount: [{ name: 'workspace', monitorAccountId: workspace.id }] },
      dataFlow: [{ streams: ['Microsoft-PrometheusMetrics'], destinations: ['workspace'] }],
    });
    const identity = options.cluster.bindServiceAccount(scope, 'Identity', {
      namespace: options.namespace,
      serviceAccountName: options.serviceAccountName,
    });
    // On another cloud validate() reports the mismatch; nothing to grant here.
    if (identity instanceof FederatedWorkloadIdentity) identity.assignRole(rule.id, 'Monitoring Metrics Publisher');
    return {
      identity,
      remoteWrite: [
        {
          url: `${endpoint.metricsIngestionEndpoint}/dataCollectionRules/${rule.immutableId}/streams/Microsoft-PrometheusMetrics/api/v1/write?api-version=2023-04-24`,
          // Workload identity explicitly (Prometheus >= 3.7; the chart ships 3.14): the SDK credential chain
          // would fall back to the node's managed identity when the webhook did not inject the token.
          azureAd: { cloud: 'AzurePublic', workloadIdentity: { clientId: identity.principal, tenantId: client.tenantId } },
        },
      ],
    };
  }
}
