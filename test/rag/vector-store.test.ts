import { TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import { PlatformNamespace, PodSecurityLevel } from '../../lib/addons/namespace';
import { Cloud } from '../../lib/cloud';
import { EndpointAccess } from '../../lib/aws/endpoint-access';
import { IAcceleratorCluster, IWorkloadIdentity } from '../../lib/core/cluster';
import { RemovalPolicy } from '../../lib/core/data-services';
import { GpuNodePool } from '../../lib/core/node-pool';
import { Gpu } from '../../lib/gpu/accelerator';
import { GpuInferenceCluster } from '../../lib/gpu-inference-cluster';
import { VectorStoreCharts } from '../../lib/rag/charts';
import { pgReaderRole, pgRoleName } from '../../lib/rag/pgvector-bootstrap';
import { RagContext } from '../../lib/rag/types';
import { InClusterVectorStoreOptions, VectorStore } from '../../lib/rag/vector-store';
import { awsStack, azureStack, problemLines, resourceNamed, resources, synthJson } from '../helpers';

type CloudName = 'aws' | 'azure';

function cluster(stack: TerraformStack, cloud: CloudName): IAcceleratorCluster {
  return cloud === 'aws'
    ? new GpuInferenceCluster(stack, 'Gpu', {
        cloud: Cloud.aws({ endpointAccess: EndpointAccess.publicAndPrivate(['203.0.113.0/24']) }),
        clusterName: 'ai',
        nodePools: [GpuNodePool.inference('l4', { gpu: Gpu.L4, maxNodes: 2 })],
      })
    : new GpuInferenceCluster(stack, 'Gpu', {
        cloud: Cloud.azure({ location: 'eastus2', authorizedIpRanges: ['203.0.113.0/24'] }),
        clusterName: 'ai',
        nodePools: [GpuNodePool.inference('t4', { gpu: Gpu.T4, maxNodes: 2 })],
      });
}

/** A cluster, the 'rag' namespace and a store bound under 'Store'. */
function bound(cloud: CloudName, store: VectorStore) {
  const stack = cloud === 'aws' ? awsStack() : azureStack();
  const c = cluster(stack, cloud);
  const ns = new PlatformNamespace(stack, 'Ns', { cluster: c, name: 'rag', podSecurity: store.podSecurity });
  const ctx: RagContext = { cluster: c, namespace: 'rag', dependables: ns.dependables, removalPolicy: RemovalPolicy.RETAIN };
  const binding = store.bind(new Construct(stack, 'Store'), ctx);
  return { stack, cluster: c, ctx, binding };
}

/** A workload identity of a service account in the 'rag' namespace. */
function workload(c: IAcceleratorCluster, stack: TerraformStack, id: string, serviceAccountName: string): IWorkloadIdentity {
  return c.bindServiceAccount(stack, id, { namespace: 'rag', serviceAccountName });
}

/** Warnings on the store's constructs. */
function warnings(stack: TerraformStack): string[] {
  return stack.node
    .findAll()
    .flatMap((c) => c.node.metadata)
    .filter((m) => m.type === '@cdktf/warn')
    .map((m) => String(m.data));
}

/** The one resource of a type created by the store (under test/Store). */
const only = (doc: any, type: string): any => resourceNamed(doc, type, 'Store_');
const job = (doc: any) => only(doc, 'kubernetes_job_v1');
const pod = (doc: any) => job(doc).spec.template.spec;
const env = (container: any): { [name: string]: string } => Object.fromEntries((container.env ?? []).map((e: any) => [e.name, e.value]));
const bootstrapSql = (doc: any): string => env(pod(doc).container[0]).BOOTSTRAP_SQL;
const values = (doc: any): string => only(doc, 'helm_release').values[0];

describe('VectorStore.pgvector on AWS', () => {
  test('an RDS database named rag, and a bootstrap job that creates the extension and each granted role', () => {
    const { stack, cluster: c, binding } = bound('aws', VectorStore.pgvector());
    const login = binding.grantAccess(workload(c, stack, 'RagApi', 'rag-api'));
    binding.grantAccess(workload(c, stack, 'Ingest', 'ingest'));
    const doc = synthJson(stack);

    expect(only(doc, 'aws_db_instance')).toMatchObject({ db_name: 'rag', manage_master_user_password: true, deletion_protection: true });
    expect(binding).toMatchObject({ kind: 'pgvector', port: 5432, database: 'rag', exposedPorts: [] });
    expect(binding.apiKeySecret).toBeUndefined();
    expect(login).toMatchObject({ user: 'rag_api', authentication: 'aws-iam' });
    expect(login.dependables).toContain(binding.dependables[0]);

    const sql = bootstrapSql(doc);
    expect(sql).toContain('CREATE EXTENSION IF NOT EXISTS vector;');
    // Each login once (guarded by its role's existence), the grants on every run.
    expect(sql).toContain(
      [
        `SELECT CASE WHEN EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'rag_api') THEN 0 ELSE 1 END AS role_missing_0 \\gset`,
        '\\if :role_missing_0',
        'CREATE ROLE "rag_api" LOGIN;',
        '\\endif',
        'GRANT rds_iam TO "rag_api";',
      ].join('\n'),
    );
    expect(sql).toContain('CREATE ROLE "ingest" LOGIN;');
    expect(sql).toContain('GRANT USAGE, CREATE ON SCHEMA public TO "ingest";');

    const j = job(doc);
    expect(j.metadata).toMatchObject({ namespace: 'rag', name: expect.stringMatching(/^pgvector-bootstrap-[0-9a-f]{10}$/) });
    expect(j.wait_for_completion).toBe(true);
    expect(j.spec.ttl_seconds_after_finished).toBeUndefined();
  });

  test('readers read every table writers create, now and later; only writers create', () => {
    const { stack, cluster: c, binding } = bound('aws', VectorStore.pgvector());
    binding.grantAccess(workload(c, stack, 'RagApi', 'rag-api'));
    binding.grantAccess(workload(c, stack, 'Ingest', 'ingest'), true);
    const sql = bootstrapSql(synthJson(stack));
    expect(pgReaderRole('rag')).toBe('pgvector_rag_read');
    // The readers' group, idempotent, with the schema's USAGE only (PostgreSQL 15+ gives PUBLIC no CREATE).
    expect(sql).toContain('DO $pgv$ BEGIN CREATE ROLE "pgvector_rag_read" NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $pgv$;');
    expect(sql).toContain('GRANT USAGE ON SCHEMA public TO "pgvector_rag_read";');
    for (const user of ['rag_api', 'ingest']) expect(sql).toContain(`GRANT "pgvector_rag_read" TO "${user}";`);
    // The writer: default privileges for its future tables and sequences, grants on those it has.
    const writer = sql.slice(sql.indexOf('as ingest'));
    expect(writer).toContain(`EXECUTE format('GRANT %I TO CURRENT_USER', 'ingest');`);
    expect(writer).toContain(
      `EXECUTE format('ALTER DEFAULT PRIVILEGES FOR ROLE %I IN SCHEMA public GRANT SELECT ON TABLES TO %I', 'ingest', 'pgvector_rag_read');`,
    );
    expect(writer).toContain(
      `EXECUTE format('ALTER DEFAULT PRIVILEGES FOR ROLE %I IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO %I', 'ingest', 'pgvector_rag_read');`,
    );
    expect(writer).toContain(`EXECUTE format('GRANT SELECT ON TABLE %s TO %I', rel.name, 'pgvector_rag_read');`);
    expect(writer).toMatch(/EXCEPTION WHEN insufficient_privilege THEN\n\s+RAISE WARNING/);
    expect(writer).not.toContain('REVOKE CREATE');
    // The reader: no CREATE in public, no default privileges of its own.
    const reader = sql.slice(sql.indexOf('as rag_api'), sql.indexOf('as ingest'));
    expect(reader).toContain('REVOKE CREATE ON SCHEMA public FROM "rag_api";');
    expect(reader).not.toContain('ALTER DEFAULT PRIVILEGES');
  });

  test('an identity granted to read and then to write is a writer', () => {
    const { stack, cluster: c, binding } = bound('aws', VectorStore.pgvector());
    const w = workload(c, stack, 'Ingest', 'ingest');
    binding.grantAccess(w);
    binding.grantAccess(w, true);
    const sql = bootstrapSql(synthJson(stack));
    expect(sql.match(/-- test\/Ingest as ingest/g)).toHaveLength(1);
    expect(sql).toContain("ALTER DEFAULT PRIVILEGES FOR ROLE %I IN SCHEMA public GRANT SELECT ON TABLES TO %I', 'ingest'");
    expect(sql).not.toContain('REVOKE CREATE ON SCHEMA public FROM "ingest";');
  });

  test('a new grant renames (so reruns) the job', () => {
    const names = [0, 1].map((grants) => {
      const { stack, cluster: c, binding } = bound('aws', VectorStore.pgvector());
      if (grants) binding.grantAccess(workload(c, stack, 'RagApi', 'rag-api'));
      return job(synthJson(stack)).metadata.name;
    });
    expect(names[0]).not.toBe(names[1]);
  });

  test('no password anywhere: the job reads the master secret at run time into a memory volume', () => {
    const { stack, cluster: c, binding } = bound('aws', VectorStore.pgvector());
    binding.grantAccess(workload(c, stack, 'RagApi', 'rag-api'));
    const doc = synthJson(stack);
    const text = JSON.stringify(doc);
    expect(only(doc, 'aws_db_instance').password).toBeUndefined();
    expect(text).not.toMatch(/"PGPASSWORD"/);
    expect(text).not.toMatch(/password"?\s*[:=]\s*\\?"[A-Za-z0-9]/i);

    const spec = pod(doc);
    const init = spec.init_container[0];
    expect(init.image).toMatch(/^public\.ecr\.aws\/aws-cli\/aws-cli:\d+\.\d+\.\d+$/);
    expect(env(init).MASTER_SECRET_ID).toMatch(/^\$\{aws_db_instance\.\w+\.master_user_secret\[0\]\.secret_arn\}$/);
    expect(spec.volume.find((v: any) => v.name === 'credentials').empty_dir.medium).toBe('Memory');
    expect(env(spec.container[0])).toMatchObject({ PGUSER: 'dbadmin', PGSSLMODE: 'require', PGDATABASE: 'rag' });
  });

  test("the job's identity may read the master secret and decrypt it through Secrets Manager, nothing else", () => {
    const { stack } = bound('aws', VectorStore.pgvector());
    const doc = synthJson(stack);
    const policy = resourceNamed(doc, 'aws_iam_role_policy', 'PgvectorBootstrap');
    const statements = JSON.parse(policy.policy).Statement;
    expect(statements).toEqual([
      expect.objectContaining({
        Effect: 'Allow',
        Action: ['secretsmanager:GetSecretValue'],
        Resource: [expect.stringMatching(/^\$\{aws_db_instance\.\w+\.master_user_secret\[0\]\.secret_arn\}$/)],
      }),
      expect.objectContaining({
        Action: ['kms:Decrypt'],
        Resource: [expect.stringMatching(/^\$\{aws_kms_key\.\w+\.arn\}$/)],
        Condition: { StringEquals: { 'kms:ViaService': [expect.stringMatching(/^secretsmanager\..+\.amazonaws\.com$/)] } },
      }),
    ]);
    const association = resourceNamed(doc, 'aws_eks_pod_identity_association', 'PgvectorBootstrap');
    expect(association).toMatchObject({ namespace: 'rag', service_account: 'pgvector-bootstrap' });
  });

  test("the pod passes the 'restricted' Pod Security level and runs on the system pool", () => {
    const { stack, cluster: c } = bound('aws', VectorStore.pgvector());
    const doc = synthJson(stack);
    const spec = pod(doc);
    expect(spec.security_context).toMatchObject({ run_as_non_root: true, seccomp_profile: { type: 'RuntimeDefault' } });
    for (const container of [...spec.init_container, ...spec.container]) {
      expect(container.security_context).toMatchObject({
        allow_privilege_escalation: false,
        run_as_non_root: true,
        capabilities: { drop: ['ALL'] },
        read_only_root_filesystem: true,
      });
    }
    expect(spec.node_selector).toEqual(c.systemNodeSelector);
    expect(spec.automount_service_account_token).toBe(false);
    expect(only(doc, 'kubernetes_service_account_v1').metadata).toMatchObject({ name: 'pgvector-bootstrap', namespace: 'rag' });
    expect(VectorStore.pgvector().podSecurity).toBe(PodSecurityLevel.RESTRICTED);
  });

  test('two workloads with the same service account name are reported', () => {
    const { stack, cluster: c, binding } = bound('aws', VectorStore.pgvector());
    binding.grantAccess(workload(c, stack, 'A', 'api'));
    const other = new Construct(stack, 'Other');
    binding.grantAccess(c.bindServiceAccount(other, 'B', { namespace: 'team', serviceAccountName: 'api' }));
    expect(problemLines(stack)).toEqual([
      expect.stringMatching(
        /^test\/Store\/Bootstrap: grantAccess identity test\/Other\/B logs in as 'api' like test\/A; .*distinct service account names$/,
      ),
    ]);
  });

  test('role names follow the service account name', () => {
    expect(pgRoleName('rag-api')).toBe('rag_api');
    expect(pgRoleName('9lives')).toBe('_9lives');
    expect(pgRoleName('a'.repeat(70))).toHaveLength(63);
  });
});

describe('VectorStore.pgvector on Azure', () => {
  test("the job's identity is a second Entra administrator, added after the server's other operations", () => {
    const { stack } = bound('azure', VectorStore.pgvector());
    const doc = synthJson(stack);
    const admins = resources(doc, 'azurerm_postgresql_flexible_server_active_directory_administrator');
    expect(Object.keys(admins)).toHaveLength(2);
    const [name, admin] = Object.entries(admins).find(([, a]: [string, any]) => a.principal_name !== 'terraform-deployer') as [string, any];
    expect(admin).toMatchObject({
      principal_name: expect.stringMatching(/^\$\{azurerm_user_assigned_identity\.[\w-]*PgvectorBootstrap[\w-]*\.name\}$/),
      principal_type: 'ServicePrincipal',
      object_id: expect.stringMatching(/^\$\{azurerm_user_assigned_identity\.[\w-]*PgvectorBootstrap[\w-]*\.principal_id\}$/),
    });
    const deployer = Object.keys(admins).find((n) => n !== name);
    expect(admin.depends_on).toEqual(
      expect.arrayContaining([
        `azurerm_postgresql_flexible_server_active_directory_administrator.${deployer}`,
        expect.stringMatching(/^azurerm_postgresql_flexible_server_configuration\./),
        expect.stringMatching(/^azurerm_private_endpoint\./),
      ]),
    );
  });

  test('the job logs in with an Entra token from its workload identity, and creates Entra logins in postgres', () => {
    const { stack, cluster: c, binding } = bound('azure', VectorStore.pgvector());
    const login = binding.grantAccess(workload(c, stack, 'RagApi', 'rag-api'));
    const doc = synthJson(stack);
    expect(login).toMatchObject({ user: 'rag_api', authentication: 'entra' });
    const spec = pod(doc);
    expect(job(doc).spec.template.metadata.labels).toMatchObject({ 'azure.workload.identity/use': 'true' });
    expect(spec.init_container[0].image).toMatch(/^mcr\.microsoft\.com\/azure-cli:\d+\.\d+\.\d+$/);
    expect(spec.init_container[0].command.join(' ')).toContain('--resource-type oss-rdbms');
    expect(env(spec.container[0])).toMatchObject({
      PGUSER: expect.stringMatching(/^\$\{azurerm_user_assigned_identity\.[\w-]*PgvectorBootstrap[\w-]*\.name\}$/),
      PGSSLMODE: 'require',
    });
    expect(only(doc, 'kubernetes_service_account_v1').metadata.annotations).toEqual({
      'azure.workload.identity/client-id': expect.stringMatching(/^\$\{azurerm_user_assigned_identity\.[\w-]+\.client_id\}$/),
    });
    const sql = bootstrapSql(doc);
    expect(sql).toMatch(
      /\\connect "postgres"\n\\if :role_missing_0\nSELECT \* FROM pgaadauth_create_principal_with_oid\('rag_api', '\$\{azurerm_user_assigned_identity\.\w+\.principal_id\}', 'service', false, false\);\n\\else\n.*\n\\set ON_ERROR_STOP 0\nSECURITY LABEL FOR "pgaadauth" ON ROLE "rag_api" IS 'aadauth,oid=\$\{azurerm_user_assigned_identity\.\w+\.principal_id\},type=service';\n\\set ON_ERROR_STOP 1\n\\endif\n\\connect "rag"\nGRANT CONNECT ON DATABASE "rag" TO "rag_api";/,
    );
    expect(JSON.stringify(doc)).not.toMatch(/administrator_password/);
    // Back in the app's database for the readers' group and the reader's grants.
    expect(sql).toMatch(
      /GRANT CONNECT ON DATABASE "rag" TO "rag_api";[\s\S]*\\connect "rag"\nGRANT "pgvector_rag_read" TO "rag_api";\nREVOKE CREATE ON SCHEMA public FROM "rag_api";/,
    );
  });
});

const inCluster: { kind: string; make: (o?: InClusterVectorStoreOptions) => VectorStore; port: number; chart: string; version: string }[] =
  [
    { kind: 'qdrant', make: VectorStore.qdrant, port: 6333, chart: 'qdrant', version: VectorStoreCharts.QDRANT.version },
    { kind: 'milvus', make: VectorStore.milvus, port: 19530, chart: 'milvus', version: VectorStoreCharts.MILVUS.version },
    { kind: 'weaviate', make: VectorStore.weaviate, port: 80, chart: 'weaviate', version: VectorStoreCharts.WEAVIATE.version },
  ];

describe.each(inCluster)('VectorStore.$kind', ({ kind, make, port, chart, version }) => {
  test('a pinned release in the RAG namespace, after the namespace and the credentials secret', () => {
    const { stack, binding } = bound('aws', make());
    const doc = synthJson(stack);
    const release = only(doc, 'helm_release');
    expect(release).toMatchObject({ chart, version, name: kind, namespace: 'rag', create_namespace: false });
    const secretName = Object.keys(resources(doc, 'kubernetes_secret_v1')).find((n) => n.startsWith('Store_'));
    expect(release.depends_on).toEqual(
      expect.arrayContaining([`kubernetes_secret_v1.${secretName}`, expect.stringMatching(/^kubernetes_namespace_v1\./)]),
    );
    expect(binding).toMatchObject({
      kind,
      host: `${kind}.rag.svc.cluster.local`,
      port,
      apiKeySecret: { namespace: 'rag', name: `${kind}-credentials` },
    });
    expect(binding.exposedPorts.length).toBeGreaterThan(0);
  });

  test('the key is generated at apply time into a secret and never written into the values', () => {
    const { stack, cluster: c, binding } = bound('aws', make());
    const login = binding.grantAccess(workload(c, stack, 'RagApi', 'rag-api'), true);
    const doc = synthJson(stack);
    const secret = resourceNamed(doc, 'kubernetes_secret_v1', 'Store_Credentials_');
    expect(secret.metadata).toMatchObject({ name: `${kind}-credentials`, namespace: 'rag' });
    expect(secret.data[binding.apiKeySecret!.key]).toMatch(/^\$\{replace\(join\("", \[uuid\(\), uuid\(\)\]\), "-", ""\)\}$/);
    expect(secret.lifecycle).toEqual({ ignore_changes: ['data'] });
    const v = values(doc);
    expect(v).not.toMatch(/uuid|minioadmin|\$\{/);
    // Weaviate reads its key list from the secret built of the admin and read-only keys.
    expect(v).toContain(kind === 'weaviate' ? 'weaviate-api-keys' : `${kind}-credentials`);
    expect(login).toMatchObject({
      authentication: 'api-key',
      passwordSecret: binding.apiKeySecret,
      user: kind === 'milvus' ? 'root' : 'api-key',
    });
  });

  test('persistence on the cluster storage class, sized by storageGib', () => {
    const { stack, cluster: c } = bound('aws', make({ storageGib: 120 }));
    const v = values(synthJson(stack));
    expect(v).toContain(c.storageClassName);
    expect(v).toContain('size: "120Gi"');
  });

  test('pods on the system pool, with its tolerations', () => {
    const { stack, cluster: c } = bound('azure', make());
    const v = values(synthJson(stack));
    expect(c.systemTolerations.length).toBeGreaterThan(0);
    const [key, value] = Object.entries(c.systemNodeSelector)[0];
    const selector = `nodeSelector:\n  ${key}: ${value}\ntolerations:\n  - key: CriticalAddonsOnly\n    operator: Exists\n`;
    expect(v).toContain(selector);
    if (kind === 'milvus') {
      // The bundled MinIO and etcd (and MinIO's hook jobs) carry their own placement.
      const indented = selector.replace(/^/gm, '  ').replace(/ +$/, '');
      expect(v).toMatch(new RegExp(`\nminio:\n(  .*\n)*${escape(indented)}`));
      expect(v).toMatch(new RegExp(`\netcd:\n(  .*\n)*${escape(indented)}`));
    }
  });

  test('storageGib and replicas are checked', () => {
    const { stack } = bound('aws', make({ storageGib: 0, replicas: 1.5 }));
    expect(problemLines(stack)).toEqual([
      'test/Store: storageGib 0 is not a whole number of GiB from 1 to 16384; use e.g. 50',
      'test/Store: replicas 1.5 is not a whole number of at least 1; use e.g. 1',
    ]);
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

describe('per-workload keys: readers get the read-only key, never the admin key', () => {
  const readers = [
    { kind: 'qdrant', make: VectorStore.qdrant, readUser: 'read-only-api-key', adminKey: 'api-key' },
    { kind: 'weaviate', make: VectorStore.weaviate, readUser: 'api-key-read-only', adminKey: 'AUTHENTICATION_APIKEY_ALLOWED_KEYS' },
  ];

  test.each(readers)(
    '$kind: a reader logs in with the read-only secret, a writer with the admin one',
    ({ kind, make, readUser, adminKey }) => {
      const { stack, cluster: c, binding } = bound('aws', make());
      const reader = binding.grantAccess(workload(c, stack, 'Query', 'query'));
      const writer = binding.grantAccess(workload(c, stack, 'Ingest', 'ingest'), true);
      expect(reader).toMatchObject({
        user: readUser,
        passwordSecret: { namespace: 'rag', name: `${kind}-read-credentials`, key: 'api-key' },
      });
      expect(writer).toMatchObject({ user: 'api-key', passwordSecret: { namespace: 'rag', name: `${kind}-credentials`, key: adminKey } });
      expect(binding.readOnlyKeySecret).toEqual(reader.passwordSecret);
      const doc = synthJson(stack);
      // Its own generated secret (a new resource on upgrade: the admin secret ignores changes to its data).
      const read = resourceNamed(doc, 'kubernetes_secret_v1', 'Store_ReadCredentials_');
      expect(read.metadata).toMatchObject({ name: `${kind}-read-credentials`, namespace: 'rag' });
      expect(read.data).toEqual({ 'api-key': expect.stringMatching(/^\$\{replace\(join\("", \[uuid\(\), uuid\(\)\]\), "-", ""\)\}$/) });
      expect(read.lifecycle).toEqual({ ignore_changes: ['data'] });
      // The release waits for every secret it reads at install.
      const deps = only(doc, 'helm_release').depends_on as string[];
      for (const name of Object.keys(resources(doc, 'kubernetes_secret_v1'))) expect(deps).toContain(`kubernetes_secret_v1.${name}`);
    },
  );

  test('qdrant: the read-only key reaches service.read_only_api_key by reference', () => {
    const v = values(synthJson(bound('aws', VectorStore.qdrant()).stack));
    expect(v).toContain('readOnlyApiKey:\n  valueFrom:\n    secretKeyRef:\n      name: qdrant-read-credentials\n      key: api-key\n');
  });

  test('weaviate: two keys for two users, the second read-only through the admin list', () => {
    const { stack } = bound('aws', VectorStore.weaviate());
    const doc = synthJson(stack);
    const v = values(doc);
    expect(v).toContain('AUTHENTICATION_APIKEY_USERS: "api-key,api-key-read-only"\n');
    expect(v).toContain('AUTHORIZATION_ADMINLIST_ENABLED: "true"\n');
    expect(v).toContain('AUTHORIZATION_ADMINLIST_USERS: api-key\n');
    expect(v).toContain('AUTHORIZATION_ADMINLIST_READONLY_USERS: api-key-read-only\n');
    // The server's key list: admin key then read-only key, both by reference, in the order of the users.
    const keys = resourceNamed(doc, 'kubernetes_secret_v1', 'Store_ServerKeys_');
    expect(keys.metadata.name).toBe('weaviate-api-keys');
    expect(keys.data.AUTHENTICATION_APIKEY_ALLOWED_KEYS).toMatch(
      /^\$\{join\(",", \[kubernetes_secret_v1\.Store_Credentials_\w+\.data\.AUTHENTICATION_APIKEY_ALLOWED_KEYS, kubernetes_secret_v1\.Store_ReadCredentials_\w+\.data\["api-key"\]\]\)\}$/,
    );
    expect(keys.lifecycle).toBeUndefined();
  });

  test('milvus has no read-only key: every login is root, and a query grant says so at synth', () => {
    const { stack, cluster: c, binding } = bound('aws', VectorStore.milvus());
    expect(binding.readOnlyKeySecret).toBeUndefined();
    binding.grantAccess(workload(c, stack, 'Ingest', 'ingest'), true);
    expect(warnings(stack)).toEqual([]);
    expect(binding.grantAccess(workload(c, stack, 'Query', 'query'))).toMatchObject({ user: 'root', passwordSecret: binding.apiKeySecret });
    expect(warnings(stack)).toEqual([
      'milvus has no read-only login here: the query grant of test/Query gets the root credential, which may also write and delete; use VectorStore.qdrant(), weaviate() or pgvector() where apps only query',
    ]);
  });
});

describe('authentication, as the conformance rule vectordb-auth reads it', () => {
  test('qdrant: apiKey read from the secret by reference', () => {
    const v = values(synthJson(bound('aws', VectorStore.qdrant()).stack));
    expect(v).toContain('apiKey:\n  valueFrom:\n    secretKeyRef:\n      name: qdrant-credentials\n      key: api-key\n');
    expect(v).toContain('useUnprivilegedImage: true');
  });

  test('weaviate: anonymous access off, API keys from the secret through the environment, ClusterIP services', () => {
    const v = values(synthJson(bound('aws', VectorStore.weaviate()).stack));
    expect(v).toContain('authentication:\n  anonymous_access:\n    enabled: false\n');
    expect(v).toContain('AUTHENTICATION_APIKEY_ENABLED: "true"');
    expect(v).toContain('envSecrets:\n  AUTHENTICATION_APIKEY_ALLOWED_KEYS: weaviate-api-keys\n');
    expect(v).toContain('sysctlInitContainer:\n    enabled: false');
    expect(v).toContain('service:\n  type: ClusterIP\ngrpcService:\n  type: ClusterIP\n');
    expect(v).toContain('capabilities:\n    drop:\n      - ALL');
  });

  test('milvus: authorization on, root password and MinIO keys from the secret, standalone without Pulsar', () => {
    const { stack } = bound('aws', VectorStore.milvus());
    const doc = synthJson(stack);
    const v = values(doc);
    expect(v).toContain('cluster:\n  enabled: false\n');
    expect(v).toContain('pulsarv3:\n  enabled: false\n');
    expect(v).toContain('authorizationEnabled: true');
    expect(v).toContain(
      '- name: COMMON_SECURITY_DEFAULTROOTPASSWORD\n      valueFrom:\n        secretKeyRef:\n          name: milvus-credentials\n          key: root-password',
    );
    expect(v).toContain(
      '- name: MINIO_SECRET_ACCESS_KEY\n      valueFrom:\n        secretKeyRef:\n          name: milvus-credentials\n          key: secretkey',
    );
    expect(v).toMatch(/\nminio:\n  mode: standalone\n  existingSecret: milvus-credentials\n  accessKey: milvus\n  secretKey: ""\n/);
    expect(Object.keys(only(doc, 'kubernetes_secret_v1').data).sort()).toEqual(['accesskey', 'root-password', 'secretkey']);
  });

  test('milvus runs one replica only', () => {
    const { stack } = bound('aws', VectorStore.milvus({ replicas: 2 }));
    expect(problemLines(stack)).toEqual([
      'test/Store: replicas 2 is not possible for Milvus standalone, which runs one replica; leave replicas unset',
    ]);
  });

  test('Pod Security levels the stores pass', () => {
    expect(VectorStore.qdrant().podSecurity).toBe(PodSecurityLevel.BASELINE);
    expect(VectorStore.milvus().podSecurity).toBe(PodSecurityLevel.BASELINE);
    expect(VectorStore.weaviate().podSecurity).toBe(PodSecurityLevel.RESTRICTED);
  });

  test('ServiceMonitors are off unless asked for', () => {
    expect(values(synthJson(bound('aws', VectorStore.qdrant()).stack))).toContain('serviceMonitor:\n    enabled: false');
    const v = values(synthJson(bound('aws', VectorStore.weaviate({ serviceMonitor: true })).stack));
    expect(v).toContain('PROMETHEUS_MONITORING_ENABLED: true');
    expect(v).toContain('serviceMonitor:\n  enabled: true');
  });
});
