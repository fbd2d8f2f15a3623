import { App, TerraformStack, TerraformVariable, Testing } from 'cdktf';
import * as fs from 'fs';
import * as path from 'path';
import { FeatureStoreAwsStack, FeatureStoreAzureStack } from '../../examples/feature-store/stack';
import { PlatformNamespace, PodSecurityLevel } from '../../lib/addons/namespace';
import { IPlatformCluster } from '../../lib/core/cluster';
import { RemovalPolicy } from '../../lib/core/data-services';
import { Duration } from '../../lib/core/duration';
import { ExistingCluster } from '../../lib/existing-cluster';
import { FeastCharts } from '../../lib/feast/charts';
import { featureServerPodMonitor } from '../../lib/feast/feature-server';
import { OfflineStore } from '../../lib/feast/offline-store';
import { OnlineStore } from '../../lib/feast/online-store';
import { Registry } from '../../lib/feast/registry';
import { FeatureStore, FeatureStoreProps } from '../../lib/feature-store';
import { crdProblems } from '../crd-schema';
import { awsStack, azureStack, problemLines, resources, synthJson } from '../helpers';

// ---------------------------------------------------------------------------------------------------------
// Helpers

function eks(stack: TerraformStack = awsStack()): IPlatformCluster {
  return ExistingCluster.fromEks(stack, 'Shared', {
    clusterName: 'shared',
    storageClassName: 'gp3',
    privateSubnetIds: ['subnet-a', 'subnet-b'],
    acceleratorPools: [],
  });
}

function aks(stack: TerraformStack = azureStack()): IPlatformCluster {
  return ExistingCluster.fromAks(stack, 'Shared', {
    clusterName: 'shared',
    resourceGroupName: 'platform-rg',
    privateEndpointSubnetId: '/subscriptions/0/resourceGroups/net/providers/Microsoft.Network/virtualNetworks/hub/subnets/endpoints',
    storageClassName: 'managed-csi-premium',
    systemTolerations: [{ key: 'CriticalAddonsOnly', operator: 'Exists' }],
    acceleratorPools: [],
  });
}

const AZURE_IMAGE = 'registry.example.com/feast-azure:0.66.0';
const AWS_IMAGE = 'registry.example.com/feast-aws:0.66.0';

function store(cluster: IPlatformCluster, props: Partial<FeatureStoreProps> = {}): FeatureStore {
  return new FeatureStore(TerraformStack.of(cluster), 'Features', {
    project: 'fraud',
    onlineStore: cluster.cloudProvider === 'aws' ? OnlineStore.dynamoDb() : OnlineStore.managedRedis(),
    image: cluster.cloudProvider === 'azure' ? AZURE_IMAGE : AWS_IMAGE,
    materialization: { schedule: '*/15 * * * *' },
    ...props,
    cluster,
  });
}

/** A reader and a writer in namespaces of their own, granted. */
function grantTeams(cluster: IPlatformCluster, features: FeatureStore): void {
  const stack = TerraformStack.of(cluster);
  const serving = new PlatformNamespace(stack, 'Serving', { cluster, name: 'serving', podSecurity: PodSecurityLevel.RESTRICTED });
  const ci = new PlatformNamespace(stack, 'Ci', { cluster, name: 'ci', podSecurity: PodSecurityLevel.RESTRICTED });
  features.grantRead(
    cluster.bindServiceAccount(stack, 'Scorer', { namespace: 'serving', serviceAccountName: 'scorer' }),
    serving.dependables,
  );
  features.grantWrite(cluster.bindServiceAccount(stack, 'Pipeline', { namespace: 'ci', serviceAccountName: 'pipeline' }), ci.dependables);
}

function secretNamed(doc: any, name: string, namespace?: string): any {
  const hit = Object.values(resources(doc, 'kubernetes_secret_v1')).find(
    (s: any) => s.metadata.name === name && (namespace === undefined || s.metadata.namespace === namespace),
  );
  if (!hit) throw new Error(`no secret ${namespace ?? '*'}/${name}`);
  return hit;
}

const yamlOf = (doc: any, name: string, namespace?: string): string => secretNamed(doc, name, namespace).data['feature_store.yaml'];

/** Statements of the inline policy of the role whose resource name contains `part`. */
function statements(doc: any, part: string): { Sid: string; Action: string[]; Resource: string[] }[] {
  const hits = Object.entries(resources(doc, 'aws_iam_role_policy')).filter(([n]) => n.includes(part));
  if (hits.length !== 1) throw new Error(`expected one policy *${part}*, found ${hits.map(([n]) => n).join(', ') || 'none'}`);
  // Terraform references hold quotes (split(":", ...)): replace them before parsing.
  return JSON.parse((hits[0][1] as any).policy.replace(/\$\{(?:[^{}]|\{[^{}]*\})*\}/g, 'REF')).Statement;
}
const actionsOf = (doc: any, part: string) => statements(doc, part).flatMap((s) => s.Action);

function helmValues(doc: any): { [release: string]: string } {
  return Object.fromEntries(Object.values(resources(doc, 'helm_release')).map((r: any) => [r.name, (r.values ?? []).join('\n')]));
}

// Secrets that must never be in the synth output: literal passwords in connection strings and URLs, keys.
const CREDENTIAL =
  /password=(?!\$\$\{FEAST_REDIS_PASSWORD\})[^,;&\s'"]+|postgres(ql)?(\+\w+)?:\/\/[^/\s:@'"]+:[^/\s@'"]+@|AKIA[0-9A-Z]{16}/;

// ---------------------------------------------------------------------------------------------------------
// The examples, on both clouds

describe.each([
  ['feature-store-aws', (app: App) => new FeatureStoreAwsStack(app, 'feature-store-aws')],
  ['feature-store-azure', (app: App) => new FeatureStoreAzureStack(app, 'feature-store-azure')],
])('%s', (_name, make) => {
  const stack = make(Testing.app());
  const features = stack.node.findChild('Features') as FeatureStore;
  const synth = Testing.synth(stack, true);
  const doc = JSON.parse(synth);
  const values = helmValues(doc);

  test('no password, token, key or credential-bearing connection string in the synth output or Helm values', () => {
    expect(synth).not.toMatch(CREDENTIAL);
    const server = values['feast-fraud'];
    expect(server).toBeDefined();
    // The YAML is mounted from a secret, never passed base64-encoded through the chart.
    expect(server).not.toContain('feature_store_yaml_base64');
    expect(server).not.toMatch(/password=|primary_access_key|master_user_secret|connection_string|postgres(ql)?:/i);
    // The Redis key reaches the pod as a secretKeyRef only.
    if (doc.resource.azurerm_managed_redis) expect(server).toMatch(/name: FEAST_REDIS_PASSWORD\n\s+valueFrom:\n\s+secretKeyRef:/);
    // The access key is a reference in the secrets the cache writes, and nowhere else.
    const keyRefs = synth.match(/primary_access_key/g) ?? [];
    const inSecrets = Object.values(resources(doc, 'kubernetes_secret_v1')).filter((s: any) =>
      JSON.stringify(s.data).includes('primary_access_key'),
    );
    expect(keyRefs.length).toBe(inSecrets.length);
    expect(synth).not.toMatch(/FEATURE_STORE_YAML_BASE64/);
  });

  test("the server is the chart's Deployment and Service, through Helm, with no replica count for KEDA to fight", () => {
    const release = Object.values(resources(doc, 'helm_release')).find((r: any) => r.name === 'feast-fraud') as any;
    // The library's manifests chart, under the release name the chart had: an installed release upgrades in place.
    expect(release.chart).toMatch(/^\.\/assets\/ai-platform-manifests-chart\//);
    expect(release.repository).toBeUndefined();
    expect(
      Object.keys(resources(doc, 'helm_release')).find((n) => (resources(doc, 'helm_release')[n] as any).name === 'feast-fraud'),
    ).toMatch(/^Features_Server_Chart_/);
    const [deployment, service] = features.server.addon.manifests;
    expect(deployment.kind).toBe('Deployment');
    expect(deployment.metadata).toMatchObject({ name: 'feast-fraud', namespace: 'feast-fraud' });
    expect(deployment.spec.replicas).toBeUndefined();
    expect(values['feast-fraud']).not.toMatch(/^\s*replicas:/m);
    // The chart's selector labels (immutable on a Deployment) and container name.
    const selector = { 'app.kubernetes.io/name': 'feast-feature-server', 'app.kubernetes.io/instance': 'feast-fraud' };
    expect(deployment.spec.selector.matchLabels).toEqual(selector);
    expect(deployment.spec.template.metadata.labels).toEqual(selector);
    expect(deployment.spec.template.spec.containers.map((c: any) => c.name)).toEqual(['feast-feature-server']);
    expect(deployment.spec.template.spec.containers[0].ports).toEqual([{ name: 'online', containerPort: 6566, protocol: 'TCP' }]);
    expect(service).toMatchObject({ kind: 'Service', metadata: { name: 'feast-fraud' }, spec: { type: 'ClusterIP', selector } });
    expect(service.spec.ports).toEqual([
      { port: 80, targetPort: 'online', protocol: 'TCP', name: 'http' },
      { name: 'metrics', port: 8000, protocol: 'TCP', targetPort: 8000 },
    ]);
    // The HPA KEDA makes owns the count, from the ScaledObject's minimum.
    expect(features.scalingManifests[0].spec.minReplicaCount).toBe(2);
  });

  test('the materialization CronJob runs materialize-incremental alone, one run at a time, with deadlines', () => {
    const cron = Object.values(resources(doc, 'kubernetes_cron_job_v1'))[0] as any;
    expect(cron.spec.schedule).toBe('*/15 * * * *');
    expect(cron.spec.timezone).toBe('Etc/UTC');
    expect(cron.spec.concurrency_policy).toBe('Forbid');
    expect(cron.spec.starting_deadline_seconds).toBe(300);
    const job = cron.spec.job_template.spec;
    expect(job.active_deadline_seconds).toBe(3600);
    expect(job.backoff_limit).toBe(2);
    const command = job.template.spec.container[0].command.join(' ');
    expect(command).toContain(
      'feast -f /etc/feast/feature_store.yaml --log-level INFO materialize-incremental "$(date -u +%Y-%m-%dT%H:%M:%S)"',
    );
    expect(command).not.toMatch(/\bapply\b/);
    expect(job.template.spec.service_account_name).toBe('feast-fraud-materializer');
    expect(job.template.spec.container[0].security_context.read_only_root_filesystem).toBe(true);
  });

  test('the server autoscales through a KEDA ScaledObject that matches the pinned CRD, installed after KEDA', () => {
    const crd = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'keda', 'ScaledObject.json'), 'utf8'));
    for (const m of features.scalingManifests) {
      expect(crdProblems(crd.schema, { apiVersion: m.apiVersion, kind: m.kind, metadata: m.metadata, spec: m.spec })).toEqual([]);
      expect(m.spec.scaleTargetRef.name).toBe('feast-fraud');
      for (const t of m.spec.triggers) expect(t.metadata.query).toMatch(/^sum\(/);
    }
    const releases = resources(doc, 'helm_release');
    const scaling = Object.entries(releases).find(([n]) => n.includes('Scaling'))![1] as any;
    const keda = Object.entries(releases).find(([, r]) => (r as any).name === 'keda')!;
    expect(scaling.depends_on).toContain(`helm_release.${keda[0]}`);
    expect(doc.resource.kubernetes_manifest).toBeUndefined();
  });

  test('readers are admitted to the feature server port only; the namespace denies the rest', () => {
    const policies = Object.values(resources(doc, 'kubernetes_network_policy_v1')) as any[];
    const admit = policies.find((p) => p.metadata.name === 'allow-fraud-serving-to-feast-fraud');
    expect(admit.metadata.namespace).toBe('feast-fraud');
    expect(admit.spec.pod_selector.match_labels).toEqual({
      'app.kubernetes.io/name': 'feast-feature-server',
      'app.kubernetes.io/instance': 'feast-fraud',
    });
    expect(admit.spec.ingress).toEqual([
      {
        from: [{ namespace_selector: { match_labels: { 'kubernetes.io/metadata.name': 'fraud-serving' } } }],
        ports: [{ port: '6566', protocol: 'TCP' }],
      },
    ]);
    expect(policies.some((p) => p.metadata.namespace === 'feast-fraud' && p.metadata.name === 'default-deny-ingress')).toBe(true);
    const pdb = Object.values(resources(doc, 'kubernetes_pod_disruption_budget_v1'))[0] as any;
    expect(pdb.spec.max_unavailable).toBe('1');
  });

  test('the freshness alert fires after three missed schedules', () => {
    const rule = features.freshnessAlert()!;
    expect(rule.alert).toBe('FeastMaterializationStale');
    expect(rule.expr).toContain(
      'time() - max(kube_cronjob_status_last_successful_time{namespace="feast-fraud",cronjob="feast-fraud-materialize"}) > 2700',
    );
    expect(rule.expr).toContain('absent(kube_cronjob_status_last_successful_time');
    expect(features.freshnessAlert(5)!.expr).toContain('> 4500');
  });
});

// ---------------------------------------------------------------------------------------------------------
// feature_store.yaml per store combination

describe('feature_store.yaml', () => {
  test('AWS: DynamoDB online, parquet in S3, SQL registry on RDS with IAM logins', () => {
    const cluster = eks();
    const features = store(cluster, { registry: Registry.sql() });
    grantTeams(cluster, features);
    const doc = synthJson(TerraformStack.of(cluster));
    const server = yamlOf(doc, 'feast-fraud-server-config');
    expect(server).toMatch(/^project: fraud\nprovider: local\nregistry:\n  registry_type: sql\n/);
    expect(server).toMatch(
      /path: 'postgresql\+psycopg:\/\/feast_fraud_server_[0-9a-f]{6}@\$\{aws_db_instance\.[\w]+\.address\}:5432\/feast_registry\?sslmode=require'/,
    );
    expect(server).toContain('schema_mode: verify');
    expect(server).toContain('online_store:\n  type: dynamodb\n  region: ');
    expect(server).toContain('offline_store:\n  type: file\n');
    expect(server).toContain('entity_key_serialization_version: 3');
    // Writers create the registry's tables; readers never do.
    expect(yamlOf(doc, 'feast-fraud-materializer-config')).toContain('schema_mode: auto');
    expect(yamlOf(doc, 'feast-fraud-pipeline', 'ci')).toContain('schema_mode: auto');
    // Each identity logs in as its own role, with a token from the helper.
    const secret = secretNamed(doc, 'feast-fraud-scorer', 'serving');
    expect(Object.keys(secret.data).sort()).toEqual(['feature_store.yaml', 'pg_logins.json', 'pg_token.py']);
    expect(JSON.parse(secret.data['pg_logins.json'].replace(/\$\{[^}]*\}/g, 'REF'))).toEqual([
      { host: 'REF', port: 5432, user: expect.stringMatching(/^scorer_[0-9a-f]{6}$/), authentication: 'aws-iam' },
    ]);
    expect(features.offlineDataUrl).toMatch(/^s3:\/\/\$\{TfToken/);
  });

  test('AWS: PostgreSQL online with a registry file in S3 (no token helper for the registry)', () => {
    const cluster = eks();
    store(cluster, { onlineStore: OnlineStore.postgres(), registry: Registry.objectStore() });
    const doc = synthJson(TerraformStack.of(cluster));
    const y = yamlOf(doc, 'feast-fraud-server-config');
    expect(y).toMatch(
      /registry:\n  registry_type: file\n  path: 's3:\/\/\$\{aws_s3_bucket\.\w+\.bucket\}\/fraud\/registry\.pb'\n  cache_ttl_seconds: 60\n/,
    );
    expect(y).toMatch(
      /online_store:\n  type: postgres\n  host: '\$\{aws_db_instance\.\w+\.address\}'\n  port: 5432\n  database: feast_online\n  db_schema: public\n  user: feast_fraud_server_[0-9a-f]{6}\n  password: ""\n  sslmode: require\n  conn_type: pool\n/,
    );
    expect(y).not.toContain('registry_store_type');
  });

  test('Azure: Managed Redis online (key from the environment), parquet in a private container, SQL registry with Entra logins', () => {
    const cluster = aks();
    const features = store(cluster, { registry: Registry.sql() });
    grantTeams(cluster, features);
    const doc = synthJson(TerraformStack.of(cluster));
    const y = yamlOf(doc, 'feast-fraud-server-config');
    expect(y).toMatch(
      /online_store:\n  type: redis\n  redis_type: redis\n  connection_string: '\$\{azurerm_managed_redis\.\w+\.hostname\}:\$\{azurerm_managed_redis\.\w+\.default_database\[0\]\.port\},ssl=true,password=\$\$\{FEAST_REDIS_PASSWORD\}'\n/,
    );
    expect(y).toMatch(
      /path: 'postgresql\+psycopg:\/\/feast_fraud_server_[0-9a-f]{6}@\$\{azurerm_postgresql_flexible_server\.\w+\.fqdn\}:5432\/feast_registry\?sslmode=require'/,
    );
    const logins = JSON.parse(secretNamed(doc, 'feast-fraud-server-config').data['pg_logins.json'].replace(/\$\{[^}]*\}/g, 'REF'));
    expect(logins[0].authentication).toBe('entra');
    expect(features.offlineDataUrl).toMatch(/^az:\/\/[a-z0-9-]+\/$/);
    // The reader in another namespace gets the Redis key as a secret of its namespace, referenced by env.
    const access = features.grantRead(
      cluster.bindServiceAccount(TerraformStack.of(cluster), 'Other', { namespace: 'serving', serviceAccountName: 'other' }),
    );
    expect(access.env.find((e) => e.name === 'FEAST_REDIS_PASSWORD')!.secret).toEqual({
      namespace: 'serving',
      name: expect.stringMatching(/-redis$/),
      key: 'password',
    });
    expect(access.refreshesPostgresTokens).toBe(true);
    expect(access.configSecret).toEqual({ namespace: 'serving', name: 'feast-fraud-other', key: 'feature_store.yaml' });
  });

  test('Azure: PostgreSQL online and a registry file read by AzureRegistryStore (custom image)', () => {
    const cluster = aks();
    store(cluster, { onlineStore: OnlineStore.postgres(), registry: Registry.objectStore() });
    const doc = synthJson(TerraformStack.of(cluster));
    const y = yamlOf(doc, 'feast-fraud-server-config');
    expect(y).toMatch(
      /registry:\n  registry_type: file\n  registry_store_type: AzureRegistryStore\n  path: "https:\/\/[a-z0-9]+\.blob\.core\.windows\.net\/[a-z0-9-]+\/fraud\/registry\.pb"\n/,
    );
    expect(y).toMatch(/online_store:\n  type: postgres\n  host: '\$\{azurerm_postgresql_flexible_server\.\w+\.fqdn\}'/);
  });
});

// ---------------------------------------------------------------------------------------------------------
// Least privilege per role

describe('each identity gets only what its role needs', () => {
  test('AWS: reader, materializer and writer on DynamoDB, S3 and RDS', () => {
    const cluster = eks();
    const features = store(cluster, { registry: Registry.objectStore() });
    grantTeams(cluster, features);
    const doc = synthJson(TerraformStack.of(cluster));
    const read = ['dynamodb:GetItem', 'dynamodb:BatchGetItem'];
    const registryRead = ['s3:ListBucket', 's3:GetObject', 's3:GetObjectVersion', 'kms:Decrypt'];
    const registryWrite = ['s3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload', 'kms:GenerateDataKey', 'kms:Encrypt'];

    // The feature server and a model server: online reads and the registry, nothing else.
    for (const part of ['Features_ServerIdentity_Policy', 'Scorer_Policy']) {
      expect(actionsOf(doc, part).sort()).toEqual([...read, ...registryRead].sort());
    }
    // The materializer: also online writes, offline reads, registry writes (watermarks); no table admin.
    const m = actionsOf(doc, 'Features_MaterializerIdentity_Policy');
    expect(m).toEqual(expect.arrayContaining(['dynamodb:PutItem', 'dynamodb:BatchWriteItem', 'dynamodb:UpdateItem', ...registryWrite]));
    expect(m).not.toEqual(expect.arrayContaining(['dynamodb:CreateTable']));
    expect(m.filter((a) => /CreateTable|DeleteTable|UpdateTable|TagResource/.test(a))).toEqual([]);
    // Two buckets: the materializer writes the registry's, only reads the offline one.
    const writes = statements(doc, 'Features_MaterializerIdentity_Policy').filter((s) => s.Action.includes('s3:PutObject'));
    expect(writes).toHaveLength(1);
    // The writer (CI: feast apply): table admin on the project's prefix, offline data read-write.
    const w = statements(doc, 'Pipeline_Policy');
    expect(w.flatMap((s) => s.Action)).toEqual(
      expect.arrayContaining(['dynamodb:CreateTable', 'dynamodb:DeleteTable', 'dynamodb:TagResource']),
    );
    expect(w.filter((s) => s.Action.includes('s3:PutObject'))).toHaveLength(2);
    // DynamoDB is scoped to the project's tables, never '*'.
    for (const s of [...w, ...statements(doc, 'Features_ServerIdentity_Policy')].filter((x) =>
      x.Action.some((a) => a.startsWith('dynamodb:')),
    ))
      expect(s.Resource).toEqual(['arn:REF:dynamodb:REF:REF:table/fraud.*']);
    expect(JSON.stringify(resources(doc, 'aws_iam_role_policy'))).not.toMatch(/"dynamodb:\*"|"Resource":\["\*"\]/);
  });

  test('AWS: each PostgreSQL login is its own rds-db:connect user; readers join the read-only group', () => {
    const cluster = eks();
    const features = store(cluster, { registry: Registry.sql() });
    grantTeams(cluster, features);
    const doc = synthJson(TerraformStack.of(cluster));
    const connect = (part: string) => statements(doc, part).filter((s) => s.Action.includes('rds-db:connect'))[0].Resource;
    expect(connect('Features_ServerIdentity_Policy')).toEqual([expect.stringMatching(/:dbuser:REF\/feast_fraud_server_[0-9a-f]{6}$/)]);
    expect(connect('Scorer_Policy')).toEqual([expect.stringMatching(/:dbuser:REF\/scorer_[0-9a-f]{6}$/)]);
    const job = Object.values(resources(doc, 'kubernetes_job_v1')).find(
      (j: any) => j.metadata.labels['app.kubernetes.io/name'] === 'feast-postgres-roles',
    ) as any;
    const sql = job.spec.template.spec.container[0].env.find((e: any) => e.name === 'ROLES_SQL').value as string;
    expect(sql).toMatch(/GRANT "feast_fraud_ro" TO "scorer_[0-9a-f]{6}";\nREVOKE CREATE ON SCHEMA public FROM "scorer_[0-9a-f]{6}";/);
    expect(sql).toMatch(
      /GRANT "feast_fraud_rw" TO "pipeline_[0-9a-f]{6}";\nDO \$feast\$ BEGIN EXECUTE format\('ALTER ROLE %I SET role = %L', 'pipeline_[0-9a-f]{6}', 'feast_fraud_rw'\); EXCEPTION WHEN insufficient_privilege THEN RAISE NOTICE/,
    );
    expect(sql).toContain(
      'ALTER DEFAULT PRIVILEGES FOR ROLE "feast_fraud_rw" IN SCHEMA public GRANT SELECT ON TABLES TO "feast_fraud_ro";',
    );
    expect(sql).not.toMatch(/password|\$\$/i);
    // The admin login reads the master password from Secrets Manager at run time, nowhere else.
    expect(job.spec.template.spec.init_container[0].command.join(' ')).toContain('aws secretsmanager get-secret-value');
  });

  test('Azure: storage roles on the containers by role; Redis keys only in the granted namespaces', () => {
    const cluster = aks();
    const features = store(cluster, {
      onlineStore: OnlineStore.managedRedis(),
      offlineStore: OfflineStore.objectStore(),
      registry: Registry.objectStore(),
    });
    grantTeams(cluster, features);
    const doc = synthJson(TerraformStack.of(cluster));
    const roles = Object.entries(resources(doc, 'azurerm_role_assignment')).map(([n, r]: [string, any]) => [
      n.split('_Grant')[0],
      r.role_definition_name,
      /Registry/.test(r.scope) ? 'registry' : 'offline',
    ]);
    expect(roles.sort()).toEqual(
      [
        ['Features_MaterializerIdentity', 'Storage Blob Data Contributor', 'registry'],
        ['Features_MaterializerIdentity', 'Storage Blob Data Reader', 'offline'],
        ['Features_ServerIdentity', 'Storage Blob Data Reader', 'registry'],
        ['Pipeline', 'Storage Blob Data Contributor', 'offline'],
        ['Pipeline', 'Storage Blob Data Contributor', 'registry'],
        ['Scorer', 'Storage Blob Data Reader', 'registry'],
      ].sort(),
    );
    const redisSecrets = Object.values(resources(doc, 'kubernetes_secret_v1')).filter((s: any) =>
      JSON.stringify(s.data).includes('primary_access_key'),
    ) as any[];
    expect(redisSecrets.map((s) => s.metadata.namespace).sort()).toEqual(['ci', 'feast-fraud', 'serving']);
  });

  test('a second grant of another level to the same identity is refused', () => {
    const cluster = eks();
    const features = store(cluster);
    const id = cluster.bindServiceAccount(TerraformStack.of(cluster), 'Both', { namespace: 'team', serviceAccountName: 'both' });
    features.grantRead(id);
    features.grantWrite(id);
    expect(problemLines(TerraformStack.of(cluster))).toEqual([
      `test/Features: grantWrite identity test/Both was already granted read; grant each identity once (grantWrite includes everything grantRead gives)`,
    ]);
  });
});

// ---------------------------------------------------------------------------------------------------------
// Retained by default

describe('stores are retained by default', () => {
  test('AWS: RDS deletion protection, prevent_destroy on the database, bucket and keys', () => {
    const cluster = eks();
    store(cluster, { registry: Registry.sql(), onlineStore: OnlineStore.postgres() });
    const doc = synthJson(TerraformStack.of(cluster));
    const dbs = Object.values(resources(doc, 'aws_db_instance')) as any[];
    expect(dbs).toHaveLength(2);
    for (const db of dbs) {
      expect(db.deletion_protection).toBe(true);
      expect(db.lifecycle.prevent_destroy).toBe(true);
      expect(db.skip_final_snapshot).toBe(false);
    }
    expect(dbs.map((d) => d.instance_class).sort()).toEqual(['db.r7g.large', 'db.t4g.medium']);
    for (const b of Object.values(resources(doc, 'aws_s3_bucket')) as any[]) expect(b.lifecycle.prevent_destroy).toBe(true);
  });

  test('AWS: RemovalPolicy.DESTROY is the explicit opt-out', () => {
    const cluster = eks();
    store(cluster, { registry: Registry.sql(), removalPolicy: RemovalPolicy.DESTROY });
    const doc = synthJson(TerraformStack.of(cluster));
    const db = Object.values(resources(doc, 'aws_db_instance'))[0] as any;
    expect(db.deletion_protection).toBe(false);
    expect(db.lifecycle).toBeUndefined();
    expect(db.tags.throwaway).toBe('true');
    const bucket = Object.values(resources(doc, 'aws_s3_bucket'))[0] as any;
    expect(bucket.lifecycle).toBeUndefined();
    expect(bucket.force_destroy).toBe(true);
  });

  test('Azure: Managed Redis, PostgreSQL, storage account and container keep prevent_destroy', () => {
    const cluster = aks();
    store(cluster, { registry: Registry.sql() });
    const doc = synthJson(TerraformStack.of(cluster));
    for (const type of [
      'azurerm_managed_redis',
      'azurerm_postgresql_flexible_server',
      'azurerm_storage_account',
      'azurerm_storage_container',
    ]) {
      const all = Object.values(resources(doc, type)) as any[];
      expect(all.length).toBeGreaterThan(0);
      for (const r of all) expect(r.lifecycle.prevent_destroy).toBe(true);
    }
    const redis = Object.values(resources(doc, 'azurerm_managed_redis'))[0] as any;
    expect(redis.default_database.client_protocol).toBe('Encrypted');
  });

  test('a store option wins over the feature store default', () => {
    const cluster = aks();
    store(cluster, { registry: Registry.sql({ removalPolicy: RemovalPolicy.DESTROY }) });
    const doc = synthJson(TerraformStack.of(cluster));
    const pg = Object.values(resources(doc, 'azurerm_postgresql_flexible_server'))[0] as any;
    expect(pg.lifecycle.prevent_destroy).toBeUndefined();
    expect((Object.values(resources(doc, 'azurerm_managed_redis'))[0] as any).lifecycle.prevent_destroy).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------------------
// The feature server

describe('feature server', () => {
  test('service account bound to the identity; Azure token mounted since the pods carry no identity label', () => {
    const cluster = aks();
    const features = store(cluster, { server: { replicas: 3, ui: true } });
    const doc = synthJson(TerraformStack.of(cluster));
    const sa = Object.values(resources(doc, 'kubernetes_service_account_v1')).find(
      (s: any) => s.metadata.name === 'feast-fraud-server',
    ) as any;
    expect(Object.keys(sa.metadata.annotations)).toEqual(['azure.workload.identity/client-id']);
    const v = helmValues(doc)['feast-fraud'];
    expect(v).not.toMatch(/^\s*replicas:/m);
    expect(features.server.addon.manifests[0].spec.template.spec.serviceAccountName).toBe('feast-fraud-server');
    expect(v).toMatch(/- name: AZURE_CLIENT_ID\n\s+value: '\$\{azurerm_user_assigned_identity\.Features_ServerIdentity_\w+\.client_id\}'/);
    expect(v).toContain('audience: "api://AzureADTokenExchange"');
    expect(v).toContain('readOnlyRootFilesystem: true');
    expect(v).toContain('--metrics');
    expect(v).toContain('key: CriticalAddonsOnly');
    expect(features.scalingManifests[0].spec.minReplicaCount).toBe(3);
    expect(features.scalingManifests[0].spec.maxReplicaCount).toBe(9);
    // The UI: the same server in ui mode, one replica (the Deployment default: nothing scales it).
    const [uiDeployment, uiService] = features.server.ui!.manifests;
    expect(uiDeployment.metadata.name).toBe('feast-fraud-ui');
    expect(uiDeployment.spec.replicas).toBeUndefined();
    expect(uiDeployment.spec.template.spec.containers[0].ports).toEqual([{ name: 'ui', containerPort: 8888, protocol: 'TCP' }]);
    // Read-only root: the UI writes its projects list into a copy of the feast package on /tmp.
    expect(uiDeployment.spec.template.spec.containers[0].securityContext.readOnlyRootFilesystem).toBe(true);
    expect(uiDeployment.spec.template.spec.containers[0].command[2]).toMatch(
      /cp -R "\$\(python3 -c 'import feast, os; print\(os\.path\.dirname\(feast\.__file__\)\)'\)" \/tmp\/feast-ui\/\nPYTHONPATH=\/tmp\/feast-ui exec feast /,
    );
    expect(uiService.spec.ports).toEqual([{ port: 80, targetPort: 'ui', protocol: 'TCP', name: 'http' }]);
    expect(helmValues(doc)['feast-fraud-ui']).toContain('INFO ui -h 0.0.0.0 -p 8888');
    // Materializer pods carry the identity's label (the webhook injects the token).
    const cron = Object.values(resources(doc, 'kubernetes_cron_job_v1'))[0] as any;
    expect(cron.spec.job_template.spec.template.metadata.labels['azure.workload.identity/use']).toBe('true');
  });

  test('AWS: no token helper without PostgreSQL; CPU target from the request', () => {
    const cluster = eks();
    const features = store(cluster, {
      registry: Registry.objectStore(),
      server: { cpu: '1', targetCpuUtilization: 60, targetRequestsPerSecond: 200 },
    });
    const doc = synthJson(TerraformStack.of(cluster));
    const v = helmValues(doc)['feast-fraud'];
    expect(features.server.addon.manifests[0].spec.template.spec.containers[0].command.slice(0, 3)).toEqual([
      'feast',
      '-f',
      '/etc/feast/feature_store.yaml',
    ]);
    expect(v).not.toContain('pg_token.py');
    expect(Object.keys(secretNamed(doc, 'feast-fraud-server-config').data)).toEqual(['feature_store.yaml']);
    const [cpu, requests] = features.scalingManifests[0].spec.triggers;
    expect(cpu.metadata.threshold).toBe('0.6');
    expect(cpu.metadata.query).toBe(
      'sum(rate(container_cpu_usage_seconds_total{namespace="feast-fraud",pod=~"feast-fraud-[a-z0-9]+-[a-z0-9]+",container="feast-feature-server"}[2m]))',
    );
    expect(requests.metadata.query).toContain('feast_feature_server_request_total');
    expect(requests.metadata.threshold).toBe('200');
  });

  test('metrics: port 8000 is scraped through the declared online port (the pod declares no metrics port)', () => {
    const cluster = eks();
    const features = store(cluster);
    const doc = synthJson(TerraformStack.of(cluster));
    const v = helmValues(doc)['feast-fraud'];
    expect(features.server.addon.manifests[1].spec.ports).toContainEqual({
      name: 'metrics',
      port: 8000,
      protocol: 'TCP',
      targetPort: 8000,
    });
    expect(v).toContain('--metrics');
    const m = featureServerPodMonitor();
    expect(m.selector.matchLabels).toEqual({ 'app.kubernetes.io/name': 'feast-feature-server' });
    expect(m.podMetricsEndpoints[0].port).toBe('online');
    expect(m.podMetricsEndpoints[0].relabelings[0]).toMatchObject({ targetLabel: '__address__', replacement: '$1:8000' });
  });

  test('the registry is initialized by a writer before the server (a reader) starts', () => {
    const cluster = eks();
    store(cluster, { registry: Registry.sql() });
    const doc = synthJson(TerraformStack.of(cluster));
    const [initName, init] = Object.entries(resources(doc, 'kubernetes_job_v1')).find(([n]) => n.includes('RegistryInit'))! as [
      string,
      any,
    ];
    expect(init.spec.template.spec.service_account_name).toBe('feast-fraud-materializer');
    expect(init.wait_for_completion).toBe(true);
    expect(init.spec.template.spec.container[0].command.join(' ')).toContain('store.refresh_registry()');
    const server = Object.values(resources(doc, 'helm_release')).find((r: any) => r.name === 'feast-fraud') as any;
    expect(server.depends_on).toContain(`kubernetes_job_v1.${initName}`);
    const roles = Object.keys(resources(doc, 'kubernetes_job_v1')).find((n) => n.includes('PostgresRoles'))!;
    expect(init.depends_on).toContain(`kubernetes_job_v1.${roles}`);
  });
});

// ---------------------------------------------------------------------------------------------------------
// Problems at synth, in the house format

describe('validation', () => {
  test('a store kind the cloud lacks', () => {
    const cluster = aks();
    store(cluster, { onlineStore: OnlineStore.dynamoDb() });
    expect(problemLines(TerraformStack.of(cluster))).toEqual([
      'test/Features: onlineStore OnlineStore.dynamoDb() is an AWS service and this cluster runs on azure; use OnlineStore.managedRedis() (Azure Managed Redis) or OnlineStore.postgres()',
    ]);
  });

  test('Redis on AWS: ElastiCache is IAM-only and Feast sends a static password', () => {
    const cluster = eks();
    store(cluster, { onlineStore: OnlineStore.managedRedis() });
    expect(problemLines(TerraformStack.of(cluster))).toEqual([
      "test/Features: onlineStore OnlineStore.managedRedis() on AWS is ElastiCache for Valkey with IAM-authenticated users only, and Feast's Redis online store sends the static password of its connection_string (redis-py, no IAM token refresh), so it could never log in; use OnlineStore.dynamoDb() (keyless with Pod Identity) or OnlineStore.postgres()",
    ]);
  });

  test('a Redis without TLS', () => {
    const cluster = aks();
    store(cluster, { onlineStore: OnlineStore.managedRedis({ transitEncryption: false }) });
    expect(problemLines(TerraformStack.of(cluster))).toEqual([
      'test/Features/Online/OnlineCache: transitEncryption false would send keys in clear text; remove it: Azure Managed Redis is TLS only here',
    ]);
  });

  test('a schedule that is not cron, a bad project, replicas', () => {
    const cluster = eks();
    store(cluster, {
      project: 'fraud-detection',
      materialization: { schedule: '@every 15m', timeout: Duration.seconds(10) },
      server: { replicas: 0, maxReplicas: 4, targetCpuUtilization: 150 },
    });
    expect(problemLines(TerraformStack.of(cluster))).toEqual([
      "test/Features: project 'fraud-detection' is not a Feast project name (letters, digits and '_', not starting with '_', 63 at most; Feast prefixes online tables and registry entries with it); use e.g. 'fraud_detection'",
      'test/Features: server.replicas 0 is not a whole number >= 1; use e.g. 2 (one replica has no redundancy)',
      'test/Features: server.targetCpuUtilization 150 is not a whole percentage from 10 to 100; use e.g. 70',
      "test/Features: materialization.schedule '@every 15m' is not a macro Kubernetes CronJobs accept (@yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly); use five fields (minute hour day-of-month month day-of-week), e.g. '*/15 * * * *', or a macro such as '@hourly'",
      'test/Features: materialization.timeout 10s is shorter than a minute or not whole seconds; use e.g. Duration.hours(1)',
    ]);
  });

  test('a schedule that never runs is refused; a macro is accepted', () => {
    const cluster = eks();
    store(cluster, { materialization: { schedule: '0 0 31 2 *' } });
    expect(problemLines(TerraformStack.of(cluster))).toEqual([
      "test/Features: materialization.schedule '0 0 31 2 *' never runs (no month it names has the day of month it names); use days that exist in those months (1 to 28 exist in all), e.g. '0 0 28 2 *'",
    ]);
    const hourly = eks();
    store(hourly, { materialization: { schedule: '@hourly' } });
    expect(problemLines(TerraformStack.of(hourly))).toEqual([]);
  });

  test('maxReplicas below replicas', () => {
    const cluster = eks();
    store(cluster, { server: { replicas: 4, maxReplicas: 2 } });
    expect(problemLines(TerraformStack.of(cluster))).toEqual([
      'test/Features: server.maxReplicas 2 is below replicas 4; raise maxReplicas or lower replicas',
    ]);
  });

  test('chart overrides of the server are refused: it is no longer installed from the chart', () => {
    const cluster = eks();
    store(cluster, { server: { chart: { version: '0.67.0', values: { podAnnotations: { a: 'b' } } } } });
    expect(problemLines(TerraformStack.of(cluster))).toEqual([
      "test/Features: server.chart is set, but the feature server no longer comes from the feast-feature-server chart (its Deployment always sets replicas, which resets KEDA's count on every upgrade); remove server.chart and use server.image, cpu, memory and workers",
    ]);
  });

  test('a registry (and offline store) the default image cannot read on Azure', () => {
    const cluster = aks();
    new FeatureStore(TerraformStack.of(cluster), 'Features', {
      cluster,
      project: 'fraud',
      onlineStore: OnlineStore.managedRedis(),
      registry: Registry.objectStore(),
    });
    const image = FeastCharts.FEATURE_SERVER_IMAGE;
    expect(problemLines(TerraformStack.of(cluster))).toEqual([
      `test/Features: image '${image}' cannot read offlineStore OfflineStore.objectStore() on Azure: the Feast image installs feast[minimal], without feast[azure] and adlfs, so az:// parquet has no filesystem and materialization fails; build an image FROM it with \`pip install 'feast[azure]==0.66.0' adlfs\` and pass it as image`,
      `test/Features: registry Registry.objectStore() on Azure is read by Feast's AzureRegistryStore (azure-storage-blob, azure-identity), which image '${image}' does not ship (feast[minimal] leaves out feast[azure]), so no Feast pod could read the registry; use Registry.sql(), or pass an image built with \`pip install 'feast[azure]==0.66.0' adlfs\``,
    ]);
  });

  test('the default image cannot read s3:// parquet (no s3fs) on AWS', () => {
    const cluster = eks();
    new FeatureStore(TerraformStack.of(cluster), 'Features', {
      cluster,
      project: 'fraud',
      onlineStore: OnlineStore.dynamoDb(),
      offlineStore: OfflineStore.objectStore(),
    });
    expect(problemLines(TerraformStack.of(cluster))).toEqual([
      `test/Features: image '${FeastCharts.FEATURE_SERVER_IMAGE}' cannot read offlineStore OfflineStore.objectStore() on AWS: Feast's file engine reads s3:// parquet through Dask and fsspec, which need s3fs, and the Feast image installs feast[minimal] without it, so every materialization fails; build an image FROM it with \`pip install s3fs\` and pass it as image`,
    ]);
  });

  test('an image that is not pinned', () => {
    const cluster = eks();
    store(cluster, { image: 'quay.io/feastdev/feature-server:latest' });
    expect(problemLines(TerraformStack.of(cluster))).toEqual([
      "test/Features: image 'quay.io/feastdev/feature-server:latest' is not pinned; use a version tag or a digest, e.g. 'quay.io/feastdev/feature-server:0.66.0'",
    ]);
  });

  test('values Terraform knows only at apply time are not rejected', () => {
    const stack = awsStack();
    const cluster = eks(stack);
    const project = new TerraformVariable(stack, 'project', { type: 'string' });
    store(cluster, { project: project.stringValue, image: new TerraformVariable(stack, 'image', { type: 'string' }).stringValue });
    expect(problemLines(stack)).toEqual([]);
  });
});

describe('FeatureStore egress prop', () => {
  test("becomes the feature store namespace's allow-egress-extra", () => {
    const cluster = eks();
    store(cluster, { egress: [{ ports: [8443] }] });
    const extra = (Object.values(resources(synthJson(TerraformStack.of(cluster)), 'kubernetes_network_policy_v1')) as any[]).find(
      (p) => p.metadata.name === 'allow-egress-extra',
    );
    expect(extra.metadata.namespace).toBe('feast-fraud');
    expect(extra.spec.egress[0].ports.map((p: any) => p.port)).toEqual(['8443']);
  });
});
