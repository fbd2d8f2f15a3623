import { SecretV1 } from '@cdktf/provider-kubernetes/lib/secret-v1';
import { ITerraformDependable, Lazy } from 'cdktf';
import { Construct } from 'constructs';
import { IPlatformCluster, IWorkloadIdentity } from '../core/cluster';
import {
  FEATURE_STORE_YAML_KEY,
  FeastEnvVar,
  FeastPostgresLogin,
  FeastStoreGrant,
  PG_LOGINS_KEY,
  PG_TOKEN_SCRIPT,
  PG_TOKEN_SCRIPT_KEY,
  hashOf,
  kebab,
  renderFeatureStoreYaml,
} from './feature-store-yaml';
import { FeastIdentityConfig, baseEnv } from './workload';

/** One identity's grants, to be written as its Feast configuration. */
export interface IdentityConfigOptions {
  /** The cluster. */
  readonly cluster: IPlatformCluster;
  /** Feast project. */
  readonly project: string;
  /** The granted identity: the secret goes into its namespace. */
  readonly identity: IWorkloadIdentity;
  /** Its grants on the registry, the online store and the offline store, in that order. */
  readonly grants: FeastStoreGrant[];
  /** What the secret waits for. */
  readonly waits: ITerraformDependable[];
  /** Name of the secret. */
  readonly secretName: string;
}

/**
 * The identity's grants on the three stores rendered into one feature_store.yaml, in a Kubernetes Secret
 * created under `scope` in the identity's namespace (with the PostgreSQL token helper and its logins when
 * a store is PostgreSQL), and the environment its pods set.
 */
export function writeIdentityConfig(scope: Construct, o: IdentityConfigOptions): FeastIdentityConfig {
  const { identity, grants, secretName } = o;
  const [registry, online, offline] = grants;
  const logins: FeastPostgresLogin[] = grants.flatMap((g) => g.postgresLogins);
  const env = new Map<string, FeastEnvVar>();
  for (const e of [...baseEnv(o.cluster), ...grants.flatMap((g) => g.env)]) env.set(e.name, e);
  const yaml = renderFeatureStoreYaml({
    project: o.project,
    registry: registry.config,
    onlineStore: online.config,
    offlineStore: offline.config,
  });
  const data: { [key: string]: string } = { [FEATURE_STORE_YAML_KEY]: yaml };
  if (logins.length) {
    data[PG_TOKEN_SCRIPT_KEY] = PG_TOKEN_SCRIPT;
    // Unique per host and user; the helper writes one password file line each.
    const unique = new Map<string, FeastPostgresLogin>();
    for (const l of logins) unique.set(`${l.host}|${l.user}`, l);
    data[PG_LOGINS_KEY] = Lazy.stringValue({ produce: () => JSON.stringify([...unique.values()]) });
  }
  const secret = new SecretV1(scope, `Config-${hashOf(`${identity.node.path}|${secretName}`, 8)}`, {
    provider: o.cluster.providers(scope).kubernetes,
    metadata: {
      name: secretName,
      namespace: identity.namespace,
      labels: {
        'app.kubernetes.io/part-of': 'ai-platform',
        'app.kubernetes.io/name': 'feast-config',
        'feast.dev/project': kebab(o.project),
      },
    },
    type: 'Opaque',
    data,
    dependsOn: o.waits,
  });
  return {
    namespace: identity.namespace,
    secretName,
    env: [...env.values()],
    postgres: logins.length > 0,
    dependables: [secret, ...grants.flatMap((g) => g.dependables)],
  };
}
