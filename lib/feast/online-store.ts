import { Token } from 'cdktf';
import { Construct } from 'constructs';
import { IKeyValueCache, IPostgresDatabase, KeyValueCacheOptions, PostgresOptions } from '../core/data-services';
import { Duration } from '../core/duration';
import { KeyValueCache, PostgresDatabase } from '../data-services';
import { FeastEnvVar, PG_PASSFILE, REDIS_PASSWORD_ENV, envPlaceholder, hashOf } from './feature-store-yaml';
import { FeastPostgresRoles } from './postgres-roles';
import { FeastContext, FeastStoreCheck, IFeastStoreBinding } from './stores';

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
    const out = check.backend.onlineStoreProblems(this.kind);
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
    return check.backend.onlineStoreProblems(this.kind);
  }

  public bind(scope: Construct, ctx: FeastContext): IFeastStoreBinding {
    const tables = ctx.cluster.dataServices.feast.onlineTables(scope, {
      project: ctx.project,
      region: ctx.cluster.region,
      grantId: hashOf(`${scope.node.path}|dynamodb`, 8),
    });
    if (!tables) {
      // Reported by problems(): nothing to create, nothing to grant.
      return {
        kind: this.kind,
        grant: () => ({ config: { type: 'dynamodb' }, env: [], postgresLogins: [], dependables: [] }),
      };
    }
    return {
      kind: this.kind,
      grant: (identity, access) => {
        tables.grant(identity, access);
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
