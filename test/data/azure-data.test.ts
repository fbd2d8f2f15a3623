import { AzurermProvider } from '@cdktf/provider-azurerm/lib/provider';
import { HelmProvider } from '@cdktf/provider-helm/lib/provider';
import { NamespaceV1 } from '@cdktf/provider-kubernetes/lib/namespace-v1';
import { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import { ITerraformDependable, TerraformOutput, TerraformStack, TerraformVariable, Testing } from 'cdktf';
import { Construct } from 'constructs';
import { AzureDataServices, AzureDataServicesProps } from '../../lib/azure/data';
import { FederatedWorkloadIdentity } from '../../lib/azure/workload-identity';
import { CloudProvider, IWorkloadIdentity } from '../../lib/core/cluster';
import { RemovalPolicy } from '../../lib/core/data-services';
import { Duration } from '../../lib/core/duration';
import { problemLines, resourceNamed, resources, synthJson } from '../helpers';

const VNET = '/subscriptions/0/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v';
const SUBNET = '/subscriptions/0/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/nodes';

interface Env {
  stack: TerraformStack;
  data: AzureDataServices;
  identity: FederatedWorkloadIdentity;
  kubernetes: KubernetesProvider;
}

/** A stack as users write it (azurerm with the storage data plane off, Kubernetes and Helm providers). */
function env(
  overrides: Partial<AzureDataServicesProps> | ((stack: TerraformStack) => Partial<AzureDataServicesProps>) = {},
  addonDependencies: () => ITerraformDependable[] = () => [],
): Env {
  const stack = new TerraformStack(Testing.app(), 'test');
  new AzurermProvider(stack, 'azurerm', { features: [{ storage: [{ dataPlaneAvailable: false }] }] });
  const kubernetes = new KubernetesProvider(stack, 'kubernetes', {});
  const helm = new HelmProvider(stack, 'helm', {});
  const data = new AzureDataServices({
    clusterName: 'ai',
    location: 'eastus2',
    resourceGroupName: 'rg',
    network: { networkId: VNET, privateSubnetIds: [SUBNET] },
    tags: { team: 'ml' },
    cluster: { providers: () => ({ kubernetes, helm }), addonDependencies },
    ...(typeof overrides === 'function' ? overrides(stack) : overrides),
  });
  const identity = new FederatedWorkloadIdentity(stack, 'Rag', {
    identityName: 'rag',
    resourceGroupName: 'rg',
    location: 'eastus2',
    oidcIssuerUrl: 'https://eastus2.oic.prod-aks.azure.com/0/1/',
    namespace: 'rag',
    serviceAccountName: 'rag',
    tags: {},
  });
  return { stack, data, identity, kubernetes };
}

/** What Terraform sees of a value (an attribute reference for a token), through an output. */
function resolved(stack: TerraformStack, value: unknown): any {
  const id = `probe${stack.node.children.length}`;
  new TerraformOutput(stack, id, { value });
  return JSON.parse(Testing.synth(stack)).output[id].value;
}

/** The one resource of `type` whose name contains `part`, from a synthesized stack. */
const one = (doc: any, type: string, part: string) => resourceNamed(doc, type, part);

/** An identity of another cloud (EKS Pod Identity), as the Azure services must refuse it. */
function awsIdentity(scope: Construct): IWorkloadIdentity {
  const c = new Construct(scope, 'AwsIdentity');
  return Object.assign(c, {
    cloudProvider: CloudProvider.AWS,
    namespace: 'rag',
    serviceAccountName: 'rag',
    principal: 'arn:aws:iam::111122223333:role/rag',
    serviceAccountAnnotations: {},
    podLabels: {},
    dependables: [],
  });
}

describe('object store', () => {
  test('a private, Entra-only, versioned, soft-deleted and retained storage account with one container', () => {
    const { stack, data } = env();
    const store = data.objectStore(new Construct(stack, 'Docs'), {});
    const doc = synthJson(stack);
    const account = one(doc, 'azurerm_storage_account', 'Docs');
    expect(account).toMatchObject({
      account_kind: 'StorageV2',
      account_tier: 'Standard',
      account_replication_type: 'ZRS',
      https_traffic_only_enabled: true,
      min_tls_version: 'TLS1_2',
      shared_access_key_enabled: false,
      allow_nested_items_to_be_public: false,
      public_network_access_enabled: false,
      default_to_oauth_authentication: true,
      infrastructure_encryption_enabled: true,
      blob_properties: {
        versioning_enabled: true,
        delete_retention_policy: { days: 14 },
        container_delete_retention_policy: { days: 14 },
      },
      lifecycle: { prevent_destroy: true },
      tags: { team: 'ml' },
    });
    expect(account.name).toMatch(/^[a-z0-9]{3,24}$/);
    expect(account.tags.throwaway).toBeUndefined();
    const container = one(doc, 'azurerm_storage_container', 'Docs');
    // storage_account_id: created through Resource Manager, which works with shared keys and public access off.
    expect(container).toMatchObject({ name: 'ai-docs', container_access_type: 'private', lifecycle: { prevent_destroy: true } });
    expect(container.storage_account_id).toMatch(/^\$\{azurerm_storage_account\.Docs_Account_\w+\.id\}$/);
    expect(container.storage_account_name).toBeUndefined();
    const policy = one(doc, 'azurerm_storage_management_policy', 'Docs');
    expect(policy.rule[0]).toMatchObject({
      enabled: true,
      filters: { blob_types: ['blockBlob'] },
      actions: { version: { delete_after_days_since_creation: 30 } },
    });
    expect(store.bucketName).toBe('ai-docs');
    expect(store.url).toBe(`https://${account.name}.blob.core.windows.net/ai-docs`);
  });

  test('name and noncurrent version retention are taken as given', () => {
    const { stack, data } = env();
    const store = data.objectStore(new Construct(stack, 'Docs'), { name: 'rag-documents', noncurrentVersionRetention: Duration.days(90) });
    const doc = synthJson(stack);
    expect(one(doc, 'azurerm_storage_container', 'Docs').name).toBe('rag-documents');
    expect(one(doc, 'azurerm_storage_account', 'Docs').name).toMatch(/^ragdocuments[0-9a-f]{8}$/);
    expect(one(doc, 'azurerm_storage_management_policy', 'Docs').rule[0].actions.version.delete_after_days_since_creation).toBe(90);
    expect(store.bucketName).toBe('rag-documents');
  });

  test('a private endpoint for blob in the node subnet, with the privatelink zone linked to the VNet', () => {
    const { stack, data } = env();
    data.objectStore(new Construct(stack, 'Docs'), {});
    const doc = synthJson(stack);
    const pe = one(doc, 'azurerm_private_endpoint', 'Docs');
    expect(pe.subnet_id).toBe(SUBNET);
    expect(pe.private_service_connection).toMatchObject({ is_manual_connection: false, subresource_names: ['blob'] });
    expect(pe.private_service_connection.private_connection_resource_id).toMatch(/azurerm_storage_account\.Docs_Account_\w+\.id/);
    expect(pe.private_dns_zone_group.private_dns_zone_ids).toEqual([expect.stringMatching(/azurerm_private_dns_zone\.\w*Blob\w*\.id/)]);
    const zone = Object.values(resources(doc, 'azurerm_private_dns_zone'));
    expect(zone).toEqual([expect.objectContaining({ name: 'privatelink.blob.core.windows.net', resource_group_name: 'rg' })]);
    const link = Object.values(resources(doc, 'azurerm_private_dns_zone_virtual_network_link'));
    expect(link).toEqual([expect.objectContaining({ virtual_network_id: VNET, registration_enabled: false })]);
  });

  test('two stores share one DNS zone and one VNet link', () => {
    const { stack, data } = env();
    const a = data.objectStore(new Construct(stack, 'Docs'), {});
    const b = data.objectStore(new Construct(stack, 'Models'), {});
    const doc = synthJson(stack);
    expect(Object.keys(resources(doc, 'azurerm_private_dns_zone'))).toHaveLength(1);
    expect(Object.keys(resources(doc, 'azurerm_private_dns_zone_virtual_network_link'))).toHaveLength(1);
    expect(Object.keys(resources(doc, 'azurerm_private_endpoint'))).toHaveLength(2);
    const names = Object.values(resources(doc, 'azurerm_storage_account')).map((x: any) => x.name);
    expect(new Set(names).size).toBe(2);
    expect(a.url).not.toBe(b.url);
  });

  test('grants are RBAC roles on the container for the managed identity', () => {
    const { stack, data, identity } = env();
    const store = data.objectStore(new Construct(stack, 'Docs'), {});
    store.grantRead(identity);
    store.grantReadWrite(identity);
    const doc = synthJson(stack);
    const grants = Object.values(resources(doc, 'azurerm_role_assignment')) as any[];
    expect(grants.map((g) => g.role_definition_name).sort()).toEqual(['Storage Blob Data Contributor', 'Storage Blob Data Reader']);
    for (const g of grants) {
      expect(g.scope).toMatch(/^\$\{azurerm_storage_container\.Docs_Container_\w+\.id\}$/);
      expect(g.principal_id).toMatch(/azurerm_user_assigned_identity\.Rag_Identity_\w+\.principal_id/);
    }
    expect(identity.dependables).toHaveLength(3);
  });
});

describe('PostgreSQL', () => {
  test('Entra-only, private, TLS-only, backed up and retained, with pgvector allowed', () => {
    const { stack, data } = env();
    const db = data.postgres(new Construct(stack, 'Db'), {});
    const doc = synthJson(stack);
    const server = one(doc, 'azurerm_postgresql_flexible_server', 'Db');
    expect(server).toMatchObject({
      version: '17',
      sku_name: 'GP_Standard_D4ds_v5',
      storage_mb: 131072,
      auto_grow_enabled: true,
      public_network_access_enabled: false,
      authentication: { active_directory_auth_enabled: true, password_auth_enabled: false },
      backup_retention_days: 7,
      geo_redundant_backup_enabled: false,
      lifecycle: { prevent_destroy: true, ignore_changes: ['zone', 'storage_mb', 'storage_tier'] },
    });
    expect(server.authentication.tenant_id).toMatch(/data\.azurerm_client_config\.\w+\.tenant_id/);
    expect(server.administrator_login).toBeUndefined();
    expect(server.administrator_password).toBeUndefined();
    expect(server.high_availability).toBeUndefined();
    expect(server.zone).toBeUndefined();
    expect(server.name).toMatch(/^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/);
    const configs = Object.values(resources(doc, 'azurerm_postgresql_flexible_server_configuration')) as any[];
    expect(configs.map((c) => [c.name, c.value]).sort()).toEqual([
      ['azure.extensions', 'VECTOR'],
      ['require_secure_transport', 'on'],
    ]);
    expect(one(doc, 'azurerm_postgresql_flexible_server_database', 'Db')).toMatchObject({
      name: 'app',
      charset: 'UTF8',
      collation: 'en_US.utf8',
      lifecycle: { prevent_destroy: true },
    });
    expect(one(doc, 'azurerm_postgresql_flexible_server_active_directory_administrator', 'Db')).toMatchObject({
      // A user signed in with the Azure CLI is a User; pipelines, managed and workload identities are service principals.
      principal_type: expect.stringMatching(
        /^\$\{\(data\.azurerm_client_config\.\w+\.client_id == "04b07795-8ddb-461a-bbee-02f9e1bf7b46"\) \? "User" : "ServicePrincipal"\}$/,
      ),
      object_id: expect.stringMatching(/data\.azurerm_client_config\.\w+\.object_id/),
    });
    const pe = one(doc, 'azurerm_private_endpoint', 'Db');
    expect(pe.private_service_connection.subresource_names).toEqual(['postgresqlServer']);
    expect(pe.private_dns_zone_group.private_dns_zone_ids).toHaveLength(1);
    expect(Object.values(resources(doc, 'azurerm_private_dns_zone'))).toEqual([
      expect.objectContaining({ name: 'privatelink.postgres.database.azure.com' }),
    ]);
    expect(resolved(stack, db.host)).toMatch(/azurerm_postgresql_flexible_server\.Db_Server_\w+\.fqdn/);
    expect(db.port).toBe(5432);
    expect(db.databaseName).toBe('app');
    expect(db.engineVersion).toBe('17');
  });

  test('options: version, SKU, storage, backups, zone-redundant HA (with its zones ignored)', () => {
    const { stack, data } = env();
    data.postgres(new Construct(stack, 'Db'), {
      engineVersion: '16',
      instanceType: 'MO_Standard_E4ds_v5',
      storageGib: 512,
      backupRetention: Duration.days(35),
      highAvailability: true,
      databaseName: 'vectors',
    });
    const doc = synthJson(stack);
    expect(one(doc, 'azurerm_postgresql_flexible_server', 'Db')).toMatchObject({
      version: '16',
      sku_name: 'MO_Standard_E4ds_v5',
      storage_mb: 524288,
      backup_retention_days: 35,
      high_availability: { mode: 'ZoneRedundant' },
      lifecycle: { ignore_changes: ['zone', 'storage_mb', 'storage_tier', 'high_availability[0].standby_availability_zone'] },
    });
    expect(one(doc, 'azurerm_postgresql_flexible_server_database', 'Db').name).toBe('vectors');
  });

  test('grantConnect: an Entra login for the managed identity, created by setupSql', () => {
    const { stack, data, identity } = env();
    const db = data.postgres(new Construct(stack, 'Db'), {});
    const login = db.grantConnect(identity, 'rag');
    expect(login.user).toBe('rag');
    expect(login.authentication).toBe('entra');
    expect(login.passwordSecret).toBeUndefined();
    const sql = resolved(stack, login.setupSql) as string;
    expect(sql).toMatch(
      /^SELECT \* FROM pgaadauth_create_principal_with_oid\('rag', '\$\{azurerm_user_assigned_identity\.Rag_Identity_\w+\.principal_id\}', 'service', false, false\);$/m,
    );
    expect(sql).toMatch(/^GRANT CONNECT ON DATABASE "app" TO "rag";$/m);
    expect(sql).toMatch(/^CREATE EXTENSION IF NOT EXISTS vector;$/m);
    expect(login.dependables.length).toBeGreaterThan(0);
    expect(problemLines(stack)).toEqual([]);
  });
});

describe('Managed Redis', () => {
  test('TLS only, private, highly available, no eviction and retained', () => {
    const { stack, data } = env();
    const cache = data.cache(new Construct(stack, 'Cache'), {});
    const doc = synthJson(stack);
    expect(resources(doc, 'azurerm_redis_cache')).toEqual({});
    const redis = one(doc, 'azurerm_managed_redis', 'Cache');
    expect(redis).toMatchObject({
      sku_name: 'Balanced_B5',
      high_availability_enabled: true,
      public_network_access: 'Disabled',
      default_database: {
        client_protocol: 'Encrypted',
        access_keys_authentication_enabled: true,
        clustering_policy: 'EnterpriseCluster',
        eviction_policy: 'NoEviction',
      },
      lifecycle: { prevent_destroy: true },
    });
    expect(redis.name).toMatch(/^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/);
    expect(redis.name).not.toMatch(/--/);
    const pe = one(doc, 'azurerm_private_endpoint', 'Cache');
    expect(pe.private_service_connection.subresource_names).toEqual(['redisEnterprise']);
    expect(Object.values(resources(doc, 'azurerm_private_dns_zone'))).toEqual([
      expect.objectContaining({ name: 'privatelink.redis.azure.net' }),
    ]);
    expect(resolved(stack, cache.host)).toMatch(/azurerm_managed_redis\.Cache_Redis_\w+\.hostname/);
    expect(resolved(stack, cache.port)).toMatch(/default_database\[0\]\.port/);
  });

  test('grantReadWrite writes the access key (a reference, never a literal) into one secret per namespace', () => {
    const { stack, data, identity } = env();
    const cache = data.cache(new Construct(stack, 'Cache'), {});
    const first = cache.grantReadWrite(identity);
    const second = cache.grantReadWrite(identity, [identity.credential]);
    expect(first.passwordSecret).toEqual(second.passwordSecret);
    expect(first).toMatchObject({ user: 'default', authentication: 'access-key' });
    expect(first.passwordSecret).toMatchObject({ namespace: 'rag', key: 'password' });
    expect(first.passwordSecret!.name).toMatch(/-redis$/);
    const doc = synthJson(stack);
    const secrets = Object.values(resources(doc, 'kubernetes_secret_v1')) as any[];
    expect(secrets).toHaveLength(1);
    const [secret] = secrets;
    expect(secret.metadata).toEqual({ name: first.passwordSecret!.name, namespace: 'rag' });
    expect(secret.data.password).toMatch(/^\$\{azurerm_managed_redis\.Cache_Redis_\w+\.default_database\[0\]\.primary_access_key\}$/);
    expect(secret.provider).toBe('kubernetes');
    // The second grant's `after` joins the secret's dependencies instead of making a second secret.
    expect(secret.depends_on).toEqual([expect.stringMatching(/^azurerm_federated_identity_credential\.Rag_Credential_\w+$/)]);
    expect(first.dependables[0]).toBe(second.dependables[0]);
  });

  test('a secret per namespace, waiting for the add-on dependencies', () => {
    const gates: ITerraformDependable[] = [];
    const { stack, data, identity } = env({}, () => gates);
    gates.push(new NamespaceV1(stack, 'Ns', { metadata: { name: 'other' } }));
    const cache = data.cache(new Construct(stack, 'Cache'), {});
    const other = new FederatedWorkloadIdentity(stack, 'Other', {
      identityName: 'other',
      resourceGroupName: 'rg',
      location: 'eastus2',
      oidcIssuerUrl: 'https://issuer/',
      namespace: 'other',
      serviceAccountName: 'app',
      tags: {},
    });
    const a = cache.grantReadWrite(identity);
    const b = cache.grantReadWrite(other);
    expect(b.passwordSecret!.namespace).toBe('other');
    expect(b.passwordSecret!.name).toBe(a.passwordSecret!.name);
    const secrets = Object.values(resources(synthJson(stack), 'kubernetes_secret_v1')) as any[];
    expect(secrets.map((x) => x.metadata.namespace).sort()).toEqual(['other', 'rag']);
    for (const x of secrets) expect(x.depends_on).toEqual([expect.stringMatching(/^kubernetes_namespace_v1\.Ns$/)]);
  });
});

describe('RemovalPolicy.DESTROY: tagged throwaway, no prevent_destroy', () => {
  test.each([
    ['objectStore', 'azurerm_storage_account'],
    ['postgres', 'azurerm_postgresql_flexible_server'],
    ['cache', 'azurerm_managed_redis'],
  ] as const)('%s', (method, type) => {
    const { stack, data } = env();
    (data as any)[method](new Construct(stack, 'Svc'), { removalPolicy: RemovalPolicy.DESTROY });
    const doc = synthJson(stack);
    const r = one(doc, type, 'Svc');
    expect(r.tags).toEqual({ team: 'ml', throwaway: 'true' });
    expect(r.lifecycle?.prevent_destroy).toBeUndefined();
    for (const t of ['azurerm_storage_container', 'azurerm_postgresql_flexible_server_database']) {
      for (const x of Object.values(resources(doc, t)) as any[]) expect(x.lifecycle?.prevent_destroy).toBeUndefined();
    }
  });
});

describe('synth-time validation names the construct path, the prop, the value and the fix', () => {
  const build = (f: (e: Env) => void) => {
    const e = env();
    f(e);
    return () => synthJson(e.stack);
  };
  const scope = (e: Env, id = 'Svc') => new Construct(e.stack, id);

  test('an invalid container name', () => {
    expect(build((e) => e.data.objectStore(scope(e), { name: 'Docs--v1' }))).toThrow(
      /^test\/Svc: name 'Docs--v1' is not a valid Azure container name .*; rename it, e.g. 'docs-v1'$/m,
    );
  });

  test('noncurrent version retention in hours', () => {
    expect(build((e) => e.data.objectStore(scope(e), { noncurrentVersionRetention: Duration.hours(36) }))).toThrow(
      /^test\/Svc: noncurrentVersionRetention 36h is not a whole number of days of at least 1 .*; use e.g. Duration.days\(30\)$/m,
    );
  });

  test('a grant to an identity of another cloud', () => {
    expect(
      build((e) => {
        const s = e.data.objectStore(scope(e), {});
        s.grantRead(awsIdentity(e.stack));
      }),
    ).toThrow(
      /^test\/Svc: grantRead identity test\/AwsIdentity is not an Azure workload identity; bind the service account with cluster.bindServiceAccount on this AKS cluster$/m,
    );
    expect(build((e) => e.data.postgres(scope(e), {}).grantConnect(awsIdentity(e.stack), 'rag'))).toThrow(
      /^test\/Svc: grantConnect identity test\/AwsIdentity is not an Azure workload identity/m,
    );
    expect(build((e) => e.data.cache(scope(e), {}).grantReadWrite(awsIdentity(e.stack)))).toThrow(
      /^test\/Svc: grantReadWrite identity test\/AwsIdentity is not an Azure workload identity/m,
    );
  });

  test('a PostgreSQL version without HNSW, or one azurerm does not take', () => {
    expect(build((e) => e.data.postgres(scope(e), { engineVersion: '14' }))).toThrow(
      /^test\/Svc: engineVersion '14' is not one of 15, 16, 17 \(pgvector has HNSW indexes from PostgreSQL 15; .*\); use '17'$/m,
    );
    expect(build((e) => e.data.postgres(scope(e), { engineVersion: '18' }))).toThrow(
      /^test\/Svc: engineVersion '18' is not one of 15, 16, 17/m,
    );
  });

  test('a SKU that is not a Flexible Server SKU', () => {
    expect(build((e) => e.data.postgres(scope(e), { instanceType: 'db.r7g.large' }))).toThrow(
      /^test\/Svc: instanceType 'db.r7g.large' is not a Flexible Server SKU .*; use e.g. 'GP_Standard_D4ds_v5'$/m,
    );
  });

  test('high availability on the Burstable tier', () => {
    expect(build((e) => e.data.postgres(scope(e), { instanceType: 'B_Standard_B2s', highAvailability: true }))).toThrow(
      /^test\/Svc: highAvailability true is not offered on the Burstable tier \(instanceType 'B_Standard_B2s'\); use a GP_ or MO_ SKU/m,
    );
  });

  test('a storage size Azure does not offer', () => {
    expect(build((e) => e.data.postgres(scope(e), { storageGib: 100 }))).toThrow(
      /^test\/Svc: storageGib 100 is not a size Azure Database for PostgreSQL offers; use one of 32, 64, 128, 256, 512, 1024, 2048, 4095, 4096, 8192, 16384, 32767$/m,
    );
  });

  test('backup retention outside 7-35 days', () => {
    expect(build((e) => e.data.postgres(scope(e), { backupRetention: Duration.days(3) }))).toThrow(
      /^test\/Svc: backupRetention 3d is not 7 to 35 whole days; use e.g. Duration.days\(7\)$/m,
    );
    expect(build((e) => e.data.postgres(scope(e), { backupRetention: Duration.days(36) }))).toThrow(/backupRetention 36d is not 7 to 35/m);
  });

  test('a reserved or invalid database name', () => {
    expect(build((e) => e.data.postgres(scope(e), { databaseName: 'postgres' }))).toThrow(
      /^test\/Svc: databaseName 'postgres' is reserved by PostgreSQL or Azure; use e.g. 'app'$/m,
    );
    expect(build((e) => e.data.postgres(scope(e), { databaseName: '1st db' }))).toThrow(
      /^test\/Svc: databaseName '1st db' is not a valid/m,
    );
  });

  test('a login name that is not a plain role name', () => {
    expect(build((e) => e.data.postgres(scope(e), {}).grantConnect(e.identity, 'Rag User'))).toThrow(
      /^test\/Svc: grantConnect user 'Rag User' is not a PostgreSQL role name .*; use e.g. 'rag'$/m,
    );
  });

  test('a Managed Redis SKU of another service', () => {
    expect(build((e) => e.data.cache(scope(e), { instanceType: 'cache.r7g.large' }))).toThrow(
      /^test\/Svc: instanceType 'cache.r7g.large' is not an Azure Managed Redis SKU .*; use e.g. 'Balanced_B5'$/m,
    );
  });

  test('transit encryption off', () => {
    expect(build((e) => e.data.cache(scope(e), { transitEncryption: false }))).toThrow(
      /^test\/Svc: transitEncryption false would send keys in clear text; remove it: Azure Managed Redis is TLS only here$/m,
    );
  });

  test('no subnet for the private endpoint', () => {
    const e = env({ network: { networkId: VNET, privateSubnetIds: [] } });
    e.data.cache(new Construct(e.stack, 'Svc'), {});
    expect(() => synthJson(e.stack)).toThrow(/^test\/Svc: network.privateSubnetIds \[\] is empty/m);
  });

  test('every problem of a service at once', () => {
    const e = env();
    e.data.postgres(new Construct(e.stack, 'Svc'), { engineVersion: '13', storageGib: 100, backupRetention: Duration.days(1) });
    expect(problemLines(e.stack)).toHaveLength(3);
  });
});

describe('Terraform values known at apply time', () => {
  test('are not rejected, and derived names stay valid', () => {
    const e = env((stack) => ({
      clusterName: new TerraformVariable(stack, 'cluster', { type: 'string' }).stringValue,
      resourceGroupName: new TerraformVariable(stack, 'rg', { type: 'string' }).stringValue,
    }));
    const v = (name: string, type = 'string') => new TerraformVariable(e.stack, name, { type });
    const store = e.data.objectStore(new Construct(e.stack, 'Docs'), { name: v('container').stringValue });
    const db = e.data.postgres(new Construct(e.stack, 'Db'), {
      engineVersion: v('pgVersion').stringValue,
      instanceType: v('sku').stringValue,
      storageGib: v('gib', 'number').numberValue,
      databaseName: v('db').stringValue,
    });
    e.data.cache(new Construct(e.stack, 'Cache'), { instanceType: v('redisSku').stringValue });
    db.grantConnect(e.identity, v('user').stringValue);
    store.grantRead(e.identity);
    expect(problemLines(e.stack)).toEqual([]);
    const doc = synthJson(e.stack);
    expect(one(doc, 'azurerm_storage_account', 'Docs').name).toMatch(/^[a-z0-9]{3,24}$/);
    expect(one(doc, 'azurerm_postgresql_flexible_server', 'Db').name).toMatch(/^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/);
    expect(one(doc, 'azurerm_postgresql_flexible_server', 'Db').storage_mb).toMatch(/var\.gib/);
    expect(one(doc, 'azurerm_managed_redis', 'Cache').name).toMatch(/^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/);
    expect(one(doc, 'azurerm_storage_container', 'Docs').name).toBe('${var.container}');
  });

  test('a subnet list from Terraform is indexed by Terraform', () => {
    const e = env((stack) => ({
      network: { networkId: VNET, privateSubnetIds: new TerraformVariable(stack, 'subnets', { type: 'list(string)' }).listValue },
    }));
    e.data.cache(new Construct(e.stack, 'Cache'), {});
    expect(one(synthJson(e.stack), 'azurerm_private_endpoint', 'Cache').subnet_id).toBe('${element(var.subnets, 0)}');
  });
});

describe('determinism and provider wiring', () => {
  const build = () => {
    const { stack, data, identity } = env();
    data.objectStore(new Construct(stack, 'Docs'), {}).grantReadWrite(identity);
    data.postgres(new Construct(stack, 'Db'), {}).grantConnect(identity, 'rag');
    data.cache(new Construct(stack, 'Cache'), {}).grantReadWrite(identity);
    return Testing.synth(stack);
  };

  test('synth output is byte-identical across runs', () => {
    expect(build()).toBe(build());
  });

  test('refuses an azurerm provider that would read the private account through its data plane', () => {
    const app = Testing.app();
    const stack = new TerraformStack(app, 'test');
    new AzurermProvider(stack, 'azurerm', { features: [{}] });
    const data = new AzureDataServices({
      clusterName: 'ai',
      location: 'eastus2',
      resourceGroupName: 'rg',
      network: { networkId: VNET, privateSubnetIds: [SUBNET] },
      tags: {},
      cluster: {
        providers: () => {
          throw new Error('unused');
        },
        addonDependencies: () => [],
      },
    });
    data.objectStore(new Construct(stack, 'Docs'), {});
    data.objectStore(new Construct(stack, 'Models'), {});
    expect(problemLines(stack)).toEqual([
      'test/Docs: azurerm provider features.storage.dataPlaneAvailable (unset) makes azurerm read this private, Entra-only storage account through its data plane, which refuses it (403 on the first apply, the account left tainted); set features: [{ storage: [{ dataPlaneAvailable: false }] }] on the AzurermProvider',
    ]);
    const ok = env();
    ok.data.objectStore(new Construct(ok.stack, 'Docs'), {});
    expect(problemLines(ok.stack)).toEqual([]);
  });
});

describe('bring-your-own private DNS and database administrator', () => {
  test('zones a hub already links are used as they are: no zone or link is created', () => {
    const stack = new TerraformStack(Testing.app(), 'test');
    new AzurermProvider(stack, 'azurerm', { features: [{ storage: [{ dataPlaneAvailable: false }] }] });
    const kubernetes = new KubernetesProvider(stack, 'kubernetes', {});
    const helm = new HelmProvider(stack, 'helm', {});
    const hub = '/subscriptions/0/resourceGroups/hub/providers/Microsoft.Network/privateDnsZones';
    const data = new AzureDataServices({
      clusterName: 'ai',
      location: 'eastus2',
      resourceGroupName: 'rg',
      network: { networkId: VNET, privateSubnetIds: [SUBNET] },
      tags: {},
      cluster: { providers: () => ({ kubernetes, helm }), addonDependencies: () => [] },
      privateDnsZoneIds: { 'privatelink.blob.core.windows.net': `${hub}/privatelink.blob.core.windows.net` },
      databaseAdministrator: { objectId: '00000000-0000-0000-0000-000000000001', principalName: 'db-admins', principalType: 'Group' },
    });
    data.objectStore(new Construct(stack, 'Docs'), {});
    data.postgres(new Construct(stack, 'Db'), {});
    const doc = synthJson(stack);
    const zones = Object.values(resources(doc, 'azurerm_private_dns_zone')).map((z: any) => z.name);
    expect(zones).toEqual(['privatelink.postgres.database.azure.com']);
    const blob = Object.values(resources(doc, 'azurerm_private_endpoint')).find(
      (e: any) => e.name.endsWith('-pe') && e.private_service_connection.subresource_names[0] === 'blob',
    ) as any;
    expect(blob.private_dns_zone_group.private_dns_zone_ids).toEqual([`${hub}/privatelink.blob.core.windows.net`]);
    const admin = Object.values(resources(doc, 'azurerm_postgresql_flexible_server_active_directory_administrator'))[0] as any;
    expect(admin).toMatchObject({
      object_id: '00000000-0000-0000-0000-000000000001',
      principal_name: 'db-admins',
      principal_type: 'Group',
    });
  });
});

describe('shared file system (Azure Files)', () => {
  test('a retained premium Azure Files StorageClass, once per cluster, that claims wait for', () => {
    const { stack, data, kubernetes } = env();
    const a = data.sharedFileSystem(new Construct(stack, 'Models'), {});
    const b = data.sharedFileSystem(new Construct(stack, 'More'), { removalPolicy: RemovalPolicy.DESTROY });
    expect(problemLines(stack)).toEqual([]);
    const doc = synthJson(stack);
    const classes = Object.entries(resources(doc, 'kubernetes_storage_class_v1'));
    expect(classes).toHaveLength(1);
    const [name, sc] = classes[0] as [string, any];
    expect(sc).toMatchObject({
      metadata: { name: 'azurefile-premium-retain' },
      storage_provisioner: 'file.csi.azure.com',
      parameters: { skuName: 'Premium_LRS' },
      reclaim_policy: 'Retain',
      allow_volume_expansion: true,
      mount_options: ['dir_mode=0755', 'file_mode=0644', 'uid=1000', 'gid=1000', 'mfsymlinks', 'cache=strict', 'nosharesock', 'actimeo=30'],
    });
    expect(sc.provider).toBe(kubernetes.fqn);
    expect(a.storageClassName).toBe('azurefile-premium-retain');
    expect(b.storageClassName).toBe('azurefile-premium-retain');
    expect(a.dependables).toHaveLength(1);
    expect(name).toMatch(/AzureFilesStorageClass/);
    // Nothing stateful in Terraform: the driver owns the storage account and its shares.
    expect(resources(doc, 'azurerm_storage_account')).toEqual({});
  });

  test('the class waits for what in-cluster resources wait for', () => {
    const { stack, data } = env({}, () => [dep]);
    const dep = new NamespaceV1(stack, 'Gate', { metadata: { name: 'gate' } });
    data.sharedFileSystem(new Construct(stack, 'Models'), {});
    const doc = synthJson(stack);
    const sc = Object.values(resources(doc, 'kubernetes_storage_class_v1'))[0] as any;
    expect(sc.depends_on).toEqual([`kubernetes_namespace_v1.${Object.keys(resources(doc, 'kubernetes_namespace_v1'))[0]}`]);
  });
});
