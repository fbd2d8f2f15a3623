import { ITerraformDependable } from 'cdktf';
import { Construct, IConstruct } from 'constructs';
import { Duration } from './duration';
import type { IPlatformCluster, IWorkloadIdentity } from './cluster';
import type { IFeastBackend } from './feast-backend';

/** What `cdktf destroy` (or removing the construct) does to a stateful resource. */
export enum RemovalPolicy {
  /** Refuse to destroy it (`prevent_destroy`, deletion protection, final snapshot). The default. */
  RETAIN = 'retain',
  /** Destroy it with its data, for throwaway environments; it is tagged `throwaway = "true"`. */
  DESTROY = 'destroy',
}

/** Options of an object store (S3 bucket, or an Azure storage account with one container). */
export interface ObjectStoreOptions {
  /**
   * Name of the bucket (AWS) or container (Azure): 3-63 lower-case letters, digits and '-'. The Azure
   * storage account name is derived from it (24 characters at most, globally unique through a hash).
   * @default - derived from the cluster name and the construct path (AWS adds a unique suffix)
   */
  readonly name?: string;
  /**
   * Keep earlier versions of overwritten or deleted objects this long.
   * @default Duration.days(30)
   */
  readonly noncurrentVersionRetention?: Duration;
  /**
   * What destroy does.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** Options of a managed PostgreSQL server with pgvector. */
export interface PostgresOptions {
  /**
   * Name of the database to create.
   * @default 'app'
   */
  readonly databaseName?: string;
  /**
   * PostgreSQL major version; 15 or newer, so pgvector has HNSW indexes (pgvector 0.5+).
   * @default '17'
   */
  readonly engineVersion?: string;
  /**
   * Instance class (AWS, e.g. 'db.r7g.large') or SKU (Azure, e.g. 'GP_Standard_D4ds_v5').
   * @default - 'db.r7g.large' on AWS, 'GP_Standard_D4ds_v5' on Azure
   */
  readonly instanceType?: string;
  /**
   * Storage in GiB (AWS grows it up to 4x automatically).
   * @default 128
   */
  readonly storageGib?: number;
  /**
   * A standby in another zone (Multi-AZ on AWS, zone-redundant HA on Azure).
   * @default false
   */
  readonly highAvailability?: boolean;
  /**
   * How long automated backups are kept: 7 to 35 days.
   * @default Duration.days(7)
   */
  readonly backupRetention?: Duration;
  /**
   * What destroy does.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** Options of a managed key-value cache (ElastiCache Valkey, Azure Managed Redis). */
export interface KeyValueCacheOptions {
  /**
   * Node type (AWS, e.g. 'cache.r7g.large') or SKU (Azure Managed Redis, e.g. 'Balanced_B5').
   * @default - 'cache.r7g.large' on AWS, 'Balanced_B5' on Azure
   */
  readonly instanceType?: string;
  /**
   * A replica in another zone with automatic failover (AWS), high availability (Azure).
   * @default true
   */
  readonly highAvailability?: boolean;
  /**
   * TLS between clients and the cache. It cannot be turned off: the prop exists so that `false` fails at
   * synth with a message instead of being silently ignored.
   * @default true
   */
  readonly transitEncryption?: boolean;
  /**
   * What destroy does.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** Options of a shared file system (ReadWriteMany volumes: EFS on AWS, Azure Files on Azure). */
export interface SharedFileSystemOptions {
  /**
   * What destroy does to the file system (AWS; on Azure the driver owns the storage account, and volumes
   * of the class are always retained when their claim goes).
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** Props of ObjectStore. */
export interface ObjectStoreProps extends ObjectStoreOptions {
  /** The cluster whose workloads use the store; it lands in the cluster's region, network and tags. */
  readonly cluster: IPlatformCluster;
}

/** Props of PostgresDatabase. */
export interface PostgresDatabaseProps extends PostgresOptions {
  /** The cluster whose workloads use the database; it lands in the cluster's private network. */
  readonly cluster: IPlatformCluster;
}

/** Props of KeyValueCache. */
export interface KeyValueCacheProps extends KeyValueCacheOptions {
  /** The cluster whose workloads use the cache; it lands in the cluster's private network. */
  readonly cluster: IPlatformCluster;
}

/** A key of a Kubernetes secret that holds a credential (written by Terraform, never in synth output). */
export interface KubernetesSecretKeyRef {
  /** Namespace of the secret. */
  readonly namespace: string;
  /** Secret name. */
  readonly name: string;
  /** Key in the secret. */
  readonly key: string;
}

/** How a workload logs in to a database or cache it was granted. */
export interface ServiceLogin {
  /** User name to log in with. */
  readonly user: string;
  /**
   * 'aws-iam' (a short-lived IAM token as password), 'entra' (an Entra access token as password) or
   * 'access-key' (the secret in `passwordSecret`).
   */
  readonly authentication: string;
  /**
   * The Kubernetes secret with the password.
   * @default - none: the password is a token the workload's identity obtains
   */
  readonly passwordSecret?: KubernetesSecretKeyRef;
  /**
   * A cloud secret holding the password, read with the workload identity (the RDS master password in
   * Secrets Manager, for an administrator login).
   * @default - none
   */
  readonly cloudSecretId?: string;
  /**
   * SQL a database administrator runs once to create the login (PostgreSQL only), e.g.
   * `CREATE ROLE "rag" LOGIN; GRANT rds_iam TO "rag";`.
   * @default - nothing to run
   */
  readonly setupSql?: string;
  /** Resources a pod using the login must wait for. */
  readonly dependables: ITerraformDependable[];
}

/** An object store: an S3 bucket, or a container in an Azure storage account. */
export interface IObjectStore extends IConstruct {
  /** Bucket (AWS) or container (Azure) name. */
  readonly bucketName: string;
  /** URL of the store: `s3://<bucket>` or `https://<account>.blob.core.windows.net/<container>`. */
  readonly url: string;
  /** Lets the identity list and read objects (and decrypt them). */
  grantRead(identity: IWorkloadIdentity): void;
  /** Lets the identity list, read, write and delete objects. */
  grantReadWrite(identity: IWorkloadIdentity): void;
}

/** A managed PostgreSQL server with pgvector available. */
export interface IPostgresDatabase extends IConstruct {
  /** Host name clients connect to (private). */
  readonly host: string;
  /** Port. */
  readonly port: number;
  /** The database created on the server. */
  readonly databaseName: string;
  /** PostgreSQL major version. */
  readonly engineVersion: string;
  /**
   * Lets the identity log in as `user` with a token (IAM on AWS, Entra on Azure); no password exists. The
   * returned `setupSql` creates the login inside the database (run once by an administrator or a migration job,
   * together with `CREATE EXTENSION IF NOT EXISTS vector`). Implementations ask for the port's egress from the
   * identity's namespace (`requestGrantEgress`), which allows it if the library created the namespace.
   */
  grantConnect(identity: IWorkloadIdentity, user: string): ServiceLogin;
  /**
   * Lets the identity log in as an administrator, for a bootstrap job that creates extensions and roles:
   * on AWS it may read the master password from Secrets Manager (`cloudSecretId`); on Azure it becomes an
   * Entra administrator of the server (log in with an Entra token as `user`). Asks for the port's egress
   * like grantConnect.
   */
  grantAdmin(identity: IWorkloadIdentity): ServiceLogin;
}

/** A managed key-value cache, TLS only. */
export interface IKeyValueCache extends IConstruct {
  /** Host name clients connect to (private). */
  readonly host: string;
  /** Port (TLS). */
  readonly port: number;
  /**
   * Lets the identity read and write keys. On AWS the identity logs in with an IAM token; on Azure the
   * access key is written into a Kubernetes secret in the identity's namespace, created after `after`.
   * Implementations ask for the port's egress from the identity's namespace (`requestGrantEgress`).
   */
  grantReadWrite(identity: IWorkloadIdentity, after?: ITerraformDependable[]): ServiceLogin;
}

/**
 * A file system many pods mount at once (ReadWriteMany), through a StorageClass: EFS with the EFS CSI
 * driver on AWS, Azure Files premium shares (SMB 3 with encryption in transit) on Azure. Volumes of the
 * class are retained when their claim is deleted.
 */
export interface ISharedFileSystem extends IConstruct {
  /** StorageClass that provisions ReadWriteMany volumes on it. */
  readonly storageClassName: string;
  /**
   * True when the file system grows on its own (EFS): a claim's size is then nominal and never changes.
   * Otherwise claims are provisioned at their size (Azure Files premium: 100 GiB at least) and can grow.
   */
  readonly elastic: boolean;
  /** What PVCs of the class wait for (driver, file system, mount targets, StorageClass). */
  readonly dependables: ITerraformDependable[];
}

/** A KEDA trigger, as the `triggers` item of a ScaledObject takes it. */
export interface KedaTriggerSpec {
  /** Scaler type, e.g. 'aws-sqs-queue' or 'azure-queue'. */
  readonly type: string;
  /** Scaler metadata. */
  readonly metadata: { [key: string]: string };
  /** The pod identity provider of the TriggerAuthentication, e.g. 'aws' or 'azure-workload'. */
  readonly podIdentityProvider: string;
}

/** Options of object-created events of an object store. */
export interface ObjectEventsOptions {
  /**
   * Only objects whose key starts with this prefix.
   * @default - every object
   */
  readonly prefix?: string;
  /**
   * How long an undelivered event is kept.
   * @default Duration.days(4)
   */
  readonly retention?: Duration;
}

/** A queue receiving an event for each object created in an object store (S3 to SQS, Event Grid to a Storage queue). */
export interface IObjectEventQueue extends IConstruct {
  /** Queue name. */
  readonly queueName: string;
  /** Queue URL (SQS URL, or the Storage queue's URL). */
  readonly queueUrl: string;
  /** Lets the identity receive and delete messages. */
  grantConsume(identity: IWorkloadIdentity): void;
  /** Lets the identity read the queue length (the KEDA operator's identity). */
  grantMonitor(identity: IWorkloadIdentity): void;
  /** A KEDA trigger that scales on this queue's length, `targetLength` messages per replica. */
  kedaTrigger(targetLength: number): KedaTriggerSpec;
}

/**
 * A cloud's data services next to one cluster: in its region and network, with its tags. Reached through
 * `cluster.dataServices`; the ObjectStore, PostgresDatabase and KeyValueCache constructs call it.
 */
export interface IDataServices {
  /** Creates an object store under `scope`; problems are reported at synth. */
  objectStore(scope: Construct, options: ObjectStoreOptions): IObjectStore;
  /** Creates a PostgreSQL server under `scope`. */
  postgres(scope: Construct, options: PostgresOptions): IPostgresDatabase;
  /** Creates a key-value cache under `scope`. */
  cache(scope: Construct, options: KeyValueCacheOptions): IKeyValueCache;
  /** Creates a queue under `scope` that receives an event for each object created in `store` (made by this cloud). */
  objectEvents(scope: Construct, store: IObjectStore, options: ObjectEventsOptions): IObjectEventQueue;
  /** Creates a shared (ReadWriteMany) file system under `scope`, with a StorageClass in the cluster. */
  sharedFileSystem(scope: Construct, options: SharedFileSystemOptions): ISharedFileSystem;
  /** What a Feast feature store needs of this cloud (FeatureStore asks it instead of branching on the cloud). */
  readonly feast: IFeastBackend;
}
