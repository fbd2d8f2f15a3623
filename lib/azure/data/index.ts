import { ITerraformDependable } from 'cdktf';
import { Construct, IConstruct } from 'constructs';
import { ClusterNetwork, ClusterProviders } from '../../core/cluster';
import {
  IDataServices,
  IKeyValueCache,
  IObjectStore,
  IPostgresDatabase,
  KeyValueCacheOptions,
  ObjectStoreOptions,
  PostgresOptions,
} from '../../core/data-services';

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
  /** Kubernetes/Helm providers of the cluster for `scope`'s stack (for generated secrets). */
  readonly providers: (scope: IConstruct) => ClusterProviders;
  /** What in-cluster resources of `scope`'s stack wait for. */
  readonly addonDependencies: (scope: IConstruct) => ITerraformDependable[];
}

/** Azure data services next to an AKS cluster (being built). */
export class AzureDataServices implements IDataServices {
  constructor(private readonly props: AzureDataServicesProps) {}

  public objectStore(scope: Construct, options: ObjectStoreOptions): IObjectStore {
    throw new Error(`${scope.node.path}: not built yet (${JSON.stringify(options)}, ${this.props.clusterName})`);
  }

  public postgres(scope: Construct, options: PostgresOptions): IPostgresDatabase {
    throw new Error(`${scope.node.path}: not built yet (${JSON.stringify(options)})`);
  }

  public cache(scope: Construct, options: KeyValueCacheOptions): IKeyValueCache {
    throw new Error(`${scope.node.path}: not built yet (${JSON.stringify(options)})`);
  }
}
