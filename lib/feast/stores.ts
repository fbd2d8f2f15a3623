import { Fn, ITerraformDependable, Token } from 'cdktf';
import { Construct } from 'constructs';
import { PodIdentityBinding } from '../aws/pod-identity';
import { awsContext } from '../aws/account';
import { CloudProvider, IPlatformCluster, IWorkloadIdentity } from '../core/cluster';
import {
  IKeyValueCache,
  IObjectStore,
  IPostgresDatabase,
  KeyValueCacheOptions,
  ObjectStoreOptions,
  PostgresOptions,
  RemovalPolicy,
} from '../core/data-services';
import { Duration } from '../core/duration';
import { KeyValueCache, ObjectStore, PostgresDatabase } from '../data-services';
import { reportProblems } from '../private/problems';
import { FeastCharts } from './charts';
import {
  FeastAccess,
  FeastEnvVar,
  FeastPostgresLogin,
  FeastStoreGrant,
  PG_PASSFILE,
  REDIS_PASSWORD_ENV,
  envPlaceholder,
  hashOf,
} from './feature-store-yaml';
import { FeastPostgresRoles } from './postgres-roles';

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
}

// ---------------------------------------------------------------------------------------------------------
// Online stores

/** Options of a managed Redis online store (Azure Managed Redis). */
export interface ManagedRedisOnlineStoreOptions extends KeyValueCacheOptions {
  /**
   * Expire entities not written for this long (Feast's `key_ttl_seconds`).
   * @default - entities never expire
   */
  readonly keyTtl?: Duration;
  /**
   * An existing cache instead of a new one.
   * @default - a new KeyValueCache with these options
   */
  readonly cache?: IKeyValueCache;
}

/** Options of a DynamoDB online store. */
export interface DynamoDbOnlineStoreOptions {
  /**
   * Strongly consistent reads (twice the read cost).
   * @default false
   */
  readonly consistentReads?: boolean;
}

/** Options of a PostgreSQL online store (the database is named 'feast_online' unless set). */
export interface PostgresOnlineStoreOptions extends PostgresOptions {
  /**
   * An existing server instead of a new one (e.g. the one of `Registry.sql()`).
   * @default - a new PostgresDatabase with these options
   */
  readonly database?: IPostgresDatabase;
}

/**
 * Where online features are served from. Every store is private, encrypted, TLS only and reached with the
 * workload identity of each pod; what the cloud lacks fails at synth.
 *
 * ```ts
 * OnlineStore.dynamoDb()      // AWS
 * OnlineStore.managedRedis()  // Azure Managed Redis
 * OnlineStore.postgres()      // both
 * ```
 */
export abstract class OnlineStore {
  /**
   * Azure Managed Redis (a KeyValueCache): TLS, private endpoint, access key delivered as a Kubernetes
   * secret and passed to Feast through `${FEAST_REDIS_PASSWORD}`. Azure only: on AWS the KeyValueCache is
   * ElastiCache with IAM-only users, and Feast's Redis client sends the static password of its
   * connection string (no token refresh), so synth fails there; use `dynamoDb()` or `postgres()`.
   */
  public static managedRedis(options: ManagedRedisOnlineStoreOptions = {}): OnlineStore {
    return new RedisOnline(options);
  }

  /**
   * DynamoDB (AWS only), keyless: Feast's boto3 client takes the pod's EKS Pod Identity. Feast creates its
   * tables (`<project>.<feature view>`, on-demand capacity) at `feast apply` and deletes them when views are
   * removed; grants are scoped to the `<project>.*` table prefix.
   */
  public static dynamoDb(options: DynamoDbOnlineStoreOptions = {}): OnlineStore {
    return new DynamoDbOnline(options);
  }

  /** PostgreSQL (a PostgresDatabase), logins with IAM or Entra tokens, no password. */
  public static postgres(options: PostgresOnlineStoreOptions = {}): OnlineStore {
    return new PostgresOnline(options);
  }

  /** Feast's online store type: 'redis', 'dynamodb' or 'postgres'. */
  public abstract readonly kind: string;

  /** Problems of this store on the given cloud and image (`<prop> <value> <problem>; <fix>`). */
  public abstract problems(check: FeastStoreCheck): string[];

  /** Creates the store under `scope`. */
  public abstract bind(scope: Construct, ctx: FeastContext): IFeastStoreBinding;
}

class RedisOnline extends OnlineStore {
  public readonly kind = 'redis';

  constructor(private readonly options: ManagedRedisOnlineStoreOptions) {
    super();
  }

  public problems(check: FeastStoreCheck): string[] {
    const out: string[] = [];
    if (check.cloudProvider === CloudProvider.AWS) {
      out.push(
        "onlineStore OnlineStore.managedRedis() on AWS is ElastiCache for Valkey with IAM-authenticated users only, and Feast's Redis online store sends the static password of its connection_string (redis-py, no IAM token refresh), so it could never log in; use OnlineStore.dynamoDb() (keyless with Pod Identity) or OnlineStore.postgres()",
      );
    }
    const ttl = this.options.keyTtl;
    if (ttl !== undefined && (ttl.toMilliseconds() < 1000 || ttl.toMilliseconds() % 1000 !== 0)) {
      out.push(`onlineStore.keyTtl ${ttl} is not a whole number of seconds (at least 1); use e.g. Duration.days(7)`);
    }
    return out;
  }

  public bind(scope: Construct, ctx: FeastContext): IFeastStoreBinding {
    const { keyTtl, cache: given, ...cacheOptions } = this.options;
    const cache: IKeyValueCache =
      given ??
      new KeyValueCache(scope, 'OnlineCache', {
        ...cacheOptions,
        cluster: ctx.cluster,
        removalPolicy: cacheOptions.removalPolicy ?? ctx.removalPolicy,
      });
    const port = Token.isUnresolved(cache.port) ? Token.asString(cache.port) : String(cache.port);
    return {
      kind: this.kind,
      ports: [cache.port],
      grant: (identity, _access, after) => {
        // Azure Managed Redis has one access key (no read-only key): every grant may read and write.
        const login = cache.grantReadWrite(identity, after);
        const env: FeastEnvVar[] = login.passwordSecret ? [{ name: REDIS_PASSWORD_ENV, secret: login.passwordSecret }] : [];
        return {
          config: {
            type: 'redis',
            redis_type: 'redis',
            // One endpoint (EnterpriseCluster policy routes keys), TLS; the key is filled in by Feast from the env.
            connection_string: `${cache.host}:${port},ssl=true,password=${envPlaceholder(REDIS_PASSWORD_ENV)}`,
            ...(keyTtl ? { key_ttl_seconds: keyTtl.toMilliseconds() / 1000 } : {}),
          },
          env,
          postgresLogins: [],
          dependables: [...login.dependables],
        };
      },
    };
  }
}

class DynamoDbOnline extends OnlineStore {
  public readonly kind = 'dynamodb';

  constructor(private readonly options: DynamoDbOnlineStoreOptions) {
    super();
  }

  public problems(check: FeastStoreCheck): string[] {
    if (check.cloudProvider === CloudProvider.AWS) return [];
    return [
      `onlineStore OnlineStore.dynamoDb() is an AWS service and this cluster runs on ${check.cloudProvider}; use OnlineStore.managedRedis() (Azure Managed Redis) or OnlineStore.postgres()`,
    ];
  }

  public bind(scope: Construct, ctx: FeastContext): IFeastStoreBinding {
    if (ctx.cluster.cloudProvider !== CloudProvider.AWS) {
      // Reported by problems(): nothing to create, nothing to grant.
      return {
        kind: this.kind,
        grant: () => ({ config: { type: 'dynamodb' }, env: [], postgresLogins: [], dependables: [] }),
      };
    }
    const aws = awsContext(scope);
    const tables = `arn:${aws.partition.partition}:dynamodb:${ctx.cluster.region}:${aws.caller.accountId}:table/${ctx.project}.*`;
    const sid = hashOf(`${scope.node.path}|dynamodb`, 8);
    return {
      kind: this.kind,
      grant: (identity, access) => {
        if (identity instanceof PodIdentityBinding) {
          identity.addToPolicy({ sid: `FeastOnlineRead${sid}`, actions: dynamoDbActions(FeastAccess.READ), resources: [tables] });
          if (access !== FeastAccess.READ) {
            const more = dynamoDbActions(access).filter((a) => !dynamoDbActions(FeastAccess.READ).includes(a));
            identity.addToPolicy({
              sid: `FeastOnline${access === FeastAccess.WRITE ? 'Admin' : 'Write'}${sid}`,
              actions: more,
              resources: [tables],
            });
          }
        } else {
          reportProblems(scope, [
            `grant identity ${identity.node.path} is not an EKS Pod Identity; bind the service account with cluster.bindServiceAccount on this EKS cluster`,
          ]);
        }
        return {
          config: {
            type: 'dynamodb',
            region: ctx.cluster.region,
            ...(this.options.consistentReads ? { consistent_reads: true } : {}),
            // Tags Feast puts on the tables it creates at `feast apply`.
            tags: { ...ctx.cluster.tags, 'feast-project': ctx.project },
          },
          env: [],
          postgresLogins: [],
          dependables: [...identity.dependables],
        };
      },
    };
  }
}

/**
 * DynamoDB actions per access level, from what Feast 0.66's DynamoDBOnlineStore calls: reads use
 * BatchGetItem/GetItem; materialization writes through batch_writer (BatchWriteItem), put_item and
 * update_item; `feast apply` describes, creates, tags and deletes tables.
 */
export function dynamoDbActions(access: FeastAccess): string[] {
  const read = ['dynamodb:GetItem', 'dynamodb:BatchGetItem'];
  if (access === FeastAccess.READ) return read;
  const write = [...read, 'dynamodb:DescribeTable', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:BatchWriteItem'];
  if (access === FeastAccess.MATERIALIZE) return write;
  return [
    ...write,
    'dynamodb:DeleteItem',
    'dynamodb:CreateTable',
    'dynamodb:UpdateTable',
    'dynamodb:DeleteTable',
    'dynamodb:TagResource',
    'dynamodb:UntagResource',
    'dynamodb:ListTagsOfResource',
  ];
}

class PostgresOnline extends OnlineStore {
  public readonly kind = 'postgres';

  constructor(private readonly options: PostgresOnlineStoreOptions) {
    super();
  }

  public problems(): string[] {
    return [];
  }

  public bind(scope: Construct, ctx: FeastContext): IFeastStoreBinding {
    const { database: given, ...dbOptions } = this.options;
    const database =
      given ??
      new PostgresDatabase(scope, 'OnlineDatabase', {
        ...dbOptions,
        cluster: ctx.cluster,
        databaseName: dbOptions.databaseName ?? 'feast_online',
        removalPolicy: dbOptions.removalPolicy ?? ctx.removalPolicy,
      });
    const roles = FeastPostgresRoles.of(scope, { ...ctx, database });
    return {
      kind: this.kind,
      ports: [database.port],
      grant: (identity, access) => {
        const g = roles.addLogin(identity, access);
        return {
          config: {
            type: 'postgres',
            host: database.host,
            port: database.port,
            database: database.databaseName,
            db_schema: 'public',
            user: g.login.user,
            // Empty: libpq then reads PGPASSFILE, which the token helper refreshes.
            password: '',
            sslmode: 'require',
            conn_type: 'pool',
            min_conn: 1,
            max_conn: 10,
          },
          env: [{ name: 'PGPASSFILE', value: PG_PASSFILE }],
          postgresLogins: [g.login],
          dependables: g.dependables,
        };
      },
    };
  }
}

// ---------------------------------------------------------------------------------------------------------
// Offline store

/** Options of the object-store offline store. */
export interface ObjectStoreOfflineStoreOptions extends ObjectStoreOptions {
  /**
   * An existing object store instead of a new one.
   * @default - a new ObjectStore with these options
   */
  readonly store?: IObjectStore;
}

/**
 * Where historical features live. Parquet files in the cluster's object store (S3, or a private Azure
 * storage container), read by Feast's `file` engine (Dask over fsspec), keyless: on AWS s3fs takes the
 * pod's Pod Identity (the AWS SDK default chain), on Azure adlfs takes the workload identity
 * (DefaultAzureCredential). Both need an image with the filesystem: `s3fs`, or `feast[azure]` and `adlfs`.
 */
export abstract class OfflineStore {
  /** Parquet in an ObjectStore, read by Feast's file engine. */
  public static objectStore(options: ObjectStoreOfflineStoreOptions = {}): OfflineStore {
    return new ObjectStoreOffline(options);
  }

  /** Feast's offline store type ('file'). */
  public abstract readonly kind: string;

  /** Problems of this store on the given cloud and image. */
  public abstract problems(check: FeastStoreCheck): string[];

  /** Creates the store under `scope`. */
  public abstract bind(scope: Construct, ctx: FeastContext): IOfflineStoreBinding;
}

class ObjectStoreOffline extends OfflineStore {
  public readonly kind = 'file';

  constructor(private readonly options: ObjectStoreOfflineStoreOptions) {
    super();
  }

  public problems(check: FeastStoreCheck): string[] {
    if (check.cloudProvider === CloudProvider.AZURE && check.image === FeastCharts.FEATURE_SERVER_IMAGE) {
      return [
        `image '${check.image}' cannot read offlineStore OfflineStore.objectStore() on Azure: the Feast image installs feast[minimal], without feast[azure] and adlfs, so az:// parquet has no filesystem and materialization fails; build an image FROM it with \`pip install 'feast[azure]==0.66.0' adlfs\` and pass it as image`,
      ];
    }
    // The file engine reads parquet through Dask and fsspec: s3:// needs s3fs, which feast[minimal] leaves out.
    if (check.cloudProvider === CloudProvider.AWS && check.image === FeastCharts.FEATURE_SERVER_IMAGE) {
      return [
        `image '${check.image}' cannot read offlineStore OfflineStore.objectStore() on AWS: Feast's file engine reads s3:// parquet through Dask and fsspec, which need s3fs, and the Feast image installs feast[minimal] without it, so every materialization fails; build an image FROM it with \`pip install s3fs\` and pass it as image`,
      ];
    }
    return [];
  }

  public bind(scope: Construct, ctx: FeastContext): IOfflineStoreBinding {
    const { store: given, ...storeOptions } = this.options;
    const store: IObjectStore =
      given ??
      new ObjectStore(scope, 'OfflineData', {
        ...storeOptions,
        cluster: ctx.cluster,
        removalPolicy: storeOptions.removalPolicy ?? ctx.removalPolicy,
      });
    const azure = ctx.cluster.cloudProvider === CloudProvider.AZURE;
    const blob = azure ? azureBlobParts(store.url) : undefined;
    // adlfs resolves az://<container>/<path> against AZURE_STORAGE_ACCOUNT_NAME over the blob endpoint,
    // the one the storage account's private endpoint serves (abfss:// would go to the dfs endpoint).
    const dataUrl = blob ? `az://${blob.container}/` : `${store.url}/`;
    const env: FeastEnvVar[] = blob
      ? [
          { name: 'AZURE_STORAGE_ACCOUNT_NAME', value: blob.account },
          // adlfs then authenticates with DefaultAzureCredential (the workload identity), not anonymously.
          { name: 'AZURE_STORAGE_ANON', value: 'false' },
        ]
      : [];
    return {
      kind: this.kind,
      dataUrl,
      grant: (identity, access) => {
        if (access === FeastAccess.WRITE) store.grantReadWrite(identity);
        else if (access === FeastAccess.MATERIALIZE) store.grantRead(identity);
        // Readers never open the offline store: no grant, no storage settings.
        return {
          config: { type: 'file' },
          env: access === FeastAccess.READ ? [] : env,
          postgresLogins: [],
          dependables: [...identity.dependables],
        };
      },
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

// ---------------------------------------------------------------------------------------------------------
// Registry

/** Options of a SQL registry (the database is named 'feast_registry' unless set). */
export interface SqlRegistryOptions extends PostgresOptions {
  /**
   * An existing server instead of a new one.
   * @default - a new PostgresDatabase with these options ('db.t4g.medium' on AWS, 'B_Standard_B2ms' on Azure unless set)
   */
  readonly database?: IPostgresDatabase;
  /**
   * How long readers cache the registry (Feast's `cache_ttl_seconds`).
   * @default Duration.seconds(60)
   */
  readonly cacheTtl?: Duration;
}

/** Options of a registry file in an object store. */
export interface ObjectStoreRegistryOptions extends ObjectStoreOptions {
  /**
   * An existing object store instead of a new one (readers can then read everything in it).
   * @default - a new ObjectStore with these options, holding the registry only
   */
  readonly store?: IObjectStore;
  /**
   * How long readers cache the registry (Feast's `cache_ttl_seconds`).
   * @default Duration.seconds(60)
   */
  readonly cacheTtl?: Duration;
}

/**
 * Where Feast keeps its definitions (entities, feature views, materialization watermarks). `sql()` is the
 * production choice: concurrent writers, per-object updates. `objectStore()` keeps one protobuf file.
 */
export abstract class Registry {
  /** Feast's SQL registry on a PostgresDatabase of its own (or the one given), token logins. */
  public static sql(options: SqlRegistryOptions = {}): Registry {
    return new SqlRegistry(options);
  }

  /**
   * A registry file in an ObjectStore of its own (or the one given): `s3://.../<project>/registry.pb` on
   * AWS, the blob URL with Feast's AzureRegistryStore on Azure (which needs an image with `feast[azure]`).
   */
  public static objectStore(options: ObjectStoreRegistryOptions = {}): Registry {
    return new FileRegistry(options);
  }

  /** 'sql' or 'file'. */
  public abstract readonly kind: string;

  /** Problems of this registry on the given cloud and image. */
  public abstract problems(check: FeastStoreCheck): string[];

  /** Creates the registry under `scope`. */
  public abstract bind(scope: Construct, ctx: FeastContext): IFeastStoreBinding;
}

function ttlProblems(ttl: Duration | undefined): string[] {
  if (ttl === undefined) return [];
  const ms = ttl.toMilliseconds();
  return ms >= 1000 && ms % 1000 === 0
    ? []
    : [`registry.cacheTtl ${ttl} is not a whole number of seconds (at least 1); use e.g. Duration.seconds(60)`];
}

class SqlRegistry extends Registry {
  public readonly kind = 'sql';

  constructor(private readonly options: SqlRegistryOptions) {
    super();
  }

  public problems(): string[] {
    return ttlProblems(this.options.cacheTtl);
  }

  public bind(scope: Construct, ctx: FeastContext): IFeastStoreBinding {
    const { database: given, cacheTtl, ...dbOptions } = this.options;
    const small = dbOptions.highAvailability
      ? undefined
      : ctx.cluster.cloudProvider === CloudProvider.AWS
        ? 'db.t4g.medium'
        : 'B_Standard_B2ms';
    const database =
      given ??
      new PostgresDatabase(scope, 'RegistryDatabase', {
        ...dbOptions,
        cluster: ctx.cluster,
        instanceType: dbOptions.instanceType ?? small,
        databaseName: dbOptions.databaseName ?? 'feast_registry',
        removalPolicy: dbOptions.removalPolicy ?? ctx.removalPolicy,
      });
    const roles = FeastPostgresRoles.of(scope, { ...ctx, database });
    const port = Token.isUnresolved(database.port) ? Token.asString(database.port) : String(database.port);
    return {
      kind: this.kind,
      ports: [database.port],
      grant: (identity, access) => {
        const g = roles.addLogin(identity, access);
        return {
          config: {
            registry_type: 'sql',
            // No password in the URL: psycopg (libpq) reads the token from PGPASSFILE for each connection.
            // Writers' sessions run as the writer group (tables they create belong to it), also where the
            // administrator could not make it the login's default (PostgreSQL 16+ on Azure).
            path:
              access === FeastAccess.READ
                ? `postgresql+psycopg://${g.login.user}@${database.host}:${port}/${database.databaseName}?sslmode=require`
                : `postgresql+psycopg://${g.login.user}@${database.host}:${port}/${database.databaseName}?sslmode=require&options=-c%20role%3D${roles.writerRole}`,
            cache_ttl_seconds: (cacheTtl ?? Duration.seconds(60)).toMilliseconds() / 1000,
            // Readers never create tables (the registry init job, a writer, did): a missing table is an error.
            schema_mode: access === FeastAccess.READ ? 'verify' : 'auto',
            sqlalchemy_config_kwargs: { echo: false, pool_pre_ping: true, pool_recycle: 600 },
          },
          env: [{ name: 'PGPASSFILE', value: PG_PASSFILE }],
          postgresLogins: [g.login],
          dependables: g.dependables,
        };
      },
    };
  }
}

class FileRegistry extends Registry {
  public readonly kind = 'file';

  constructor(private readonly options: ObjectStoreRegistryOptions) {
    super();
  }

  public problems(check: FeastStoreCheck): string[] {
    const out = ttlProblems(this.options.cacheTtl);
    if (check.cloudProvider === CloudProvider.AZURE && check.image === FeastCharts.FEATURE_SERVER_IMAGE) {
      out.push(
        `registry Registry.objectStore() on Azure is read by Feast's AzureRegistryStore (azure-storage-blob, azure-identity), which image '${check.image}' does not ship (feast[minimal] leaves out feast[azure]), so no Feast pod could read the registry; use Registry.sql(), or pass an image built with \`pip install 'feast[azure]==0.66.0' adlfs\``,
      );
    }
    return out;
  }

  public bind(scope: Construct, ctx: FeastContext): IFeastStoreBinding {
    const { store: given, cacheTtl, ...storeOptions } = this.options;
    const store: IObjectStore =
      given ??
      new ObjectStore(scope, 'RegistryFiles', {
        ...storeOptions,
        cluster: ctx.cluster,
        removalPolicy: storeOptions.removalPolicy ?? ctx.removalPolicy,
      });
    const azure = ctx.cluster.cloudProvider === CloudProvider.AZURE;
    return {
      kind: this.kind,
      grant: (identity, access) => {
        // The materializer writes watermarks into the registry: reading is not enough.
        if (access === FeastAccess.READ) store.grantRead(identity);
        else store.grantReadWrite(identity);
        return {
          config: {
            registry_type: 'file',
            ...(azure ? { registry_store_type: 'AzureRegistryStore' } : {}),
            path: `${store.url}/${ctx.project}/registry.pb`,
            cache_ttl_seconds: (cacheTtl ?? Duration.seconds(60)).toMilliseconds() / 1000,
          },
          env: [],
          postgresLogins: [] as FeastPostgresLogin[],
          dependables: [...identity.dependables],
        };
      },
    };
  }
}
