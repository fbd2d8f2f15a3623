import { createHash } from 'crypto';
import { JobV1, JobV1SpecTemplateSpecContainer } from '@cdktf/provider-kubernetes/lib/job-v1';
import { ServiceAccountV1 } from '@cdktf/provider-kubernetes/lib/service-account-v1';
import { IResolveContext, ITerraformDependable, Lazy, Token } from 'cdktf';
import { Construct } from 'constructs';
import { IPlatformCluster, IWorkloadIdentity } from '../core/cluster';
import { IPostgresDatabase, ServiceLogin } from '../core/data-services';
import { sameStack } from '../private/cluster-access';
import { loginCreation } from '../private/pg-logins';
import { containerSecurityContext, podSecurityContext } from '../private/pod-security';
import { reportProblems } from '../private/problems';
import { isToken } from '../private/validation';

/** psql runs the SQL; Alpine's postgres user is uid/gid 70. Pinned, without a digest. */
export const PSQL_IMAGE = 'postgres:17.6-alpine';
/** Reads the RDS master password from Secrets Manager (admin logins of authentication 'secrets-manager'). */
export const AWS_CLI_IMAGE = 'public.ecr.aws/aws-cli/aws-cli:2.31.23';
/** Exchanges the pod's federated token for an Entra token (admin logins of authentication 'entra'). */
export const AZURE_CLI_IMAGE = 'mcr.microsoft.com/azure-cli:2.70.0';

const UID = 70;
const CREDENTIALS = '/run/pg';
/** Statements that create a login: run once per role (they fail when it exists), all else on every run. */
const CREATES_LOGIN = /^(CREATE\s+(ROLE|USER)\b|SELECT\s+\*\s+FROM\s+pgaadauth_create_principal)/i;
/** Azure's setupSql names the database each part runs in (pgaadauth_* exist in 'postgres' only). */
const IN_DATABASE = /^--\s*in database\s+"?([^",:\s]+)"?/i;

/** What a PostgreSQL bootstrap job is, beyond the SQL it runs: where, as whom, under which names. */
export interface PostgresBootstrapJobProps {
  /** The cluster. */
  readonly cluster: IPlatformCluster;
  /** Namespace of the job and its service account. */
  readonly namespace: string;
  /** What in-namespace resources wait for (the namespace). */
  readonly dependables: ITerraformDependable[];
  /** The database to log in to as an administrator. */
  readonly database: IPostgresDatabase;
  /** Construct id of the job's workload identity (identities are cloud-wide: it carries a hash). */
  readonly identityId: string;
  /** Name of the job's service account. */
  readonly serviceAccountName: string;
  /** `app.kubernetes.io/name` of the job and its PGAPPNAME, e.g. 'pgvector-bootstrap'. */
  readonly appName: string;
  /** Environment variable the SQL is passed in, e.g. 'BOOTSTRAP_SQL'. */
  readonly sqlVariable: string;
  /** How messages name the job, e.g. 'bootstrap job'. */
  readonly jobWord: string;
  /** The psql script (meta-commands included), rendered at synth from every grant made. */
  readonly renderSql: () => string;
  /** The job's name from a hash of the SQL (as Terraform sees it), so each SQL's run is recognizable. */
  readonly jobName: (sqlHash: string) => string;
}

/** The parts of a bootstrap job. */
export interface PostgresBootstrapJob {
  /** The job's workload identity, a database administrator. */
  readonly identity: IWorkloadIdentity;
  /** How the job logs in. */
  readonly adminLogin: ServiceLogin;
  /** The job's service account. */
  readonly serviceAccount: ServiceAccountV1;
  /** The job. */
  readonly job: JobV1;
}

/**
 * A Kubernetes Job, created under `scope`, that runs SQL with psql as an administrator of a managed
 * PostgreSQL server, logged in through its own workload identity (`grantAdmin`): the RDS master password read
 * from Secrets Manager at run time on AWS, an Entra token on Azure. No password is in the job spec, the
 * synthesized configuration or Terraform state; credentials live in a memory-backed volume of the pod.
 *
 * The SQL sits in the pod template: a change replaces the job (`kubernetes_job_v1` templates are ForceNew),
 * so it runs again. Terraform waits for the job to finish; the job is kept after it succeeds (no TTL), or
 * Terraform would recreate and rerun it on every apply. The pod runs as uid 70, non-root, without
 * capabilities, with a read-only root file system: it passes the 'restricted' Pod Security level, and
 * connects with `sslmode=require`. Used by the pgvector bootstrap (RAG) and the Feast roles job.
 */
export function postgresBootstrapJob(scope: Construct, props: PostgresBootstrapJobProps): PostgresBootstrapJob {
  const { cluster, database } = props;
  const provider = cluster.providers(scope).kubernetes;
  const waits = [...cluster.addonDependencies(scope), ...sameStack(scope, props.dependables)];
  const identity = cluster.bindServiceAccount(scope, props.identityId, {
    namespace: props.namespace,
    serviceAccountName: props.serviceAccountName,
  });
  const adminLogin = database.grantAdmin(identity);
  const labels = { 'app.kubernetes.io/name': props.appName, 'app.kubernetes.io/part-of': 'ai-platform' };
  const serviceAccount = new ServiceAccountV1(scope, 'ServiceAccount', {
    provider,
    metadata: {
      name: props.serviceAccountName,
      namespace: props.namespace,
      labels,
      annotations: { ...identity.serviceAccountAnnotations },
    },
    automountServiceAccountToken: false,
    dependsOn: waits,
  });

  const sql = Lazy.stringValue({ produce: () => props.renderSql() });
  const { init, script } = adminCredentials(scope, adminLogin, props);
  const job = new JobV1(scope, 'Job', {
    provider,
    metadata: {
      // A hash of the SQL (as Terraform sees it: references, not their values) names each run.
      name: Lazy.stringValue({
        produce: (context: IResolveContext) => props.jobName(hash(JSON.stringify(context.resolve(props.renderSql())), 10)),
      }),
      namespace: props.namespace,
      labels,
    },
    spec: {
      backoffLimit: 6,
      activeDeadlineSeconds: 1200,
      template: {
        metadata: { labels: { ...labels, ...identity.podLabels } },
        spec: {
          serviceAccountName: props.serviceAccountName,
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
                { name: 'PGUSER', value: adminLogin.user },
                { name: 'PGSSLMODE', value: 'require' },
                { name: 'PGCONNECT_TIMEOUT', value: '15' },
                { name: 'PGAPPNAME', value: props.appName },
                { name: 'HOME', value: '/tmp' },
                { name: props.sqlVariable, value: sql },
              ],
            },
          ],
          volume: [
            // Memory-backed: the password or token never reaches the node's disk.
            { name: 'credentials', emptyDir: { medium: 'Memory', sizeLimit: '1Mi' } },
            { name: 'tmp', emptyDir: { sizeLimit: '64Mi' } },
          ],
        },
      },
    },
    waitForCompletion: true,
    timeouts: { create: '20m', update: '20m', delete: '5m' },
    dependsOn: [...waits, serviceAccount, ...sameStack(scope, adminLogin.dependables)],
  });
  return { identity, adminLogin, serviceAccount, job };
}

/** A login to create, as a bootstrap script sees it. */
export interface PostgresLoginSetup {
  /** The role the login is. */
  readonly user: string;
  /** The identity's construct path (a comment in the script). */
  readonly identityPath: string;
  /** The login's setupSql from `grantConnect`. */
  readonly setupSql: string;
}

/**
 * psql input for one login: the statements creating it run only while its role is missing, the others
 * (grants, `CREATE EXTENSION IF NOT EXISTS`) every time; `-- in database X` markers switch databases.
 * `note` ends the comment line; `skipExtensions` leaves CREATE EXTENSION statements out.
 */
export function loginSetupScript(index: number, login: PostgresLoginSetup, database: string, note = '', skipExtensions = false): string[] {
  const flag = `role_missing_${index}`;
  const out = [
    `-- ${login.identityPath} as ${login.user}${note}`,
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
      if (skipExtensions && /^CREATE\s+EXTENSION\b/i.test(statement)) continue;
      if (CREATES_LOGIN.test(statement)) out.push(...loginCreation(statement, flag));
      else out.push(`${statement};`);
    }
  }
  return out;
}

/** The init container fetching the admin credential and the main container's script, by authentication. */
function adminCredentials(
  scope: Construct,
  adminLogin: ServiceLogin,
  props: PostgresBootstrapJobProps,
): { init: JobV1SpecTemplateSpecContainer; script: string } {
  const run = `printf '%s\\n' "$${props.sqlVariable}" | psql -X -v ON_ERROR_STOP=1`;
  const auth = adminLogin.authentication;
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
          { name: 'MASTER_SECRET_ID', value: adminLogin.cloudSecretId ?? '' },
          { name: 'AWS_REGION', value: props.cluster.region },
          { name: 'HOME', value: '/tmp' },
        ],
      },
      // The secret is {"username": ..., "password": ...}; busybox sed takes the password and undoes JSON escapes.
      script: [
        `PGPASSWORD=$(sed -nE 's/.*"password"[[:space:]]*:[[:space:]]*"(([^"\\\\]|\\\\.)*)".*/\\1/p' ${CREDENTIALS}/master.json | sed -e 's/\\\\"/"/g' -e 's/\\\\\\\\/\\\\/g')`,
        'export PGPASSWORD',
        `[ -n "$PGPASSWORD" ] || { echo 'no password in the master user secret' >&2; exit 1; }`,
        run,
      ].join('\n'),
    };
  }
  if (auth !== 'entra') {
    reportProblems(scope, [
      `database ${props.database.node.path} grants administrators by '${auth}', which the ${props.jobWord} cannot use; use a PostgresDatabase (RDS or Azure Flexible Server)`,
    ]);
  }
  return {
    init: {
      ...hardened('entra-token', AZURE_CLI_IMAGE),
      // AZURE_CLIENT_ID, AZURE_TENANT_ID and AZURE_FEDERATED_TOKEN_FILE come from the workload identity webhook.
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

function hash(text: string, length: number): string {
  return createHash('sha256').update(text).digest('hex').slice(0, length);
}
