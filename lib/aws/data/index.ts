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
import { EfsSharedFileSystem } from './efs';
import { AwsFeastBackend } from './feast';
import { ValkeyCache } from './elasticache';
import { sqsObjectEvents } from './events';
import { RdsPostgresDatabase } from './rds';
import { S3ObjectStore } from './s3';

export { EfsSharedFileSystem } from './efs';
export type { EfsSharedFileSystemProps } from './efs';
export { ValkeyCache } from './elasticache';
export type { ValkeyCacheProps } from './elasticache';
export { RdsPostgresDatabase } from './rds';
export type { RdsPostgresDatabaseProps } from './rds';
export { S3ObjectStore } from './s3';
export type { S3ObjectStoreProps } from './s3';

/** Where AWS data services of one cluster go. */
export interface AwsDataServicesProps {
  /** Cluster name (may be a token), for names and descriptions. */
  readonly clusterName: string;
  /** The cluster's VPC, private subnets and node security group. */
  readonly network: ClusterNetwork;
  /** Tags for every resource. */
  readonly tags: { [key: string]: string };
  /**
   * The cluster, for in-cluster resources of data services (the StorageClass of a shared file system) and
   * the EKS add-on they need (the EFS CSI driver, installed once per cluster).
   */
  readonly cluster: IClusterInstallTarget;
  /**
   * The stack for what outlives the cluster: each service's stateful resources go there (under a construct
   * standing for the service's), what refers to the cluster (node security group rules, IAM, Kubernetes
   * objects) stays with the service.
   * @default - none: everything under the service's construct
   */
  readonly dataStack?: TerraformStack;
}

/**
 * S3, RDS for PostgreSQL, ElastiCache for Valkey and EFS next to an EKS cluster. Each service is the
 * 'Default' child of the construct passed as `scope` (hidden from Terraform resource names, and the
 * construct's `node.defaultChild`); problems are reported on `scope`.
 */
export class AwsDataServices implements IDataServices {
  public readonly feast: IFeastBackend = new AwsFeastBackend();

  constructor(private readonly props: AwsDataServicesProps) {}

  public objectStore(scope: Construct, options: ObjectStoreOptions): IObjectStore {
    return new S3ObjectStore(scope, 'Default', {
      ...options,
      clusterName: this.props.clusterName,
      tags: this.props.tags,
      dataStack: this.props.dataStack,
    });
  }

  public postgres(scope: Construct, options: PostgresOptions): IPostgresDatabase {
    return new RdsPostgresDatabase(scope, 'Default', {
      ...options,
      clusterName: this.props.clusterName,
      network: this.props.network,
      tags: this.props.tags,
      dataStack: this.props.dataStack,
    });
  }

  public cache(scope: Construct, options: KeyValueCacheOptions): IKeyValueCache {
    return new ValkeyCache(scope, 'Default', {
      ...options,
      clusterName: this.props.clusterName,
      network: this.props.network,
      tags: this.props.tags,
      dataStack: this.props.dataStack,
    });
  }

  public objectEvents(scope: Construct, store: IObjectStore, options: ObjectEventsOptions): IObjectEventQueue {
    return sqsObjectEvents(scope, store, options, { clusterName: this.props.clusterName, tags: this.props.tags });
  }

  public sharedFileSystem(scope: Construct, options: SharedFileSystemOptions): ISharedFileSystem {
    return new EfsSharedFileSystem(scope, 'Default', {
      ...options,
      clusterName: this.props.clusterName,
      network: this.props.network,
      tags: this.props.tags,
      cluster: this.props.cluster,
      dataStack: this.props.dataStack,
    });
  }
}
