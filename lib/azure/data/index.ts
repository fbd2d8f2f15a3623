import { TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import { ClusterNetwork, IClusterInstallTarget } from '../../core/cluster';
import type { IFeastBackend } from '../../core/feast-backend';
import {
  IDataServices,
  IKeyValueCache,
  IObjectEventQueue,
  IObjectStore,
  IPostgresDatabase,
  ISharedFileSystem,
  KeyValueCacheOptions,
  ObjectEventsOptions,
  ObjectStoreOptions,
  PostgresOptions,
  SharedFileSystemOptions,
} from '../../core/data-services';
import type { IRetainedVolumeAccess } from '../retained-volumes';
import { azureObjectEvents } from './events';
import { AzureFeastBackend } from './feast';
import { AzureFilesSharedFileSystem } from './files';
import { AzurePostgresDatabase } from './postgres';
import { AzureManagedRedis } from './redis';
import { AzureObjectStore } from './storage';

export { AZURE_FILES_STORAGE_CLASS, AzureFilesSharedFileSystem } from './files';

/** An Entra ID principal. */
export interface EntraPrincipal {
  /** Object id. */
  readonly objectId: string;
  /** Display name (for a PostgreSQL administrator, the role name it logs in as). */
  readonly principalName: string;
  /** 'User', 'Group' or 'ServicePrincipal'. */
  readonly principalType: string;
}

/** Where Azure data services of one cluster go. */
export interface AzureDataServicesProps {
  /** Cluster name (may be a token), for names. */
  readonly clusterName: string;
  /** Location of the cluster. */
  readonly location: string;
  /** Resource group of the cluster. */
  readonly resourceGroupName: string;
  /** The cluster's VNet id and node subnet (private endpoints go there). */
  readonly network: ClusterNetwork;
  /** Tags for every resource. */
  readonly tags: { [key: string]: string };
  /** The cluster, for Kubernetes secrets of grants (providers and what they wait for in a stack). */
  readonly cluster: IClusterInstallTarget;
  /**
   * Private DNS zones that already serve the VNet (a hub's central `privatelink.*` zones), by zone name:
   * endpoints register there and no zone or VNet link is created (a VNet takes one zone of a name only).
   * @default - each zone is created in the cluster's resource group and linked to its VNet
   */
  readonly privateDnsZoneIds?: { [zoneName: string]: string };
  /**
   * The Entra administrator of PostgreSQL servers (an Entra group is best).
   * @default - the identity running Terraform (User when signed in through the Azure CLI, else ServicePrincipal)
   */
  readonly databaseAdministrator?: EntraPrincipal;
  /**
   * The stack for what outlives the cluster: each service's stateful resources, private endpoints and DNS
   * zones go there (under a construct standing for the service's); role assignments to workload identities
   * and Kubernetes secrets stay with the service.
   * @default - none: everything under the service's construct
   */
  readonly dataStack?: TerraformStack;
  /**
   * Where retained volumes of StorageClasses (shared file systems) go, with the access the CSI drivers need.
   * @default - the node resource group, which AKS deletes with the cluster
   */
  readonly retainedVolumes?: IRetainedVolumeAccess;
}

/**
 * Azure Storage, PostgreSQL Flexible Server, Azure Managed Redis and Azure Files (shared volumes) next to an AKS cluster. Every service is
 * private (a private endpoint in the node subnet, with the service's privatelink DNS zone linked to the
 * cluster's VNet, created once per resource group and stack), encrypted, TLS only, Entra-authenticated where
 * the service allows it, and retained (`prevent_destroy`) unless its removal policy is DESTROY.
 */
export class AzureDataServices implements IDataServices {
  public readonly feast: IFeastBackend = new AzureFeastBackend();

  constructor(private readonly props: AzureDataServicesProps) {}

  public objectStore(scope: Construct, options: ObjectStoreOptions): IObjectStore {
    return new AzureObjectStore(scope, this.props, options);
  }

  public postgres(scope: Construct, options: PostgresOptions): IPostgresDatabase {
    return new AzurePostgresDatabase(scope, this.props, options);
  }

  public cache(scope: Construct, options: KeyValueCacheOptions): IKeyValueCache {
    return new AzureManagedRedis(scope, this.props, options);
  }

  public objectEvents(scope: Construct, store: IObjectStore, options: ObjectEventsOptions): IObjectEventQueue {
    return azureObjectEvents(scope, this.props, store, options);
  }

  public sharedFileSystem(scope: Construct, options: SharedFileSystemOptions): ISharedFileSystem {
    return new AzureFilesSharedFileSystem(scope, this.props, options);
  }
}
