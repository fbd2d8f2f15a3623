import { JobV1 } from '@cdktf/provider-kubernetes/lib/job-v1';
import { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import { loginSetupScript, postgresBootstrapJob } from '../addons/postgres-bootstrap';
import { IPlatformCluster, IWorkloadIdentity } from '../core/cluster';
import { IPostgresDatabase } from '../core/data-services';
import { isToken } from '../private/validation';
import { FeastAccess, FeastPostgresLogin, hashOf, k8sName, kebab } from './feature-store-yaml';

/** Where the roles job runs. */
export interface FeastPostgresRolesProps {
  /** The cluster. */
  readonly cluster: IPlatformCluster;
  /** Feast project: the group roles are named after it. */
  readonly project: string;
  /** Namespace of the job (the feature store's). */
  readonly namespace: string;
  /** What in-namespace resources wait for. */
  readonly dependables: ITerraformDependable[];
  /** The database Feast uses (registry or online store). */
  readonly database: IPostgresDatabase;
}

interface Login {
  readonly user: string;
  readonly identityPath: string;
  access: FeastAccess;
  readonly setupSql: string;
}

/** A login of a granted identity, with what a pod using it waits for. */
export interface FeastPostgresGrant {
  /** The login the token helper refreshes. */
  readonly login: FeastPostgresLogin;
  /** The login's role exists once these are applied (the roles job included). */
  readonly dependables: ITerraformDependable[];
}

const shared = new WeakMap<IPostgresDatabase, Map<string, FeastPostgresRoles>>();

/**
 * The PostgreSQL roles of one Feast project in one database, created by a Kubernetes Job that logs in as an
 * administrator with its own workload identity (`grantAdmin`: the RDS master password read from Secrets
 * Manager at run time, or an Entra token), as the RAG pgvector bootstrap does. No password exists in the
 * configuration or the state.
 *
 * Two group roles hold the privileges: `feast_<project>_rw` owns every table Feast creates (writers and the
 * materializer log in with `ALTER ROLE ... SET role`, so tables created by any of them belong to the
 * group and later `feast apply` runs may alter or drop them), `feast_<project>_ro` may read them (default
 * privileges of the rw role). Each granted identity gets its own login role (IAM or Entra token), a member
 * of one group. The SQL is idempotent, rendered at synth from every grant, and the job is replaced (rerun)
 * when it changes.
 */
export class FeastPostgresRoles extends Construct {
  /** The roles of `props.project` in `props.database`, created once per database and project. */
  public static of(scope: Construct, props: FeastPostgresRolesProps): FeastPostgresRoles {
    let byProject = shared.get(props.database);
    if (!byProject) {
      byProject = new Map();
      shared.set(props.database, byProject);
    }
    const existing = byProject.get(props.project);
    if (existing) return existing;
    const roles = new FeastPostgresRoles(scope, `PostgresRoles-${hashOf(props.database.node.path, 6)}`, props);
    byProject.set(props.project, roles);
    return roles;
  }

  /** Group role of writers (owns the tables). */
  public readonly writerRole: string;
  /** Group role of readers. */
  public readonly readerRole: string;
  /** The job's workload identity, a database administrator. */
  public readonly identity: IWorkloadIdentity;
  /** The job. */
  public readonly job: JobV1;
  private readonly database: IPostgresDatabase;
  private readonly logins: Login[] = [];

  private constructor(scope: Construct, id: string, props: FeastPostgresRolesProps) {
    super(scope, id);
    const { database } = props;
    this.database = database;
    const project = isToken(props.project) ? 'features' : props.project.toLowerCase();
    this.writerRole = `feast_${project}_rw`.slice(0, 63);
    this.readerRole = `feast_${project}_ro`.slice(0, 63);
    const bootstrap = postgresBootstrapJob(this, {
      ...props,
      identityId: `Admin-${hashOf(this.node.path, 6)}`,
      serviceAccountName: k8sName(`feast-${kebab(props.project)}-pg`, hashOf(database.node.path, 6)),
      appName: 'feast-postgres-roles',
      sqlVariable: 'ROLES_SQL',
      jobWord: 'roles job',
      renderSql: () => this.renderSql(),
      jobName: (sqlHash) => k8sName(`feast-${kebab(props.project)}-pg-roles`, sqlHash),
    });
    this.identity = bootstrap.identity;
    this.job = bootstrap.job;
  }

  /**
   * Lets the identity log in (`grantConnect`: `rds-db:connect` for its role, or its Entra principal) and
   * has the job create its role in the reader or writer group. Returns the login and what it waits for.
   */
  public addLogin(identity: IWorkloadIdentity, access: FeastAccess): FeastPostgresGrant {
    const user = feastLoginName(identity);
    const login = this.database.grantConnect(identity, user);
    const existing = this.logins.find((l) => l.identityPath === identity.node.path);
    if (existing) {
      if (existing.access === FeastAccess.READ && access !== FeastAccess.READ) existing.access = access;
    } else {
      this.logins.push({ user, identityPath: identity.node.path, access, setupSql: login.setupSql ?? '' });
    }
    return {
      login: { host: this.database.host, port: this.database.port, user, authentication: login.authentication },
      dependables: [...login.dependables, this.job],
    };
  }

  /** The psql script (meta-commands included): groups, then each login and its membership. */
  public renderSql(): string {
    const db = this.database.databaseName;
    const rw = `"${this.writerRole}"`;
    const ro = `"${this.readerRole}"`;
    const group = (role: string) => `DO $feast$ BEGIN CREATE ROLE ${role} NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $feast$;`;
    const lines = [
      '-- Rendered by cdktf-ai-platform (FeatureStore); safe to run again.',
      `\\connect "${db}"`,
      group(rw),
      group(ro),
      // The administrator must be a member to set default privileges for the writer group.
      `GRANT ${rw} TO CURRENT_USER;`,
      `GRANT CONNECT, TEMPORARY ON DATABASE "${db}" TO ${rw};`,
      `GRANT CONNECT ON DATABASE "${db}" TO ${ro};`,
      `GRANT USAGE, CREATE ON SCHEMA public TO ${rw};`,
      `GRANT USAGE ON SCHEMA public TO ${ro};`,
      `GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${ro};`,
      `ALTER DEFAULT PRIVILEGES FOR ROLE ${rw} IN SCHEMA public GRANT SELECT ON TABLES TO ${ro};`,
    ];
    this.logins.forEach((l, i) => {
      // pgvector is not Feast's business: the extension is left alone.
      lines.push(...loginSetupScript(i, l, db, ` (${l.access})`, true));
      lines.push(`\\connect "${db}"`);
      if (l.access === FeastAccess.READ) {
        // grantConnect's SQL lets the login create objects in public; readers only read.
        lines.push(`GRANT ${ro} TO "${l.user}";`, `REVOKE CREATE ON SCHEMA public FROM "${l.user}";`);
      } else {
        // Every session of a writer runs as the group, so the tables it creates belong to the group.
        // PostgreSQL 16+ needs ADMIN OPTION on the login to set its defaults, which an administrator may lack
        // for logins the cloud created (Azure's pgaadauth_create_principal_with_oid): then writers' URLs
        // carry the role instead (options=-c role=...), and the job goes on.
        lines.push(
          `GRANT ${rw} TO "${l.user}";`,
          `DO $feast$ BEGIN EXECUTE format('ALTER ROLE %I SET role = %L', '${l.user}', '${this.writerRole}'); EXCEPTION WHEN insufficient_privilege THEN RAISE NOTICE 'role default for ${l.user} not set: its connections set the role'; END $feast$;`,
        );
      }
    });
    return lines.join('\n') + '\n';
  }
}

/**
 * The PostgreSQL role an identity logs in as: its service account name and a hash of its path (roles are
 * server-wide; two feature stores on one server never share one), lower case, 63 characters at most.
 */
export function feastLoginName(identity: IWorkloadIdentity): string {
  const sa = isToken(identity.serviceAccountName) ? 'feast' : identity.serviceAccountName.toLowerCase().replace(/[^a-z0-9_]/g, '_');
  const base = /^[a-z_]/.test(sa) ? sa : `_${sa}`;
  return `${base.slice(0, 55)}_${hashOf(identity.node.path, 6)}`;
}
