import { HelmProvider } from '@cdktf/provider-helm/lib/provider';
import { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import { TerraformStack, TerraformVariable, Testing } from 'cdktf';
import { Construct } from 'constructs';
import { AwsDataServices, RdsPostgresDatabase, S3ObjectStore, ValkeyCache } from '../../lib/aws/data';
import { PodIdentityBinding } from '../../lib/aws/pod-identity';
import { CloudProvider, ClusterNetwork, ClusterProviders, IClusterInstallTarget, IWorkloadIdentity } from '../../lib/core/cluster';
import { Duration } from '../../lib/core/duration';
import { KeyValueCacheOptions, ObjectStoreOptions, PostgresOptions, RemovalPolicy } from '../../lib/core/data-services';
import { awsStack, problemLines, resources, synthJson } from '../helpers';

const NETWORK: ClusterNetwork = { networkId: 'vpc-1', privateSubnetIds: ['subnet-a', 'subnet-b'], nodeSecurityGroupId: 'sg-nodes' };

/** Kubernetes and Helm providers made in the test stack on first use, as a cluster's install target does. */
const testProviders = new WeakMap<TerraformStack, ClusterProviders>();
const installTarget: IClusterInstallTarget = {
  providers: (scope) => {
    const stack = TerraformStack.of(scope);
    let made = testProviders.get(stack);
    if (!made) {
      made = { kubernetes: new KubernetesProvider(stack, 'kubernetes', {}), helm: new HelmProvider(stack, 'helm', {}) };
      testProviders.set(stack, made);
    }
    return made;
  },
  addonDependencies: () => [],
};

function services(network: ClusterNetwork = NETWORK, clusterName = 'ai'): AwsDataServices {
  return new AwsDataServices({ clusterName, network, tags: { team: 'x' }, cluster: installTarget });
}

function podIdentity(stack: TerraformStack, id = 'Rag', serviceAccountName = 'rag-api'): PodIdentityBinding {
  return new PodIdentityBinding(stack, id, {
    clusterName: 'ai',
    namespace: 'rag',
    serviceAccountName,
    roleName: `ai-${id.toLowerCase()}`,
    tags: {},
    dependsOn: [],
  });
}

/** An identity of another cloud: AWS resources must refuse it. */
class AzureIdentity extends Construct implements IWorkloadIdentity {
  public readonly cloudProvider = CloudProvider.AZURE;
  public readonly namespace = 'rag';
  public readonly serviceAccountName = 'rag-api';
  public readonly principal = '00000000-0000-0000-0000-000000000001';
  public readonly serviceAccountAnnotations = {};
  public readonly podLabels = {};
  public readonly dependables = [];
}

/** The one resource of a type (there must be exactly one). */
function only(doc: any, type: string): any {
  const all = Object.values(resources(doc, type));
  expect(all).toHaveLength(1);
  return all[0];
}

/** The statements of the pod identity's one inline policy. */
function statements(doc: any): any[] {
  return JSON.parse(only(doc, 'aws_iam_role_policy').policy).Statement;
}

function store(options: ObjectStoreOptions = {}, network?: ClusterNetwork) {
  const stack = awsStack();
  const scope = new Construct(stack, 'Docs');
  return { stack, scope, store: services(network).objectStore(scope, options) };
}

function database(options: PostgresOptions = {}, network?: ClusterNetwork) {
  const stack = awsStack();
  const scope = new Construct(stack, 'Db');
  return { stack, scope, db: services(network).postgres(scope, options) };
}

function cache(options: KeyValueCacheOptions = {}, network?: ClusterNetwork) {
  const stack = awsStack();
  const scope = new Construct(stack, 'Cache');
  return { stack, scope, cache: services(network).cache(scope, options) };
}

describe('AwsDataServices', () => {
  test('each service is the Default child of the public construct, named by the cloud classes', () => {
    const stack = awsStack();
    const s = services();
    const docs = new Construct(stack, 'Docs');
    const db = new Construct(stack, 'Db');
    const kv = new Construct(stack, 'Cache');
    expect(s.objectStore(docs, {})).toBeInstanceOf(S3ObjectStore);
    expect(s.postgres(db, {})).toBeInstanceOf(RdsPostgresDatabase);
    expect(s.cache(kv, {})).toBeInstanceOf(ValkeyCache);
    expect(docs.node.defaultChild).toBeInstanceOf(S3ObjectStore);
    // 'Default' is left out of Terraform names: short, stable addresses.
    expect(Object.keys(resources(synthJson(stack), 'aws_s3_bucket'))).toEqual([expect.stringMatching(/^Docs_Bucket_/)]);
  });
});

describe('S3 object store', () => {
  test('private, KMS-encrypted, versioned, TLS only and retained by default', () => {
    const { stack, store: s } = store();
    const doc = synthJson(stack);
    const bucket = only(doc, 'aws_s3_bucket');
    expect(bucket.bucket_prefix).toBe('ai-docs-');
    expect(bucket.force_destroy).toBeUndefined();
    expect(bucket.lifecycle).toEqual({ prevent_destroy: true });
    expect(bucket.tags).toEqual({ team: 'x' });
    const ref = expect.stringMatching(/^\$\{aws_s3_bucket\.Docs_Bucket_\w+\.id\}$/);

    expect(only(doc, 'aws_s3_bucket_public_access_block')).toMatchObject({
      bucket: ref,
      block_public_acls: true,
      block_public_policy: true,
      ignore_public_acls: true,
      restrict_public_buckets: true,
    });
    expect(only(doc, 'aws_s3_bucket_ownership_controls').rule).toEqual({ object_ownership: 'BucketOwnerEnforced' });

    const key = only(doc, 'aws_kms_key');
    expect(key).toMatchObject({ enable_key_rotation: true, deletion_window_in_days: 30, lifecycle: { prevent_destroy: true } });
    expect(key.policy).toMatch(/^\$\{data\.aws_iam_policy_document\.Docs_KeyPolicy_\w+\.json\}$/);
    const keyPolicy = Object.values(doc.data.aws_iam_policy_document).find((d: any) => d.statement[0].sid === 'AccountAdministers') as any;
    expect(keyPolicy.statement[0].principals[0].identifiers[0]).toMatch(
      /^arn:\$\{data\.aws_partition\..*\}:iam::\$\{data\.aws_caller_identity\..*\.account_id\}:root$/,
    );

    const sse = only(doc, 'aws_s3_bucket_server_side_encryption_configuration');
    expect(sse.bucket).toEqual(ref);
    expect(sse.rule).toEqual([
      {
        apply_server_side_encryption_by_default: {
          sse_algorithm: 'aws:kms',
          kms_master_key_id: expect.stringMatching(/aws_kms_key\.Docs_Key_\w+\.arn/),
        },
        bucket_key_enabled: true,
      },
    ]);
    expect(only(doc, 'aws_s3_bucket_versioning').versioning_configuration).toEqual({ status: 'Enabled' });

    const tls = Object.entries(doc.data.aws_iam_policy_document).find(([n]) => n.startsWith('Docs_TlsOnly'))![1] as any;
    expect(tls.statement).toEqual([
      expect.objectContaining({
        effect: 'Deny',
        actions: ['s3:*'],
        principals: [{ type: '*', identifiers: ['*'] }],
        condition: [{ test: 'Bool', variable: 'aws:SecureTransport', values: ['false'] }],
        resources: [expect.stringMatching(/\.arn\}$/), expect.stringMatching(/\.arn\}\/\*$/)],
      }),
    ]);
    expect(only(doc, 'aws_s3_bucket_policy').policy).toMatch(/^\$\{data\.aws_iam_policy_document\.Docs_TlsOnly_\w+\.json\}$/);

    expect(only(doc, 'aws_s3_bucket_lifecycle_configuration').rule).toEqual([
      expect.objectContaining({
        status: 'Enabled',
        filter: [{}],
        abort_incomplete_multipart_upload: [{ days_after_initiation: 7 }],
        noncurrent_version_expiration: [{ noncurrent_days: 30 }],
      }),
    ]);
    expect(s.url).toMatch(/^s3:\/\/\$\{TfToken/);
  });

  test('a given name and version retention', () => {
    const { stack } = store({ name: 'rag-docs', noncurrentVersionRetention: Duration.days(90) });
    const doc = synthJson(stack);
    expect(only(doc, 'aws_s3_bucket')).toMatchObject({ bucket: 'rag-docs' });
    expect(only(doc, 'aws_s3_bucket').bucket_prefix).toBeUndefined();
    expect(only(doc, 'aws_s3_bucket_lifecycle_configuration').rule[0].noncurrent_version_expiration).toEqual([{ noncurrent_days: 90 }]);
  });

  test('RemovalPolicy.DESTROY: throwaway, emptied on destroy, no prevent_destroy', () => {
    const { stack } = store({ removalPolicy: RemovalPolicy.DESTROY });
    const doc = synthJson(stack);
    const bucket = only(doc, 'aws_s3_bucket');
    expect(bucket.force_destroy).toBe(true);
    expect(bucket.tags).toEqual({ team: 'x', throwaway: 'true' });
    expect(bucket.lifecycle).toBeUndefined();
    expect(only(doc, 'aws_kms_key').lifecycle).toBeUndefined();
  });

  test('grantRead lists, reads and decrypts; grantReadWrite adds writes and encryption, once each', () => {
    const { stack, store: s } = store();
    const reader = podIdentity(stack);
    s.grantRead(reader);
    let sts = statements(synthJson(stack));
    expect(sts.map((x) => x.Action)).toEqual([['s3:ListBucket'], ['s3:GetObject', 's3:GetObjectVersion'], ['kms:Decrypt']]);
    expect(sts[0].Resource).toEqual([expect.stringMatching(/^\$\{aws_s3_bucket\.Docs_Bucket_\w+\.arn\}$/)]);
    expect(sts[1].Resource).toEqual([expect.stringMatching(/^\$\{aws_s3_bucket\.Docs_Bucket_\w+\.arn\}\/\*$/)]);
    expect(sts[2].Resource).toEqual([expect.stringMatching(/^\$\{aws_kms_key\.Docs_Key_\w+\.arn\}$/)]);

    s.grantReadWrite(reader);
    s.grantReadWrite(reader);
    sts = statements(synthJson(stack));
    expect(sts.map((x) => x.Action)).toEqual([
      ['s3:ListBucket'],
      ['s3:GetObject', 's3:GetObjectVersion'],
      ['kms:Decrypt'],
      ['s3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload'],
      ['kms:GenerateDataKey', 'kms:Encrypt'],
    ]);
    expect(new Set(sts.map((x) => x.Sid)).size).toBe(sts.length);
  });

  test.each([
    ['Rag_Docs', /^test\/Docs: name 'Rag_Docs' has characters other than lower-case letters, digits and '-'; use 3-63 lower-case/m],
    ['rag.docs', /^test\/Docs: name 'rag\.docs' has characters other than .*\(no dots, so the name also fits Azure\)/m],
    ['ab', /^test\/Docs: name 'ab' has 2 characters; use 3-63/m],
    ['x'.repeat(64), /^test\/Docs: name 'x{64}' has 64 characters; use 3-63/m],
    ['-docs', /^test\/Docs: name '-docs' starts or ends with '-'; use 3-63/m],
    ['192.168.1.10', /^test\/Docs: name '192\.168\.1\.10' is formatted like an IP address, which S3 rejects; use 3-63/m],
    ['xn--docs', /^test\/Docs: name 'xn--docs' starts with 'xn--', which S3 reserves; pick another name/m],
    ['docs-s3alias', /^test\/Docs: name 'docs-s3alias' ends with '-s3alias', which S3 reserves; pick another name/m],
    ['docs--ol-s3', /^test\/Docs: name 'docs--ol-s3' ends with '--ol-s3', which S3 reserves/m],
  ])('name %s is rejected', (name, message) => {
    expect(() => synthJson(store({ name }).stack)).toThrow(message);
  });

  test('version retention in whole days', () => {
    expect(() => synthJson(store({ noncurrentVersionRetention: Duration.hours(36) }).stack)).toThrow(
      /^test\/Docs: noncurrentVersionRetention 36h is not a whole number of days \(at least 1\); use Duration\.days\(n\)/m,
    );
  });

  test('an identity that is not an EKS Pod Identity', () => {
    const { stack, store: s } = store();
    s.grantRead(new AzureIdentity(stack, 'Entra'));
    s.grantReadWrite(new AzureIdentity(stack, 'Entra2'));
    expect(problemLines(stack)).toEqual([
      'test/Docs: grantRead identity test/Entra is not an EKS Pod Identity; bind the service account with cluster.bindServiceAccount on this EKS cluster',
      'test/Docs: grantReadWrite identity test/Entra2 is not an EKS Pod Identity; bind the service account with cluster.bindServiceAccount on this EKS cluster',
    ]);
  });
});

describe('RDS for PostgreSQL', () => {
  test('private, TLS only, encrypted, IAM auth, backed up and retained by default', () => {
    const { stack, db } = database();
    const doc = synthJson(stack);
    const instance = only(doc, 'aws_db_instance');
    const key = expect.stringMatching(/^\$\{aws_kms_key\.Db_Key_\w+\.arn\}$/);
    expect(instance).toMatchObject({
      identifier: expect.stringMatching(/^ai-db-[0-9a-f]{6}$/),
      engine: 'postgres',
      engine_version: '17',
      auto_minor_version_upgrade: true,
      instance_class: 'db.r7g.large',
      allocated_storage: 128,
      max_allocated_storage: 512,
      storage_type: 'gp3',
      storage_encrypted: true,
      kms_key_id: key,
      db_name: 'app',
      username: 'dbadmin',
      manage_master_user_password: true,
      master_user_secret_kms_key_id: key,
      iam_database_authentication_enabled: true,
      publicly_accessible: false,
      port: 5432,
      multi_az: false,
      backup_retention_period: 7,
      copy_tags_to_snapshot: true,
      deletion_protection: true,
      skip_final_snapshot: false,
      final_snapshot_identifier: `${instance.identifier}-final`,
      delete_automated_backups: false,
      performance_insights_enabled: true,
      performance_insights_kms_key_id: key,
      performance_insights_retention_period: 7,
      enabled_cloudwatch_logs_exports: ['postgresql', 'upgrade'],
      lifecycle: { prevent_destroy: true },
      tags: { team: 'x' },
    });
    expect(instance.password).toBeUndefined();
    expect(only(doc, 'aws_db_parameter_group')).toMatchObject({
      family: 'postgres17',
      parameter: [{ name: 'rds.force_ssl', value: '1', apply_method: 'immediate' }],
      lifecycle: { create_before_destroy: true },
    });
    expect(only(doc, 'aws_db_subnet_group').subnet_ids).toEqual(['subnet-a', 'subnet-b']);
    const sg = only(doc, 'aws_security_group');
    expect(sg.vpc_id).toBe('vpc-1');
    expect(sg.egress).toEqual([]);
    expect(sg.ingress).toEqual([
      expect.objectContaining({ protocol: 'tcp', from_port: 5432, to_port: 5432, security_groups: ['sg-nodes'], cidr_blocks: null }),
    ]);
    expect(only(doc, 'aws_kms_key')).toMatchObject({ enable_key_rotation: true, deletion_window_in_days: 30 });
    expect(db.port).toBe(5432);
    expect(db.databaseName).toBe('app');
    expect(db.engineVersion).toBe('17');
  });

  test('options: version, high availability, storage growth capped at 64 TiB, backups', () => {
    const doc = synthJson(
      database({
        engineVersion: '16',
        highAvailability: true,
        storageGib: 20000,
        backupRetention: Duration.days(14),
        instanceType: 'db.m7g.xlarge',
        databaseName: 'rag',
      }).stack,
    );
    expect(only(doc, 'aws_db_instance')).toMatchObject({
      engine_version: '16',
      multi_az: true,
      allocated_storage: 20000,
      max_allocated_storage: 65536,
      backup_retention_period: 14,
      instance_class: 'db.m7g.xlarge',
      db_name: 'rag',
    });
    expect(only(doc, 'aws_db_parameter_group').family).toBe('postgres16');
  });

  test('RemovalPolicy.DESTROY: throwaway, no protection, no final snapshot', () => {
    const instance = only(synthJson(database({ removalPolicy: RemovalPolicy.DESTROY }).stack), 'aws_db_instance');
    expect(instance).toMatchObject({ deletion_protection: false, skip_final_snapshot: true, tags: { team: 'x', throwaway: 'true' } });
    expect(instance.final_snapshot_identifier).toBeUndefined();
    expect(instance.lifecycle).toBeUndefined();
    expect(instance.backup_retention_period).toBe(7);
  });

  test('grantConnect: rds-db:connect for the one user, and the SQL that creates the login', () => {
    const { stack, db } = database();
    const rag = podIdentity(stack);
    const login = db.grantConnect(rag, 'rag');
    expect(db.grantConnect(rag, 'rag')).toBe(login);
    expect(login).toMatchObject({ user: 'rag', authentication: 'aws-iam' });
    // The binding and its inline policy: pods start once they may connect.
    expect(login.dependables).toEqual([rag.association, rag.node.findChild('Policy')]);
    expect(login.setupSql).toBe(
      'CREATE ROLE "rag" LOGIN; GRANT rds_iam TO "rag"; GRANT CONNECT, TEMPORARY ON DATABASE "app" TO "rag"; GRANT USAGE, CREATE ON SCHEMA public TO "rag"; CREATE EXTENSION IF NOT EXISTS vector;',
    );
    const sts = statements(synthJson(stack));
    expect(sts).toHaveLength(1);
    expect(sts[0].Action).toEqual(['rds-db:connect']);
    expect(sts[0].Resource).toEqual([
      expect.stringMatching(
        /^arn:\$\{data\.aws_partition\.\w+\.partition\}:rds-db:\$\{data\.aws_region\.\w+\.name\}:\$\{data\.aws_caller_identity\.\w+\.account_id\}:dbuser:\$\{aws_db_instance\.Db_Instance_\w+\.resource_id\}\/rag$/,
      ),
    ]);
  });

  test.each<[string, PostgresOptions, RegExp]>([
    [
      'engineVersion 14',
      { engineVersion: '14' },
      /^test\/Db: engineVersion '14' is too old: pgvector HNSW indexes need PostgreSQL 15\+ \(pgvector 0\.5\+ on RDS\); use '15', '16', '17' or '18'$/m,
    ],
    ['engineVersion 19', { engineVersion: '19' }, /^test\/Db: engineVersion '19' is not offered by RDS for PostgreSQL; use '15'/m],
    [
      'engineVersion latest',
      { engineVersion: 'latest' },
      /^test\/Db: engineVersion 'latest' is not a PostgreSQL version; use a major version/m,
    ],
    [
      'instanceType r7g.large',
      { instanceType: 'r7g.large' },
      /^test\/Db: instanceType 'r7g\.large' is not an RDS instance class; use the form db\.<family>\.<size>/m,
    ],
    [
      'storageGib 10',
      { storageGib: 10 },
      /^test\/Db: storageGib 10 is outside what RDS gp3 storage allows; use a whole number of GiB from 20 to 65536$/m,
    ],
    ['storageGib 70000', { storageGib: 70000 }, /^test\/Db: storageGib 70000 is outside/m],
    [
      'backupRetention Duration.days(3)',
      { backupRetention: Duration.days(3) },
      /^test\/Db: backupRetention 3d is not 7 to 35 whole days; use Duration\.days\(n\) with n from 7 to 35$/m,
    ],
    [
      'backupRetention Duration.hours(200)',
      { backupRetention: Duration.hours(200) },
      /^test\/Db: backupRetention 200h is not 7 to 35 whole days/m,
    ],
    [
      'databaseName 1app',
      { databaseName: '1app' },
      /^test\/Db: databaseName '1app' is not a PostgreSQL database name RDS accepts; use a letter/m,
    ],
  ])('%s is rejected', (_label, options, message) => {
    expect(() => synthJson(database(options).stack)).toThrow(message);
  });

  test('grantConnect user names', () => {
    const { stack, db } = database();
    db.grantConnect(podIdentity(stack), 'Rag-User');
    db.grantConnect(podIdentity(stack, 'Admin'), 'dbadmin');
    db.grantConnect(new AzureIdentity(stack, 'Entra'), 'rag');
    expect(problemLines(stack)).toEqual([
      "test/Db: grantConnect user 'Rag-User' is not a plain PostgreSQL role name; use a lower-case letter or '_', then up to 62 lower-case letters, digits or '_'",
      "test/Db: grantConnect user 'dbadmin' is reserved on this server; pick another role name",
      'test/Db: grantConnect identity test/Entra is not an EKS Pod Identity; bind the service account with cluster.bindServiceAccount on this EKS cluster',
    ]);
  });

  test('every problem at once, with the network the cluster gives', () => {
    const { stack } = database(
      { engineVersion: '13', storageGib: 5 },
      { networkId: 'vpc-1', privateSubnetIds: ['subnet-a'], nodeSecurityGroupId: undefined },
    );
    const lines = problemLines(stack);
    expect(lines).toHaveLength(4);
    expect(lines).toContain(
      'test/Db: network.nodeSecurityGroupId undefined: the cluster exposes no node security group, so the database admits no client; use a cluster whose network names the security group its nodes carry',
    );
    expect(lines).toContain(
      "test/Db: network.privateSubnetIds [subnet-a] has 1 subnet; an RDS DB subnet group needs private subnets in at least two availability zones: give the cluster's network two or more",
    );
  });
});

describe('ElastiCache for Valkey', () => {
  test('TLS only, encrypted at rest, RBAC, replicated and retained by default', () => {
    const { stack, cache: c } = cache();
    const doc = synthJson(stack);
    const group = only(doc, 'aws_elasticache_replication_group');
    expect(group).toMatchObject({
      replication_group_id: expect.stringMatching(/^ai-cache-[0-9a-f]{6}$/),
      engine: 'valkey',
      engine_version: '8.0',
      node_type: 'cache.r7g.large',
      port: 6379,
      num_cache_clusters: 2,
      automatic_failover_enabled: true,
      multi_az_enabled: true,
      transit_encryption_enabled: true,
      at_rest_encryption_enabled: 'true',
      kms_key_id: expect.stringMatching(/^\$\{aws_kms_key\.Cache_Key_\w+\.arn\}$/),
      user_group_ids: [expect.stringMatching(/^\$\{aws_elasticache_user_group\.Cache_UserGroup_\w+\.user_group_id\}$/)],
      snapshot_retention_limit: 7,
      final_snapshot_identifier: `${group.replication_group_id}-final`,
      auto_minor_version_upgrade: 'true',
      lifecycle: { prevent_destroy: true },
      tags: { team: 'x' },
    });
    expect(group.auth_token).toBeUndefined();
    const sg = only(doc, 'aws_security_group');
    expect(sg.egress).toEqual([]);
    expect(sg.ingress).toEqual([
      expect.objectContaining({ from_port: 6379, to_port: 6379, security_groups: ['sg-nodes'], cidr_blocks: null }),
    ]);
    expect(only(doc, 'aws_elasticache_subnet_group').subnet_ids).toEqual(['subnet-a', 'subnet-b']);

    // The built-in default user (nopass, every command) is replaced by a disabled one.
    const users = Object.values(resources(doc, 'aws_elasticache_user')) as any[];
    expect(users).toEqual([
      expect.objectContaining({
        user_name: 'default',
        user_id: expect.stringMatching(/^ai-cache-default-[0-9a-f]{6}$/),
        access_string: 'off -@all',
        engine: 'redis',
        no_password_required: true,
      }),
    ]);
    // No authentication_mode block: it reads back as 'no-password' and would diff on every plan.
    expect(users[0].authentication_mode).toBeUndefined();
    expect(only(doc, 'aws_elasticache_user_group')).toMatchObject({
      engine: 'redis',
      user_group_id: group.replication_group_id,
      user_ids: [expect.stringMatching(/^\$\{aws_elasticache_user\.Cache_DefaultUser_\w+\.user_id\}$/)],
    });
    expect(c.port).toBe(6379);
    expect(c.host).toMatch(/^\$\{TfToken/);
  });

  test('without high availability: one node, no failover', () => {
    expect(only(synthJson(cache({ highAvailability: false }).stack), 'aws_elasticache_replication_group')).toMatchObject({
      num_cache_clusters: 1,
      automatic_failover_enabled: false,
      multi_az_enabled: false,
    });
  });

  test('RemovalPolicy.DESTROY: throwaway, no final snapshot, no prevent_destroy', () => {
    const group = only(synthJson(cache({ removalPolicy: RemovalPolicy.DESTROY }).stack), 'aws_elasticache_replication_group');
    expect(group.tags).toEqual({ team: 'x', throwaway: 'true' });
    expect(group.final_snapshot_identifier).toBeUndefined();
    expect(group.lifecycle).toBeUndefined();
    expect(group.snapshot_retention_limit).toBe(7);
  });

  test('grantReadWrite: an IAM user in the group, elasticache:Connect on the cache and the user', () => {
    const { stack, cache: c } = cache();
    const rag = podIdentity(stack, 'Rag', 'rag-api');
    const login = c.grantReadWrite(rag);
    expect(c.grantReadWrite(rag)).toBe(login);
    const doc = synthJson(stack);
    const users = resources(doc, 'aws_elasticache_user');
    const [name, user] = Object.entries(users).find(([, u]: [string, any]) => u.user_name !== 'default') as [string, any];
    expect(user).toMatchObject({ engine: 'redis', authentication_mode: { type: 'iam' }, access_string: 'on ~* &* +@all -@dangerous' });
    expect(user.user_id).toBe(user.user_name);
    expect(user.user_id).toMatch(/^ai-rag-api-[0-9a-f]{6}$/);
    expect(user.user_id.length).toBeLessThanOrEqual(40);
    expect(login.user).toBe(user.user_name);
    expect(login.authentication).toBe('aws-iam');
    expect(login.passwordSecret).toBeUndefined();
    expect(login.dependables).toEqual([rag.association, rag.node.findChild('Policy'), expect.anything(), (c as ValkeyCache).userGroup]);

    // The group was created before the grant: its list is rendered at synth and holds the new user.
    expect(only(doc, 'aws_elasticache_user_group').user_ids).toEqual([
      expect.stringMatching(/DefaultUser/),
      `\${aws_elasticache_user.${name}.user_id}`,
    ]);
    const sts = statements(doc);
    expect(sts).toEqual([
      expect.objectContaining({
        Action: ['elasticache:Connect'],
        Resource: [
          expect.stringMatching(/^\$\{aws_elasticache_replication_group\.Cache_ReplicationGroup_\w+\.arn\}$/),
          `\${aws_elasticache_user.${name}.arn}`,
        ],
      }),
    ]);
  });

  test.each<[string, KeyValueCacheOptions, RegExp]>([
    [
      'instanceType r7g.large',
      { instanceType: 'r7g.large' },
      /^test\/Cache: instanceType 'r7g\.large' is not an ElastiCache node type; use the form cache\.<family>\.<size>/m,
    ],
    [
      'transitEncryption false',
      { transitEncryption: false },
      /^test\/Cache: transitEncryption false would let anything in the VPC read keys in clear text; remove it: the cache is TLS only$/m,
    ],
  ])('%s is rejected', (_label, options, message) => {
    expect(() => synthJson(cache(options).stack)).toThrow(message);
  });

  test('no node security group, an identity of another cloud', () => {
    const { stack, cache: c } = cache({}, { networkId: 'vpc-1', privateSubnetIds: ['subnet-a', 'subnet-b'] });
    c.grantReadWrite(new AzureIdentity(stack, 'Entra'));
    expect(problemLines(stack)).toEqual([
      'test/Cache: network.nodeSecurityGroupId undefined: the cluster exposes no node security group, so the cache admits no client; use a cluster whose network names the security group its nodes carry',
      'test/Cache: grantReadWrite identity test/Entra is not an EKS Pod Identity; bind the service account with cluster.bindServiceAccount on this EKS cluster',
    ]);
    // Nothing is created for the refused identity: the disabled default user stays alone.
    expect(Object.keys(resources(JSON.parse(Testing.synth(stack)), 'aws_elasticache_user'))).toHaveLength(1);
  });
});

describe('Terraform tokens are not rejected', () => {
  test('cluster name, names, versions, sizes and subnets from variables', () => {
    const stack = awsStack();
    const v = (id: string, type: string) => new TerraformVariable(stack, id, { type });
    const clusterName = v('cluster', 'string').stringValue;
    const s = services(
      {
        networkId: v('vpc', 'string').stringValue,
        privateSubnetIds: v('subnets', 'list(string)').listValue,
        nodeSecurityGroupId: 'sg-nodes',
      },
      clusterName,
    );
    const rag = new PodIdentityBinding(stack, 'Rag', {
      clusterName,
      namespace: 'rag',
      serviceAccountName: v('sa', 'string').stringValue,
      roleName: 'ai-rag',
      tags: {},
      dependsOn: [],
    });
    s.objectStore(new Construct(stack, 'Docs'), { name: v('bucket', 'string').stringValue }).grantRead(rag);
    s.objectStore(new Construct(stack, 'Models'), {}).grantRead(rag);
    s.postgres(new Construct(stack, 'Db'), {
      engineVersion: v('pg', 'string').stringValue,
      instanceType: v('class', 'string').stringValue,
      storageGib: v('gib', 'number').numberValue,
      databaseName: v('db', 'string').stringValue,
    }).grantConnect(rag, v('user', 'string').stringValue);
    s.cache(new Construct(stack, 'Cache'), { instanceType: v('node', 'string').stringValue }).grantReadWrite(rag);

    expect(problemLines(stack)).toEqual([]);
    const doc = synthJson(stack);
    const instance = only(doc, 'aws_db_instance');
    // Names are cleaned and cut by Terraform at apply, never by a regex on the token at synth.
    expect(instance.identifier).toMatch(/^\$\{replace\(.*lower\(join\("-", \[var\.cluster, "Db"\]\)\).*\}$/);
    expect(instance.max_allocated_storage).toBe('${min((var.gib * 4), 65536)}');
    expect(only(doc, 'aws_db_parameter_group').family).toBe('postgres${element(split(".", var.pg), 0)}');
    const buckets = Object.values(resources(doc, 'aws_s3_bucket')) as any[];
    expect(buckets.map((b) => b.bucket ?? b.bucket_prefix)).toEqual(['${var.bucket}', expect.stringMatching(/var\.cluster, "Models"/)]);
    expect(only(doc, 'aws_elasticache_replication_group').replication_group_id).toMatch(/var\.cluster, "Cache"/);
  });
});

test('RDS 15.2 and 15.3 carry pgvector 0.4, without HNSW: refused with the fix', () => {
  const stack = awsStack();
  const data = new AwsDataServices({
    clusterName: 'ai',
    network: { networkId: 'vpc-1', privateSubnetIds: ['subnet-a', 'subnet-b'], nodeSecurityGroupId: 'sg-nodes' },
    tags: {},
    cluster: installTarget,
  });
  data.postgres(new Construct(stack, 'Db'), { engineVersion: '15.3' });
  data.postgres(new Construct(stack, 'Db2'), { engineVersion: '15.4' });
  expect(problemLines(stack)).toEqual([
    "test/Db: engineVersion '15.3' ships pgvector 0.4, without HNSW indexes; use 15.4 or newer, or the major version '15'",
  ]);
});

describe('shared file system (EFS)', () => {
  function efs(removalPolicy?: RemovalPolicy, network?: ClusterNetwork) {
    const stack = awsStack();
    const s = services(network);
    const fs = s.sharedFileSystem(new Construct(stack, 'Models'), { removalPolicy });
    return { stack, s, fs };
  }

  test('defaults: encrypted with its own key, retained, NFS from the node SG only, a mount target per subnet, TLS StorageClass', () => {
    const { stack, fs } = efs();
    expect(problemLines(stack)).toEqual([]);
    const doc = synthJson(stack);
    const file = only(doc, 'aws_efs_file_system');
    expect(file).toMatchObject({
      encrypted: true,
      kms_key_id: expect.stringMatching(/^\$\{aws_kms_key\.Models_Key_[0-9A-F]+\.arn\}$/),
      throughput_mode: 'elastic',
      performance_mode: 'generalPurpose',
      lifecycle: { prevent_destroy: true },
    });
    expect(file.tags).toMatchObject({ team: 'x', Name: expect.stringMatching(/^ai-models-[0-9a-f]{6}$/) });
    expect(file.tags.throwaway).toBeUndefined();
    expect(only(doc, 'aws_kms_key')).toMatchObject({ enable_key_rotation: true, lifecycle: { prevent_destroy: true } });
    const sg = only(doc, 'aws_security_group');
    expect(sg.vpc_id).toBe('vpc-1');
    expect(sg.egress).toEqual([]);
    expect(sg.ingress).toEqual([
      expect.objectContaining({ protocol: 'tcp', from_port: 2049, to_port: 2049, security_groups: ['sg-nodes'] }),
    ]);
    const targets = Object.values(resources(doc, 'aws_efs_mount_target')) as any[];
    expect(targets.map((t) => t.subnet_id)).toEqual(['subnet-a', 'subnet-b']);
    const addon = only(doc, 'aws_eks_addon');
    expect(addon).toMatchObject({
      addon_name: 'aws-efs-csi-driver',
      cluster_name: 'ai',
      pod_identity_association: [{ role_arn: expect.stringMatching(/aws_iam_role\..*\.arn/), service_account: 'efs-csi-controller-sa' }],
    });
    expect(only(doc, 'aws_iam_role').name).toBe('ai-efs-csi');
    expect(only(doc, 'aws_iam_role_policy_attachment').policy_arn).toMatch(/:iam::aws:policy\/service-role\/AmazonEFSCSIDriverPolicy$/);
    const sc = only(doc, 'kubernetes_storage_class_v1');
    expect(sc.metadata.name).toBe(fs.storageClassName);
    expect(sc).toMatchObject({
      storage_provisioner: 'efs.csi.aws.com',
      reclaim_policy: 'Retain',
      parameters: { provisioningMode: 'efs-ap', directoryPerms: '700', basePath: '/dynamic' },
    });
    expect(sc.parameters.fileSystemId).toMatch(/^\$\{aws_efs_file_system\..*\.id\}$/);
    expect(sc.depends_on).toEqual(
      expect.arrayContaining([expect.stringMatching(/^aws_eks_addon\./), expect.stringMatching(/^aws_efs_mount_target\./)]),
    );
    expect(fs.dependables).toHaveLength(4);
  });

  test('RemovalPolicy.DESTROY: no prevent_destroy, tagged throwaway', () => {
    const { stack } = efs(RemovalPolicy.DESTROY);
    const doc = synthJson(stack);
    const file = only(doc, 'aws_efs_file_system');
    expect(file.lifecycle).toBeUndefined();
    expect(file.tags.throwaway).toBe('true');
    expect(only(doc, 'aws_kms_key').lifecycle).toBeUndefined();
  });

  test('the add-on is installed once per cluster; subnets from a variable become a for_each', () => {
    const stack = awsStack();
    const subnets = new TerraformVariable(stack, 'subnets', { type: 'list(string)' });
    const s = services({ networkId: 'vpc-1', privateSubnetIds: subnets.listValue, nodeSecurityGroupId: 'sg-nodes' });
    const a = s.sharedFileSystem(new Construct(stack, 'A'), {});
    const b = s.sharedFileSystem(new Construct(stack, 'B'), {});
    expect(problemLines(stack)).toEqual([]);
    const doc = synthJson(stack);
    expect(Object.keys(resources(doc, 'aws_eks_addon'))).toHaveLength(1);
    expect(Object.keys(resources(doc, 'aws_efs_file_system'))).toHaveLength(2);
    expect(a.storageClassName).not.toBe(b.storageClassName);
    const targets = Object.values(resources(doc, 'aws_efs_mount_target')) as any[];
    expect(targets).toHaveLength(2);
    for (const t of targets) {
      expect(t.for_each).toBe('${toset(var.subnets)}');
      expect(t.subnet_id).toBe('${each.value}');
    }
  });

  test('no node security group or no subnet: refused with the fix', () => {
    const { stack } = efs(undefined, { networkId: 'vpc-1', privateSubnetIds: [] });
    expect(problemLines(stack)).toEqual([
      expect.stringMatching(/^test\/Models: network\.nodeSecurityGroupId undefined: /),
      expect.stringMatching(/^test\/Models: network\.privateSubnetIds \[\] is empty, /),
    ]);
  });
});
