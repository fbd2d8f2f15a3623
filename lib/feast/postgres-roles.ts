import { JobV1, JobV1SpecTemplateSpecContainer } from '@cdktf/provider-kubernetes/lib/job-v1';
import { loginCreation } from '../private/pg-logins';
import { ServiceAccountV1 } from '@cdktf/provider-kubernetes/lib/service-account-v1';
import { IResolveContext, ITerraformDependable, Lazy, Token } from 'cdktf';
import { Construct } from 'constructs';
import { IPlatformCluster, IWorkloadIdentity } from '../core/cluster';
import { IPostgresDatabase, ServiceLogin } from '../core/data-services';
import { sameStack } from '../private/cluster-access';
import { containerSecurityContext, podSecurityContext } from '../private/pod-security';
import { reportProblems } from '../private/problems';
import { isToken } from '../private/validation';
import { AWS_CLI_IMAGE, AZURE_CLI_IMAGE, PSQL_IMAGE } from '../rag/pgvector-bootstrap';
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

const UID = 70;
const CREDENTIALS = '/run/pg';
const CREATES_LOGIN = /^(CREATE\s+(ROLE|USER)\b|SELECT\s+\*\s+FROM\s+pgaadauth_create_principal)/i;
const IN_DATABASE = /^--\s*in database\s+"?([^",:\s]+)"?/i;

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
  private readonly adminLogin: ServiceLogin;

  private constructor(scope: Construct, id: string, props: FeastPostgresRolesProps) {
    super(scope, id);
    const { cluster, database } = props;
    this.database = database;
    const project = isToken(props.project) ? 'features' : props.project.toLowerCase();
    this.writerRole = `feast_${project}_rw`.slice(0, 63);
    this.readerRole = `feast_${project}_ro`.slice(0, 63);
    const provider = cluster.providers(this).kubernetes;
    const waits = [...cluster.addonDependencies(this), ...sameStack(this, props.dependables)];
    const saName = k8sName(`feast-${kebab(props.project)}-pg`, hashOf(database.node.path, 6));
    this.identity = cluster.bindServiceAccount(this, `Admin-${hashOf(this.node.path, 6)}`, {
      namespace: props.namespace,
      serviceAccountName: saName,
    });
    this.adminLogin = database.grantAdmin(this.identity);
    const labels = { 'app.kubernetes.io/name': 'feast-postgres-roles', 'app.kubernetes.io/part-of': 'ai-platform' };
    const sa = new ServiceAccountV1(this, 'ServiceAccount', {
      provider,
      metadata: { name: saName, namespace: props.namespace, labels, annotations: { ...this.identity.serviceAccountAnnotations } },
      automountServiceAccountToken: false,
      dependsOn: waits,
    });

    const sql = Lazy.stringValue({ produce: () => this.renderSql() });
    const { init, script } = this.credentials(cluster.region);
    this.job = new JobV1(this, 'Job', {
      provider,
      metadata: {
        name: Lazy.stringValue({
          produce: (context: IResolveContext) =>
            k8sName(`feast-${kebab(props.project)}-pg-roles`, hashOf(JSON.stringify(context.resolve(this.renderSql())), 10)),
        }),
        namespace: props.namespace,
        labels,
      },
      spec: {
        backoffLimit: 6,
        activeDeadlineSeconds: 1200,
        template: {
          metadata: { labels: { ...labels, ...this.identity.podLabels } },
          spec: {
            serviceAccountName: saName,
            automountServiceAccountToken: false,
            restartPolicy: 'Never',
            nodeSelector: { ...cluster.systemNodeSelector },
            toleration: cluster.systemTolerations.map((t) => ({ key: t.key, operator: t.operator, effect: t.effect })),
            securityContext: podSecurityContext({ uid: UID, gid: UID, fsGroup: UID }),
            initContainer: [init],
            container: [
              {
                ...hardened('psql', PSQL_IMAGE),
                command: ['/bin/sh', '-ec', script],
                env: [
                  { name: 'PGHOST', value: database.host },
                  { name: 'PGPORT', value: isToken(database.port) ? Token.asString(database.port) : String(database.port) },
                  { name: 'PGDATABASE', value: database.databaseName },
                  { name: 'PGUSER', value: this.adminLogin.user },
                  { name: 'PGSSLMODE', value: 'require' },
                  { name: 'PGCONNECT_TIMEOUT', value: '15' },
                  { name: 'PGAPPNAME', value: 'feast-postgres-roles' },
                  { name: 'HOME', value: '/tmp' },
                  { name: 'ROLES_SQL', value: sql },
                ],
              },
            ],
            volume: [
              { name: 'credentials', emptyDir: { medium: 'Memory', sizeLimit: '1Mi' } },
              { name: 'tmp', emptyDir: { sizeLimit: '64Mi' } },
            ],
          },
        },
      },
      waitForCompletion: true,
      timeouts: { create: '20m', update: '20m', delete: '5m' },
      dependsOn: [...waits, sa, ...sameStack(this, this.adminLogin.dependables)],
    });
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
      lines.push(...loginScript(i, l, db));
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

  private credentials(region: string): { init: JobV1SpecTemplateSpecContainer; script: string } {
    const run = 'printf \'%s\\n\' "$ROLES_SQL" | psql -X -v ON_ERROR_STOP=1';
    const auth = this.adminLogin.authentication;
    if (auth === 'secrets-manager') {
      return {
        init: {
          ...hardened('master-password', AWS_CLI_IMAGE),
          command: [
            '/bin/sh',
            '-ec',
            `aws secretsmanager get-secret-value --secret-id "$MASTER_SECRET_ID" --query SecretString --output text > ${CREDENTIALS}/master.json`,
          ],
          env: [
            { name: 'MASTER_SECRET_ID', value: this.adminLogin.cloudSecretId ?? '' },
            { name: 'AWS_REGION', value: region },
            { name: 'HOME', value: '/tmp' },
          ],
        },
        script: [
          `PGPASSWORD=$(sed -nE 's/.*"password"[[:space:]]*:[[:space:]]*"(([^"\\\\]|\\\\.)*)".*/\\1/p' ${CREDENTIALS}/master.json | sed -e 's/\\\\"/"/g' -e 's/\\\\\\\\/\\\\/g')`,
          'export PGPASSWORD',
          `[ -n "$PGPASSWORD" ] || { echo 'no password in the master user secret' >&2; exit 1; }`,
          run,
        ].join('\n'),
      };
    }
    if (auth !== 'entra') {
      reportProblems(this, [
        `database ${this.database.node.path} grants administrators by '${auth}', which the roles job cannot use; use a PostgresDatabase (RDS or Azure Flexible Server)`,
      ]);
    }
    return {
      init: {
        ...hardened('entra-token', AZURE_CLI_IMAGE),
        command: [
          '/bin/sh',
          '-ec',
          [
            'az login --service-principal --username "$AZURE_CLIENT_ID" --tenant "$AZURE_TENANT_ID" --federated-token "$(cat "$AZURE_FEDERATED_TOKEN_FILE")" --allow-no-subscriptions --output none',
            `az account get-access-token --resource-type oss-rdbms --query accessToken --output tsv > ${CREDENTIALS}/token`,
          ].join('\n'),
        ],
        env: [
          { name: 'AZURE_CONFIG_DIR', value: '/tmp/azure' },
          { name: 'AZURE_CORE_COLLECT_TELEMETRY', value: 'false' },
          { name: 'HOME', value: '/tmp' },
        ],
      },
      script: [`PGPASSWORD=$(cat ${CREDENTIALS}/token)`, 'export PGPASSWORD', run].join('\n'),
    };
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

/** psql input creating one login: CREATE statements only while its role is missing, grants every time. */
function loginScript(index: number, login: Login, database: string): string[] {
  const flag = `role_missing_${index}`;
  const out = [
    `-- ${login.identityPath} as ${login.user} (${login.access})`,
    `\\connect "${database}"`,
    `SELECT CASE WHEN EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = '${login.user}') THEN 0 ELSE 1 END AS ${flag} \\gset`,
  ];
  for (const line of login.setupSql.split('\n')) {
    const marker = IN_DATABASE.exec(line.trim());
    if (marker) {
      out.push(`\\connect "${marker[1]}"`);
      continue;
    }
    if (line.trim().startsWith('--')) continue;
    for (const raw of line.split(';')) {
      const statement = raw.trim();
      if (!statement) continue;
      // pgvector is not Feast's business: the extension is left alone.
      if (/^CREATE\s+EXTENSION\b/i.test(statement)) continue;
      if (CREATES_LOGIN.test(statement)) out.push(...loginCreation(statement, flag));
      else out.push(`${statement};`);
    }
  }
  return out;
}

/** A container that passes the 'restricted' Pod Security level, with the credential and tmp volumes. */
function hardened(name: string, image: string): JobV1SpecTemplateSpecContainer {
  return {
    name,
    image,
    imagePullPolicy: 'IfNotPresent',
    securityContext: containerSecurityContext({ uid: UID, gid: UID }),
    resources: { requests: { cpu: '50m', memory: '128Mi' }, limits: { memory: '512Mi' } },
    volumeMount: [
      { name: 'credentials', mountPath: CREDENTIALS },
      { name: 'tmp', mountPath: '/tmp' },
    ],
  };
}
