import { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import { IPlatformCluster, IWorkloadIdentity } from './core/cluster';
import { requestGrantEgress } from './core/egress-requests';
import { reportProblems } from './private/problems';
import {
  IKeyValueCache,
  IObjectStore,
  IPostgresDatabase,
  IObjectEventQueue,
  KeyValueCacheProps,
  ObjectEventsOptions,
  ObjectStoreProps,
  PostgresDatabaseProps,
  ServiceLogin,
} from './core/data-services';
import { skipCreationStacks } from './private/creation-stacks';

/**
 * An object store for documents, models or features next to a cluster: an S3 bucket on AWS, a storage
 * account with one container on Azure. Private, encrypted, versioned, TLS only and retained by default.
 *
 * ```ts
 * const docs = new ObjectStore(this, 'Docs', { cluster });
 * docs.grantRead(identity);
 * ```
 */
export class ObjectStore extends Construct implements IObjectStore {
  public readonly bucketName: string;
  public readonly url: string;
  /** The cloud's implementation (S3 bucket or Azure storage), for escape hatches. */
  public readonly resource: IObjectStore;
  private readonly cluster: IPlatformCluster;

  constructor(scope: Construct, id: string, props: ObjectStoreProps) {
    super(scope, id);
    skipCreationStacks(this);
    this.cluster = props.cluster;
    this.resource = props.cluster.dataServices.objectStore(this, props);
    this.bucketName = this.resource.bucketName;
    this.url = this.resource.url;
  }

  public grantRead(identity: IWorkloadIdentity): void {
    this.resource.grantRead(identity);
  }

  public grantReadWrite(identity: IWorkloadIdentity): void {
    this.resource.grantReadWrite(identity);
  }

  /** A queue that receives an event for each object created in the store (S3 to SQS, Event Grid to a Storage queue). */
  public addObjectEvents(id: string, options: ObjectEventsOptions = {}): IObjectEventQueue {
    let free = id;
    if (id === '' || this.node.tryFindChild(id)) {
      reportProblems(this, [
        `addObjectEvents id '${id}' is ${id === '' ? 'empty' : "already taken under this store (by another queue or the store's shared events part)"}; pass an id of its own, e.g. '${id || 'Documents'}Queue'`,
      ]);
      // Build under a free id so the rest of the app is still checked in the same run.
      for (let n = 2; this.node.tryFindChild((free = `${id}${n}`)); n++);
    }
    return this.cluster.dataServices.objectEvents(new Construct(this, free), this.resource, options);
  }
}

/**
 * A managed PostgreSQL server with pgvector (HNSW) available, in the cluster's private network: RDS for
 * PostgreSQL on AWS (IAM authentication, master password kept by Secrets Manager), Azure Database for
 * PostgreSQL Flexible Server on Azure (Entra authentication only). Encrypted, TLS only, backed up and retained
 * by default.
 */
export class PostgresDatabase extends Construct implements IPostgresDatabase {
  public readonly host: string;
  public readonly port: number;
  public readonly databaseName: string;
  public readonly engineVersion: string;
  /** The cloud's implementation, for escape hatches. */
  public readonly resource: IPostgresDatabase;
  private readonly cluster: IPlatformCluster;

  constructor(scope: Construct, id: string, props: PostgresDatabaseProps) {
    super(scope, id);
    skipCreationStacks(this);
    this.cluster = props.cluster;
    this.resource = props.cluster.dataServices.postgres(this, props);
    this.host = this.resource.host;
    this.port = this.resource.port;
    this.databaseName = this.resource.databaseName;
    this.engineVersion = this.resource.engineVersion;
  }

  /**
   * Lets the identity log in as `user` with a token (IAM on AWS, Entra on Azure); no password exists. The
   * returned `setupSql` creates the login inside the database (run once by an administrator or a migration
   * job, together with `CREATE EXTENSION IF NOT EXISTS vector`). The identity's namespace, if the library created it (egress denied),
   * may then reach the port.
   */
  public grantConnect(identity: IWorkloadIdentity, user: string): ServiceLogin {
    const login = this.resource.grantConnect(identity, user);
    requestGrantEgress(identity, 'postgres', this.port, this.cluster);
    return login;
  }

  /**
   * Lets the identity log in as an administrator, for a bootstrap job that creates extensions and roles:
   * on AWS it may read the master password from Secrets Manager (`cloudSecretId`); on Azure it becomes an
   * Entra administrator of the server (log in with an Entra token as `user`). The identity's namespace, if the library created it (egress denied),
   * may then reach the port.
   */
  public grantAdmin(identity: IWorkloadIdentity): ServiceLogin {
    const login = this.resource.grantAdmin(identity);
    requestGrantEgress(identity, 'postgres', this.port, this.cluster);
    return login;
  }
}

/**
 * A managed key-value cache in the cluster's private network: ElastiCache for Valkey on AWS (IAM
 * authentication), Azure Managed Redis on Azure (access key delivered as a Kubernetes secret). TLS only,
 * encrypted at rest, replicated and retained by default.
 */
export class KeyValueCache extends Construct implements IKeyValueCache {
  public readonly host: string;
  public readonly port: number;
  /** The cloud's implementation, for escape hatches. */
  public readonly resource: IKeyValueCache;
  private readonly cluster: IPlatformCluster;

  constructor(scope: Construct, id: string, props: KeyValueCacheProps) {
    super(scope, id);
    skipCreationStacks(this);
    this.cluster = props.cluster;
    this.resource = props.cluster.dataServices.cache(this, props);
    this.host = this.resource.host;
    this.port = this.resource.port;
  }

  /**
   * Lets the identity read and write keys. On AWS the identity logs in with an IAM token; on Azure the
   * access key is written into a Kubernetes secret in the identity's namespace, created after `after`. The identity's namespace, if the library created it (egress denied),
   * may then reach the port.
   */
  public grantReadWrite(identity: IWorkloadIdentity, after?: ITerraformDependable[]): ServiceLogin {
    const login = this.resource.grantReadWrite(identity, after);
    requestGrantEgress(identity, 'cache', this.port, this.cluster);
    return login;
  }
}
