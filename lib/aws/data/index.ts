import { Construct } from 'constructs';
import { ClusterNetwork } from '../../core/cluster';
import {
  IDataServices,
  IKeyValueCache,
  IObjectStore,
  IPostgresDatabase,
  KeyValueCacheOptions,
  ObjectStoreOptions,
  PostgresOptions,
} from '../../core/data-services';

/** Where AWS data services of one cluster go. */
export interface AwsDataServicesProps {
  /** Cluster name (may be a token), for names and descriptions. */
  readonly clusterName: string;
  /** The cluster's VPC, private subnets and node security group. */
  readonly network: ClusterNetwork;
  /** Tags for every resource. */
  readonly tags: { [key: string]: string };
}

/** S3, RDS for PostgreSQL and ElastiCache for Valkey next to an EKS cluster (being built). */
export class AwsDataServices implements IDataServices {
  constructor(private readonly props: AwsDataServicesProps) {}

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
