import { createHash } from 'crypto';
import { JobV1 } from '@cdktf/provider-kubernetes/lib/job-v1';
import { ServiceAccountV1 } from '@cdktf/provider-kubernetes/lib/service-account-v1';
import { Construct } from 'constructs';
import { loginSetupScript, postgresBootstrapJob } from '../addons/postgres-bootstrap';
import { IWorkloadIdentity } from '../core/cluster';
import { IPostgresDatabase, ServiceLogin } from '../core/data-services';
import { reportProblems } from '../private/problems';
import { isToken } from '../private/validation';
import { RagContext } from './types';

/** Name of the bootstrap job's service account. */
export const PGVECTOR_BOOTSTRAP_SERVICE_ACCOUNT = 'pgvector-bootstrap';

/** Props of PgvectorBootstrap. */
export interface PgvectorBootstrapProps {
  /** Where the job runs (cluster, namespace, what it waits for). */
  readonly ctx: RagContext;
  /** The database to bootstrap. */
  readonly database: IPostgresDatabase;
}

interface Grant {
  readonly user: string;
  readonly identityPath: string;
  readonly setupSql: string;
  /** Creates tables (ingestion) rather than only reading them (apps). */
  write: boolean;
}

/**
 * The group role of a database's readers: every login is a member; tables the writers create (default
 * privileges) and had created (grants on existing tables) are readable by it.
 */
export function pgReaderRole(database: string): string {
  const db = isToken(database) ? 'rag' : database.toLowerCase().replace(/[^a-z0-9_]/g, '_');
  return `pgvector_${db}`.slice(0, 58) + '_read';
}

/**
 * The PostgreSQL role a workload logs in as: its service account name, lower case, '-' as '_', 63
 * characters at most (a name starting with a digit gets a leading '_').
 */
export function pgRoleName(serviceAccountName: string): string {
  if (isToken(serviceAccountName)) return serviceAccountName;
  const name = serviceAccountName.toLowerCase().replace(/[^a-z0-9_]/g, '_');
  return (/^[a-z_]/.test(name) ? name : `_${name}`).slice(0, 63);
}

/**
 * A Kubernetes Job that prepares a managed PostgreSQL server for pgvector: `CREATE EXTENSION IF NOT EXISTS
 * vector` in the database, and the login of every workload granted access (their `setupSql`). It logs in
 * as an administrator through its own workload identity (`grantAdmin`): the RDS master password read from
 * Secrets Manager at run time on AWS, an Entra token on Azure. No password is in the job spec, the
 * synthesized configuration or Terraform state; credentials live in a memory-backed volume of the pod.
 *
 * Readers (`grantQuery`) and writers (`grantIngest`) differ: every login is a member of the database's
 * reader group (`pgReaderRole`), which may use the `public` schema and read every table and sequence a
 * writer creates there, through default privileges for each writer (`ALTER DEFAULT PRIVILEGES FOR ROLE
 * <writer> IN SCHEMA public GRANT SELECT ON TABLES TO <readers>`, and sequences) and grants on the tables
 * the writer already has. Writers may create in `public` (PostgreSQL 15+ no longer lets everyone); readers
 * may not. Setting a writer's defaults needs the administrator to hold the writer's privileges, so the job
 * grants itself the writer role first: RDS's master user created the login (PostgreSQL 16+ gives it ADMIN
 * OPTION on it; CREATEROLE suffices before 16). Where the administrator cannot (an Entra principal Azure
 * created under another grantor on PostgreSQL 16+), the job warns and goes on, and readers see only the
 * tables the writer grants them itself.
 *
 * The SQL is rendered at synth from every grant made (also after the store was bound), is idempotent (a
 * login is created only when its role is missing, grants are repeated) and sits in the pod template: a new
 * grant changes the template, which `kubernetes_job_v1` can only replace (the template is ForceNew, as Jobs
 * are immutable), so the job runs again. Its name carries a hash of the SQL, so the job of each SQL is
 * recognizable in the cluster. Terraform waits for the job to finish (`wait_for_completion`): workloads
 * that depend on it start once their role exists. The job is kept after it succeeds (no TTL), or Terraform
 * would recreate and rerun it on every apply.
 *
 * The pod runs as uid 70 (Alpine's postgres), non-root, without capabilities, with the RuntimeDefault
 * seccomp profile and a read-only root file system: it passes the 'restricted' Pod Security level. It
 * connects with `sslmode=require` (both servers force TLS; the server certificate is not verified).
 */
export class PgvectorBootstrap extends Construct {
  /** The job's workload identity, a database administrator. */
  public readonly identity: IWorkloadIdentity;
  /** How the job logs in. */
  public readonly adminLogin: ServiceLogin;
  /** The job's service account. */
  public readonly serviceAccount: ServiceAccountV1;
  /** The job. */
  public readonly job: JobV1;
  private readonly database: IPostgresDatabase;
  private readonly grants: Grant[] = [];

  constructor(scope: Construct, id: string, props: PgvectorBootstrapProps) {
    super(scope, id);
    const { ctx, database } = props;
    this.database = database;
    const bootstrap = postgresBootstrapJob(this, {
      cluster: ctx.cluster,
      namespace: ctx.namespace,
      dependables: ctx.dependables,
      database,
      // The identity's name is cluster-wide (an IAM role, a managed identity): the id carries a hash of the path.
      identityId: `PgvectorBootstrap-${hash(this.node.path, 6)}`,
      serviceAccountName: PGVECTOR_BOOTSTRAP_SERVICE_ACCOUNT,
      appName: 'pgvector-bootstrap',
      sqlVariable: 'BOOTSTRAP_SQL',
      jobWord: 'bootstrap job',
      renderSql: () => this.renderSql(),
      jobName: (sqlHash) => `pgvector-bootstrap-${sqlHash}`,
    });
    this.identity = bootstrap.identity;
    this.adminLogin = bootstrap.adminLogin;
    this.serviceAccount = bootstrap.serviceAccount;
    this.job = bootstrap.job;

    reportProblems(this, () => {
      const byUser = new Map<string, string>();
      const out: string[] = [];
      for (const g of this.grants) {
        const other = byUser.get(g.user);
        if (other !== undefined && other !== g.identityPath && !isToken(g.user))
          out.push(
            `grantAccess identity ${g.identityPath} logs in as '${g.user}' like ${other}; roles are named after the service account: give the workloads distinct service account names`,
          );
        byUser.set(g.user, g.identityPath);
      }
      return out;
    });
  }

  /**
   * Lets the identity log in to the database as `user` (`grantConnect`) and has the job create the login,
   * a reader, or with `write` a writer whose tables readers may read. Granting the same identity again
   * with `write` makes it a writer. Returns the login, which also waits for the job.
   */
  public addLogin(identity: IWorkloadIdentity, user: string, write?: boolean): ServiceLogin {
    const login = this.database.grantConnect(identity, user);
    const existing = this.grants.find((g) => g.identityPath === identity.node.path && g.user === user);
    if (existing) existing.write = existing.write || (write ?? false);
    else this.grants.push({ user, identityPath: identity.node.path, setupSql: login.setupSql ?? '', write: write ?? false });
    return { ...login, dependables: [...login.dependables, this.job] };
  }

  /** The SQL script the job runs with psql (meta-commands included). */
  public renderSql(): string {
    const db = this.database.databaseName;
    const readers = `"${pgReaderRole(db)}"`;
    const lines = [
      '-- Rendered by cdktf-ai-platform (PgvectorBootstrap); safe to run again.',
      'CREATE EXTENSION IF NOT EXISTS vector;',
      `\\connect "${db}"`,
      `DO $pgv$ BEGIN CREATE ROLE ${readers} NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $pgv$;`,
      `GRANT CONNECT ON DATABASE "${db}" TO ${readers};`,
      `GRANT USAGE ON SCHEMA public TO ${readers};`,
    ];
    this.grants.forEach((g, i) => {
      lines.push(...loginSetupScript(i, g, db), `\\connect "${db}"`, `GRANT ${readers} TO "${g.user}";`);
      if (g.write) lines.push(writerDefaults(g.user, pgReaderRole(db)));
      // grantConnect's SQL lets every login create in public; readers only read.
      else lines.push(`REVOKE CREATE ON SCHEMA public FROM "${g.user}";`);
    });
    return lines.join('\n') + '\n';
  }
}

/**
 * A writer's default privileges and its existing tables and sequences in `public`, readable by `readers`.
 * The administrator first takes the writer's privileges (which ALTER DEFAULT PRIVILEGES FOR ROLE needs);
 * where it may not, a warning names what to run as the writer instead.
 */
function writerDefaults(writer: string, readers: string): string {
  const lit = (s: string) => `'${s.replace(/'/g, "''")}'`;
  return [
    'DO $pgv$ DECLARE rel record; BEGIN',
    `  EXECUTE format('GRANT %I TO CURRENT_USER', ${lit(writer)});`,
    `  EXECUTE format('ALTER DEFAULT PRIVILEGES FOR ROLE %I IN SCHEMA public GRANT SELECT ON TABLES TO %I', ${lit(writer)}, ${lit(readers)});`,
    `  EXECUTE format('ALTER DEFAULT PRIVILEGES FOR ROLE %I IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO %I', ${lit(writer)}, ${lit(readers)});`,
    '  FOR rel IN SELECT c.oid::regclass AS name, c.relkind FROM pg_catalog.pg_class c',
    "      JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public'",
    `      AND c.relowner = (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = ${lit(writer)}) AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S') LOOP`,
    "    IF rel.relkind = 'S' THEN",
    `      EXECUTE format('GRANT USAGE, SELECT ON SEQUENCE %s TO %I', rel.name, ${lit(readers)});`,
    '    ELSE',
    `      EXECUTE format('GRANT SELECT ON TABLE %s TO %I', rel.name, ${lit(readers)});`,
    '    END IF;',
    '  END LOOP;',
    'EXCEPTION WHEN insufficient_privilege THEN',
    `  RAISE WARNING 'readers of % cannot read the tables of %: % (as %, run: ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO %)', current_database(), ${lit(writer)}, SQLERRM, ${lit(writer)}, ${lit(readers)};`,
    'END $pgv$;',
  ].join('\n');
}

function hash(text: string, length: number): string {
  return createHash('sha256').update(text).digest('hex').slice(0, length);
}
