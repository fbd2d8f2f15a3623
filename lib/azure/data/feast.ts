import type { DataAzurermClientConfig } from '@cdktf/provider-azurerm/lib/data-azurerm-client-config';
import { Fn } from 'cdktf';
import { Construct } from 'constructs';
import { CloudProvider, IWorkloadIdentity } from '../../core/cluster';
import { IObjectStore } from '../../core/data-services';
import { FeastEnvValue, FeastObjectStoreLocation, FeastPodIdentity, IFeastBackend, IFeastOnlineTables } from '../../core/feast-backend';
import { lazyModule } from '../../private/lazy';

const clientConfigLib = lazyModule<typeof import('@cdktf/provider-azurerm/lib/data-azurerm-client-config')>(
  '@cdktf/provider-azurerm/lib/data-azurerm-client-config',
);

/** What an image needs to read Azure storage from Feast. */
const AZURE_EXTRAS = "`pip install 'feast[azure]==0.66.0' adlfs`";

/** Feast on Azure: Azure Managed Redis with its access key, adlfs over the blob endpoint, Entra workload identity. */
export class AzureFeastBackend implements IFeastBackend {
  public readonly smallPostgresInstanceType = 'B_Standard_B2ms';

  public onlineStoreProblems(kind: string): string[] {
    if (kind !== 'dynamodb') return [];
    return [
      'onlineStore OnlineStore.dynamoDb() is an AWS service and this cluster runs on azure; use OnlineStore.managedRedis() (Azure Managed Redis) or OnlineStore.postgres()',
    ];
  }

  public offlineStoreProblems(image: string, stockImage: boolean): string[] {
    if (!stockImage) return [];
    return [
      `image '${image}' cannot read offlineStore OfflineStore.objectStore() on Azure: the Feast image installs feast[minimal], without feast[azure] and adlfs, so az:// parquet has no filesystem and materialization fails; build an image FROM it with ${AZURE_EXTRAS} and pass it as image`,
    ];
  }

  public fileRegistryProblems(image: string, stockImage: boolean): string[] {
    if (!stockImage) return [];
    return [
      `registry Registry.objectStore() on Azure is read by Feast's AzureRegistryStore (azure-storage-blob, azure-identity), which image '${image}' does not ship (feast[minimal] leaves out feast[azure]), so no Feast pod could read the registry; use Registry.sql(), or pass an image built with ${AZURE_EXTRAS}`,
    ];
  }

  public offlineLocation(store: IObjectStore): FeastObjectStoreLocation {
    const blob = azureBlobParts(store.url);
    return {
      // adlfs resolves az://<container>/<path> against AZURE_STORAGE_ACCOUNT_NAME over the blob endpoint,
      // the one the storage account's private endpoint serves (abfss:// would go to the dfs endpoint).
      dataUrl: `az://${blob.container}/`,
      env: [
        { name: 'AZURE_STORAGE_ACCOUNT_NAME', value: blob.account },
        // adlfs then authenticates with DefaultAzureCredential (the workload identity), not anonymously.
        { name: 'AZURE_STORAGE_ANON', value: 'false' },
      ],
    };
  }

  public fileRegistrySettings(): { [key: string]: string } {
    return { registry_store_type: 'AzureRegistryStore' };
  }

  public onlineTables(): IFeastOnlineTables | undefined {
    return undefined;
  }

  public sdkEnvironment(): FeastEnvValue[] {
    return [];
  }

  public identityTenant(scope: Construct): string | undefined {
    const existing = scope.node.tryFindChild('AzureClient') as DataAzurermClientConfig | undefined;
    return (existing ?? new (clientConfigLib().DataAzurermClientConfig)(scope, 'AzureClient', {})).tenantId;
  }

  /**
   * Pods that carry only their own selector labels are never seen by the Azure workload identity webhook
   * (which mutates pods labelled `azure.workload.identity/use`): the pod spec mounts the projected service
   * account token for `api://AzureADTokenExchange` and sets the variables the webhook would.
   */
  public podIdentity(identity: IWorkloadIdentity, tenantId?: string): FeastPodIdentity {
    if (identity.cloudProvider !== CloudProvider.AZURE) return { env: [], volumes: [], mounts: [] };
    const dir = '/var/run/secrets/azure/tokens';
    return {
      env: [
        { name: 'AZURE_CLIENT_ID', value: identity.principal },
        { name: 'AZURE_TENANT_ID', value: tenantId ?? '' },
        { name: 'AZURE_FEDERATED_TOKEN_FILE', value: `${dir}/azure-identity-token` },
        { name: 'AZURE_AUTHORITY_HOST', value: 'https://login.microsoftonline.com/' },
      ],
      volumes: [
        {
          name: 'azure-identity-token',
          projected: {
            sources: [
              { serviceAccountToken: { path: 'azure-identity-token', audience: 'api://AzureADTokenExchange', expirationSeconds: 3600 } },
            ],
          },
        },
      ],
      mounts: [{ name: 'azure-identity-token', mountPath: dir, readOnly: true }],
    };
  }
}

/** Account and container of an Azure blob URL (`https://<account>.blob.core.windows.net/<container>`). */
function azureBlobParts(url: string): { account: string; container: string } {
  const m = /^https:\/\/([a-z0-9]+)\.blob\.core\.windows\.net\/(.+)$/.exec(url);
  if (m) return { account: m[1], container: m[2] };
  const hostAndPath = Fn.replace(url, 'https://', '');
  return {
    account: Fn.element(Fn.split('.', hostAndPath), 0),
    container: Fn.element(Fn.split('/', hostAndPath), 1),
  };
}
