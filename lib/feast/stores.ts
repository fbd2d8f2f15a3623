import { ITerraformDependable } from 'cdktf';
import { CloudProvider, IPlatformCluster, IWorkloadIdentity } from '../core/cluster';
import { RemovalPolicy } from '../core/data-services';
import { IFeastBackend } from '../core/feast-backend';
import { FeastAccess, FeastStoreGrant } from './feature-store-yaml';

/** What a FeatureStore hands to its stores. */
export interface FeastContext {
  /** The cluster. */
  readonly cluster: IPlatformCluster;
  /** Feast project. */
  readonly project: string;
  /** Namespace of the feature store's workloads (exists once `dependables` are applied). */
  readonly namespace: string;
  /** What in-namespace resources wait for (the namespace and its policies). */
  readonly dependables: ITerraformDependable[];
  /** What destroy does to stores that do not set their own removal policy. */
  readonly removalPolicy: RemovalPolicy;
}

/** A store once created for a FeatureStore: its kind, and grants that yield feature_store.yaml sections. */
export interface IFeastStoreBinding {
  /** Feast's type of the store: 'redis', 'dynamodb', 'postgres', 'file', 'sql'. */
  readonly kind: string;
  /**
   * TCP ports of the data service Feast pods connect to at a private address (PostgreSQL, Redis), which
   * the namespace's egress policy must allow.
   * @default - none: the store is reached over HTTPS (object store, DynamoDB)
   */
  readonly ports?: number[];
  /**
   * Lets the identity use the store at the given access and returns its section of feature_store.yaml.
   * `after`: what secrets written into the identity's namespace wait for (the namespace).
   */
  grant(identity: IWorkloadIdentity, access: FeastAccess, after: ITerraformDependable[]): FeastStoreGrant;
}

/** The offline store once created: where teams write parquet for their FileSources. */
export interface IOfflineStoreBinding extends IFeastStoreBinding {
  /** Base URL for FileSource paths: `s3://<bucket>/` or `az://<container>/`. */
  readonly dataUrl: string;
}

/** Where a problem check runs: the cluster and the image Feast pods run. */
export interface FeastStoreCheck {
  /** The cloud of the cluster. */
  readonly cloudProvider: CloudProvider;
  /** Image of the Feast pods. */
  readonly image: string;
  /** What the cluster's cloud offers Feast, and what it cannot use there (`cluster.dataServices.feast`). */
  readonly backend: IFeastBackend;
}
