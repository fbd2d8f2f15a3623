import { createHash } from 'crypto';
import { ITerraformDependable } from 'cdktf';
import { KubernetesSecretKeyRef } from '../core/data-services';
import { kubernetesName } from '../private/naming';
import { isToken } from '../private/validation';
import { toYaml } from '../private/yaml';

/**
 * `feature_store.yaml`, generated from the typed store props: one document per identity (each identity
 * logs in to PostgreSQL as its own role), delivered as a Kubernetes Secret that Terraform writes. Secrets
 * never appear in it: cloud tokens are fetched by the pod (IAM, Entra), and the one static secret (the
 * Azure Managed Redis access key) is a `${FEAST_REDIS_PASSWORD}` placeholder that Feast fills from the
 * environment (`load_repo_config` runs `os.path.expandvars` over the file before parsing it, Feast
 * 0.66.0 `sdk/python/feast/repo_config.py`), the variable coming from a `secretKeyRef`.
 */

/** How much of a feature store an identity may use. */
export enum FeastAccess {
  /** Online features and the registry, read only (feature server, model servers). */
  READ = 'read',
  /** Reads the offline store, writes the online store and the registry's materialization watermarks. */
  MATERIALIZE = 'materialize',
  /** Everything MATERIALIZE may, plus `feast apply`: registry objects, online tables, offline data. */
  WRITE = 'write',
}

/** An environment variable a Feast pod sets: a literal (or Terraform reference) or a key of a Kubernetes secret. */
export interface FeastEnvVar {
  /** Variable name. */
  readonly name: string;
  /**
   * Value (never a secret).
   * @default - none: `secret` is set
   */
  readonly value?: string;
  /**
   * The secret key the value comes from.
   * @default - none: `value` is set
   */
  readonly secret?: KubernetesSecretKeyRef;
}

/** A PostgreSQL login whose password is a cloud token the pod refreshes into its `PGPASSFILE`. */
export interface FeastPostgresLogin {
  /** Server host. */
  readonly host: string;
  /** Server port. */
  readonly port: number;
  /** Role the identity logs in as. */
  readonly user: string;
  /** 'aws-iam' (RDS IAM token) or 'entra' (Entra access token). */
  readonly authentication: string;
}

/** What one store contributes to one identity's `feature_store.yaml` and pod. */
export interface FeastStoreGrant {
  /** The store's section of feature_store.yaml (`online_store`, `offline_store` or `registry`). */
  readonly config: { [key: string]: any };
  /** Environment the pod needs (placeholders filled from secrets, SDK settings). */
  readonly env: FeastEnvVar[];
  /** PostgreSQL logins whose tokens the pod refreshes. */
  readonly postgresLogins: FeastPostgresLogin[];
  /** What a pod using the grant waits for (role assignments, secrets, role bootstrap job). */
  readonly dependables: ITerraformDependable[];
}

/** The parts of a feature_store.yaml. */
export interface FeatureStoreYamlSpec {
  /** Feast project. */
  readonly project: string;
  /** The `registry` section. */
  readonly registry: { [key: string]: any };
  /** The `online_store` section. */
  readonly onlineStore: { [key: string]: any };
  /** The `offline_store` section. */
  readonly offlineStore: { [key: string]: any };
}

/** Where a Feast pod finds its configuration (the config secret is mounted here, read only). */
export const FEAST_CONFIG_DIR = '/etc/feast';
/** The configuration file. */
export const FEATURE_STORE_YAML = `${FEAST_CONFIG_DIR}/feature_store.yaml`;
/** Key of the configuration file in the config secret. */
export const FEATURE_STORE_YAML_KEY = 'feature_store.yaml';
/** Key of the PostgreSQL token helper in the config secret. */
export const PG_TOKEN_SCRIPT_KEY = 'pg_token.py';
/** Key of the helper's login list in the config secret. */
export const PG_LOGINS_KEY = 'pg_logins.json';
/** Memory-backed directory of the refreshed libpq password file. */
export const PG_PASSFILE_DIR = '/run/feast-pg';
/** The libpq password file (`PGPASSFILE`). */
export const PG_PASSFILE = `${PG_PASSFILE_DIR}/pgpass`;
/** The environment variable the Redis password placeholder names. */
export const REDIS_PASSWORD_ENV = 'FEAST_REDIS_PASSWORD';

/**
 * A `${NAME}` placeholder for Feast's `os.path.expandvars`, escaped for Terraform (which would read
 * `${NAME}` as an interpolation): Terraform writes `${NAME}` into the secret.
 */
export function envPlaceholder(name: string): string {
  return `$\${${name}}`;
}

/**
 * Problems of a Feast project name. Feast 0.66 accepts letters, digits, '_' and '-' (not first); '-' breaks
 * SQLite table names and needs quoting in PostgreSQL, so letters, digits and '_' only.
 */
export function validateProject(project: string): string[] {
  if (isToken(project)) return [];
  if (!/^[A-Za-z0-9][A-Za-z0-9_]{0,62}$/.test(project)) {
    const fix = project.replace(/[^A-Za-z0-9_]+/g, '_').replace(/^_+/, '') || 'features';
    return [
      `project '${project}' is not a Feast project name (letters, digits and '_', not starting with '_', 63 at most; Feast prefixes online tables and registry entries with it); use e.g. '${fix.slice(0, 63)}'`,
    ];
  }
  return [];
}

/** Kubernetes-safe form of the project: lower case, '_' as '-' (the library's one name sanitizer). */
export function kebab(project: string): string {
  if (isToken(project) || !/[A-Za-z0-9]/.test(project)) return 'features';
  return kubernetesName(project);
}

/** The first `length` hex characters of the SHA-256 of `text`. */
export function hashOf(text: string, length = 6): string {
  return createHash('sha256').update(text).digest('hex').slice(0, length);
}

/** A Kubernetes name (a DNS-1123 label) from parts joined by '-': see `kubernetesName`. */
export function k8sName(...parts: string[]): string {
  return kubernetesName(parts.join('-'));
}

/** Renders feature_store.yaml: keys in a fixed order, Terraform references left inside strings. */
export function renderFeatureStoreYaml(spec: FeatureStoreYamlSpec): string {
  return toYaml({
    project: spec.project,
    provider: 'local',
    registry: spec.registry,
    online_store: spec.onlineStore,
    offline_store: spec.offlineStore,
    entity_key_serialization_version: 3,
  });
}

/**
 * Writes fresh cloud tokens for the pod's PostgreSQL logins into a libpq password file (0600, replaced
 * atomically), once with `--once`, else every FEAST_PG_TOKEN_REFRESH_SECONDS. libpq reads the file for each
 * new connection when the configured password is empty, so Feast's SQLAlchemy registry engine and its
 * psycopg pools always authenticate with a token younger than its lifetime (RDS IAM: 15 minutes; Entra:
 * about an hour); connections already open stay valid. Python standard library plus boto3, which the Feast
 * image ships (feast[aws]); Entra tokens come from the workload identity's federated token over HTTPS.
 */
export const PG_TOKEN_SCRIPT = `# Rendered by cdktf-ai-platform (FeatureStore): refreshes PostgreSQL tokens into PGPASSFILE.
import json, os, sys, time, urllib.parse, urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
PASSFILE = os.environ.get('PGPASSFILE', '${PG_PASSFILE}')


def esc(value):
    return str(value).replace('\\\\', '\\\\\\\\').replace(':', '\\\\:')


def aws_token(login):
    import boto3
    rds = boto3.client('rds', region_name=os.environ['AWS_REGION'])
    return rds.generate_db_auth_token(DBHostname=login['host'], Port=int(login['port']), DBUsername=login['user'])


def entra_token():
    with open(os.environ['AZURE_FEDERATED_TOKEN_FILE']) as f:
        assertion = f.read().strip()
    body = urllib.parse.urlencode({
        'client_id': os.environ['AZURE_CLIENT_ID'],
        'scope': 'https://ossrdbms-aad.database.windows.net/.default',
        'grant_type': 'client_credentials',
        'client_assertion_type': 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        'client_assertion': assertion,
    }).encode()
    authority = os.environ.get('AZURE_AUTHORITY_HOST', 'https://login.microsoftonline.com/').rstrip('/')
    request = urllib.request.Request(authority + '/' + os.environ['AZURE_TENANT_ID'] + '/oauth2/v2.0/token', data=body)
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)['access_token']


def refresh():
    with open(os.path.join(HERE, '${PG_LOGINS_KEY}')) as f:
        logins = json.load(f)
    lines = []
    for login in logins:
        token = aws_token(login) if login['authentication'] == 'aws-iam' else entra_token()
        lines.append(':'.join([esc(login['host']), str(login['port']), '*', esc(login['user']), esc(token)]))
    tmp = PASSFILE + '.tmp'
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, 'w') as f:
        f.write('\\n'.join(lines) + '\\n')
    os.replace(tmp, PASSFILE)


if __name__ == '__main__':
    once = '--once' in sys.argv
    while True:
        try:
            refresh()
        except Exception as e:
            print('feast pg token refresh failed: %s' % e, file=sys.stderr, flush=True)
            if once:
                sys.exit(1)
        if once:
            break
        time.sleep(int(os.environ.get('FEAST_PG_TOKEN_REFRESH_SECONDS', '300')))
`;
