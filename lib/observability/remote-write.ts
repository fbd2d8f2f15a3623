import { lazyModule } from '../private/lazy';
import { Fn, Token } from 'cdktf';
import { Construct } from 'constructs';
import { CloudProvider, IPlatformCluster, IWorkloadIdentity } from '../core/cluster';
import { isAzureRegion } from '../private/validation';

const prometheusWorkspaceLib = lazyModule<typeof import('@cdktf/provider-aws/lib/prometheus-workspace')>(
  '@cdktf/provider-aws/lib/prometheus-workspace',
);
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

/** Where the remote-write binding is made. */
export interface RemoteWriteBindOptions {
  /** The cluster Prometheus runs in. */
  readonly cluster: IPlatformCluster;
  /** Namespace of Prometheus. */
  readonly namespace: string;
  /** Prometheus's service account name. */
  readonly serviceAccountName: string;
}

/** What Prometheus needs to write remotely. */
export interface RemoteWriteBinding {
  /** Items for `prometheus.prometheusSpec.remoteWrite`. */
  readonly remoteWrite: { [key: string]: any }[];
  /** The cloud identity Prometheus's service account is bound to. */
  readonly identity: IWorkloadIdentity;
}

/** Options of Amazon Managed Service for Prometheus. */
export interface AmazonManagedPrometheusOptions {
  /**
   * An existing workspace ARN (arn:aws:aps:<region>:<account>:workspace/ws-…).
   * @default - a new workspace is created
   */
  readonly workspaceArn?: string;
  /**
   * Alias of the new workspace.
   * @default - '<clusterName>-metrics'
   */
  readonly alias?: string;
  /**
   * Customer managed KMS key for the new workspace.
   * @default - an AWS owned key
   */
  readonly kmsKeyArn?: string;
  /**
   * Protect the new workspace (and its metrics history) with `prevent_destroy`. Set false for throwaway
   * environments that must `destroy` cleanly.
   * @default true
   */
  readonly retainOnDestroy?: boolean;
}

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

const AMP_ARN = /^arn:aws[a-z-]*:aps:([a-z0-9-]+):\d{12}:workspace\/(ws-[A-Za-z0-9-]+)$/;

/**
 * A managed Prometheus backend that receives the in-cluster Prometheus's samples by remote write, with the
 * cloud's workload identity (no keys).
 */
export abstract class RemoteWrite {
  /**
   * Amazon Managed Service for Prometheus: a workspace (new or given), a Pod Identity role for
   * Prometheus's service account allowed `aps:RemoteWrite` on it, and SigV4-signed remote write.
   */
  public static amazonManagedPrometheus(options: AmazonManagedPrometheusOptions = {}): RemoteWrite {
    return new AmazonManagedPrometheus(options);
  }

  /**
   * Azure Monitor managed service for Prometheus: an Azure Monitor workspace, a data collection endpoint
   * and rule for Prometheus samples, a federated identity for Prometheus's service account with
   * 'Monitoring Metrics Publisher' on the rule, and Entra-authenticated remote write.
   *
   * The in-cluster Prometheus keeps scraping through its own ServiceMonitors and forwards everything, so
   * the AKS metrics add-on (ama-metrics, which reads only `azmonitoring.coreos.com` monitors) is not needed.
   */
  public static azureMonitor(options: AzureMonitorPrometheusOptions = {}): RemoteWrite {
    return new AzureMonitorPrometheus(options);
  }

  /** Problems with this backend on `cluster`, as `<prop> <value> …; <fix>` messages. */
  public abstract validate(cluster: IPlatformCluster): string[];

  /** Creates the backend's resources under `scope` and returns the Prometheus settings. */
  public abstract bind(scope: Construct, options: RemoteWriteBindOptions): RemoteWriteBinding;
}

class AmazonManagedPrometheus extends RemoteWrite {
  constructor(private readonly options: AmazonManagedPrometheusOptions) {
    super();
  }

  public validate(cluster: IPlatformCluster): string[] {
    const errors: string[] = [];
    if (cluster.cloudProvider !== CloudProvider.AWS) {
      errors.push(
        `remoteWrite 'amazonManagedPrometheus' does not fit a cluster on ${cluster.cloudProvider}; Pod Identity and SigV4 need EKS, leave remoteWrite unset on AKS`,
      );
    }
    const arn = this.options.workspaceArn;
    if (arn !== undefined && !Token.isUnresolved(arn) && !AMP_ARN.test(arn)) {
      errors.push(`remoteWrite.workspaceArn '${arn}' is not an AMP workspace ARN; pass arn:aws:aps:<region>:<account>:workspace/ws-<id>`);
    }
    if (
      arn !== undefined &&
      (this.options.alias !== undefined || this.options.kmsKeyArn !== undefined || this.options.retainOnDestroy !== undefined)
    ) {
      errors.push(
        `remoteWrite.alias/kmsKeyArn/retainOnDestroy '${this.options.alias ?? this.options.kmsKeyArn ?? this.options.retainOnDestroy}' only apply to a new workspace; drop them or drop workspaceArn`,
      );
    }
    return errors;
  }

  public bind(scope: Construct, options: RemoteWriteBindOptions): RemoteWriteBinding {
    let arn: string;
    let region: string;
    let url: string;
    const given = this.options.workspaceArn;
    const parsed = given !== undefined && !Token.isUnresolved(given) ? AMP_ARN.exec(given) : null;
    if (parsed) {
      const [, r, id] = parsed;
      arn = given!;
      region = r;
      url = `https://aps-workspaces.${r}.amazonaws.com/workspaces/${id}/api/v1/remote_write`;
    } else if (given !== undefined) {
      arn = given;
      region = Fn.element(Fn.split(':', arn), 3);
      url = Fn.join('', [
        'https://aps-workspaces.',
        region,
        '.amazonaws.com/workspaces/',
        Fn.element(Fn.split('/', arn), 1),
        '/api/v1/remote_write',
      ]);
    } else {
      const ws = new (prometheusWorkspaceLib().PrometheusWorkspace)(scope, 'Workspace', {
        alias: this.options.alias ?? `${options.cluster.clusterName}-metrics`,
        kmsKeyArn: this.options.kmsKeyArn,
        tags: { ...options.cluster.tags },
        lifecycle: { preventDestroy: this.options.retainOnDestroy ?? true },
      });
      arn = ws.arn;
      region = Fn.element(Fn.split(':', ws.arn), 3);
      // prometheus_endpoint ends with '/'.
      url = `${ws.prometheusEndpoint}api/v1/remote_write`;
    }
    const identity = options.cluster.bindServiceAccount(scope, 'Identity', {
      namespace: options.namespace,
      serviceAccountName: options.serviceAccountName,
    });
    identity.grant({ awsStatements: [{ sid: 'RemoteWrite', actions: ['aps:RemoteWrite'], resources: [arn] }] });
    return {
      identity,
      remoteWrite: [
        {
          url,
          sigv4: { region },
          // AMP ingests up to 1,000 samples per request well; the larger queue rides out short throttling.
          queueConfig: { maxSamplesPerSend: 1000, maxShards: 200, capacity: 2500 },
        },
      ],
    };
  }
}

class AzureMonitorPrometheus extends RemoteWrite {
  constructor(private readonly options: AzureMonitorPrometheusOptions) {
    super();
  }

  public validate(cluster: IPlatformCluster): string[] {
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
    const workspace = new (monitorWorkspaceLib().MonitorWorkspace)(scope, 'Workspace', {
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
    identity.grant({ azureRoleAssignments: [{ scope: rule.id, roleDefinitionName: 'Monitoring Metrics Publisher' }] });
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
