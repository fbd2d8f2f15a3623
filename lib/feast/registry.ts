import { Token } from 'cdktf';
import { Construct } from 'constructs';
import { IObjectStore, IPostgresDatabase, ObjectStoreOptions, PostgresOptions } from '../core/data-services';
import { Duration } from '../core/duration';
import { ObjectStore, PostgresDatabase } from '../data-services';
import { FeastCharts } from './charts';
import { FeastAccess, FeastPostgresLogin, PG_PASSFILE } from './feature-store-yaml';
import { FeastPostgresRoles } from './postgres-roles';
import { FeastContext, FeastStoreCheck, IFeastStoreBinding } from './stores';

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
    const small = dbOptions.highAvailability ? undefined : ctx.cluster.dataServices.feast.smallPostgresInstanceType;
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
    return [...out, ...check.backend.fileRegistryProblems(check.image, check.image === FeastCharts.FEATURE_SERVER_IMAGE)];
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
    const settings = ctx.cluster.dataServices.feast.fileRegistrySettings();
    return {
      kind: this.kind,
      grant: (identity, access) => {
        // The materializer writes watermarks into the registry: reading is not enough.
        if (access === FeastAccess.READ) store.grantRead(identity);
        else store.grantReadWrite(identity);
        return {
          config: {
            registry_type: 'file',
            ...settings,
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
