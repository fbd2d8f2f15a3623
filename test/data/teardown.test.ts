import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket';
import { VpcSecurityGroupIngressRule } from '@cdktf/provider-aws/lib/vpc-security-group-ingress-rule';
import { AzurermProvider } from '@cdktf/provider-azurerm/lib/provider';
import { App, LocalBackend, TerraformStack, TerraformVariable, Testing } from 'cdktf';
import { Construct } from 'constructs';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { AwsGpuClusterStack } from '../../examples/aws-gpu-cluster/stack';
import { AzureGpuClusterStack } from '../../examples/azure-gpu-cluster/stack';
import { RagAwsStack } from '../../examples/rag-aws/stack';
import { RagAzureStack } from '../../examples/rag-azure/stack';
import { ExistingClusterStack } from '../../examples/existing-cluster/stack';
import { FeatureStoreAwsStack, FeatureStoreAzureStack } from '../../examples/feature-store/stack';
import {
  Cloud,
  EndpointAccess,
  ExistingCluster,
  Gpu,
  GpuInferenceCluster,
  GpuNodePool,
  KeyValueCache,
  ObjectStore,
  ObservabilityStack,
  PostgresDatabase,
  RemoteWrite,
  RemovalPolicy,
  TODAY_CONTEXT_KEY,
} from '../../lib';
import { awsStack, azureStack, problemLines, resources } from '../helpers';

/**
 * Teardown (issue 17): with a data stack, the cluster's stack holds no prevent_destroy resource (so `cdktf
 * destroy` of it plans), the network and the retained data are in the data stack, and the data stack never
 * reads the cluster's stack (cdktf resolves such a reference with terraform_remote_state, a cycle).
 */

const CONTEXT = { [TODAY_CONTEXT_KEY]: '2026-12-01' };

/** Synthesizes a whole app (cross-stack references only resolve there) and returns every stack's JSON. */
function synthApp(build: (app: App) => void): { [stack: string]: any } {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'teardown-'));
  try {
    const app = new App({ outdir, context: CONTEXT, stackTraces: false });
    build(app);
    app.synth();
    const stacks: { [stack: string]: any } = {};
    for (const s of fs.readdirSync(path.join(outdir, 'stacks')))
      stacks[s] = JSON.parse(fs.readFileSync(path.join(outdir, 'stacks', s, 'cdk.tf.json'), 'utf8'));
    return stacks;
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

/** Addresses `<type>.<name>` of the resources with lifecycle.prevent_destroy. */
function retained(doc: any): string[] {
  return Object.entries<{ [name: string]: any }>(doc.resource ?? {}).flatMap(([type, byName]) =>
    Object.entries(byName)
      .filter(([, r]) => r.lifecycle?.prevent_destroy === true)
      .map(([name]) => `${type}.${name}`),
  );
}

/** Stacks a stack reads through terraform_remote_state, by the state they read. */
function remoteStates(doc: any): string[] {
  return Object.values<any>(doc.data?.terraform_remote_state ?? {}).map((r) => JSON.stringify(r.config));
}

/** depends_on entries that point into another stack's outputs (Terraform rejects them). */
function crossStackDependsOn(doc: any): string[] {
  return [...Object.values<any>(doc.resource ?? {}), ...Object.values<any>(doc.data ?? {})]
    .flatMap((byName) => Object.values<any>(byName))
    .flatMap((r) => (r.depends_on ?? []) as string[])
    .filter((d) => d.includes('terraform_remote_state'));
}

function stackPair(app: App, id: string, provider: (s: TerraformStack) => void): { compute: TerraformStack; data: TerraformStack } {
  const compute = new TerraformStack(app, id);
  const data = new TerraformStack(app, `${id}-data`);
  for (const s of [compute, data]) {
    new LocalBackend(s, { path: `../${s.node.id}/${s.node.id}.tfstate` });
    provider(s);
  }
  return { compute, data };
}

const awsProvider = (s: TerraformStack) => new AwsProvider(s, 'aws', { region: 'us-east-1' });
const azureProvider = (s: TerraformStack) =>
  new AzurermProvider(s, 'azurerm', { features: [{ storage: [{ dataPlaneAvailable: false }] }] });

function awsCluster(scope: TerraformStack, dataStack?: TerraformStack): GpuInferenceCluster {
  return new GpuInferenceCluster(scope, 'Gpu', {
    cloud: Cloud.aws({ endpointAccess: EndpointAccess.publicAndPrivate(['203.0.113.0/24']) }),
    clusterName: 'ai',
    nodePools: [GpuNodePool.inference('l4', { gpu: Gpu.L4, maxNodes: 2 })],
    dataStack,
  });
}

/** The warning for the audit workspace, vault and key an AKS cluster keeps, without a data stack. */
const AKS_RETAINED = expect.stringMatching(
  /^dataStack \(unset\) leaves 3 resources with prevent_destroy \(\w+\/Gpu\/Cluster\/AuditWorkspace\/Resource, \w+\/Gpu\/Cluster\/SecretsKey\/Vault, \w+\/Gpu\/Cluster\/SecretsKey\/Key\) in stack '\w+' beside the GPU compute/,
);

function azureCluster(scope: TerraformStack, dataStack?: TerraformStack, resourceGroup?: string): GpuInferenceCluster {
  return new GpuInferenceCluster(scope, 'Gpu', {
    cloud: Cloud.azure({ location: 'eastus2', authorizedIpRanges: ['203.0.113.0/24'], resourceGroup }),
    clusterName: 'ai',
    nodePools: [GpuNodePool.inference('t4', { gpu: Gpu.T4, maxNodes: 2 })],
    dataStack,
  });
}

/** Every kind of retained data a cluster makes, and a grant of each (the grants must stay with the cluster). */
function allData(scope: TerraformStack, cluster: GpuInferenceCluster): void {
  const identity = cluster.bindServiceAccount(scope, 'Api', { namespace: 'rag', serviceAccountName: 'rag-api' });
  new ObjectStore(scope, 'Docs', { cluster }).grantRead(identity);
  const db = new PostgresDatabase(scope, 'Vectors', { cluster });
  db.grantConnect(identity, 'rag_api');
  db.grantAdmin(identity);
  new KeyValueCache(scope, 'Cache', { cluster }).grantReadWrite(identity);
  cluster.dataServices.sharedFileSystem(new Construct(scope, 'Models'), {});
}

describe('AWS: with a data stack', () => {
  const stacks = synthApp((app) => {
    const { compute, data } = stackPair(app, 'gpu', awsProvider);
    const cluster = awsCluster(compute, data);
    allData(compute, cluster);
    new ObservabilityStack(compute, 'Obs', { cluster, remoteWrite: RemoteWrite.amazonManagedPrometheus() });
  });
  const compute = stacks.gpu;
  const data = stacks['gpu-data'];

  test('the cluster stack holds no prevent_destroy resource; the data stack holds every retained one', () => {
    expect(retained(compute)).toEqual([]);
    expect(
      retained(data)
        .map((a) => a.split('.')[0])
        .sort(),
    ).toEqual(
      [
        'aws_db_instance',
        'aws_efs_file_system',
        'aws_elasticache_replication_group',
        'aws_kms_key', // bucket
        'aws_kms_key', // database
        'aws_kms_key', // cache
        'aws_kms_key', // file system
        'aws_kms_key', // control-plane logs
        'aws_cloudwatch_log_group', // control-plane (audit) logs
        'aws_kms_key', // VPC flow logs
        'aws_cloudwatch_log_group', // VPC flow logs
        'aws_prometheus_workspace',
        'aws_s3_bucket',
      ].sort(),
    );
  });

  test('the audit log group lives in the data stack with a key of its own, never skipped out of state', () => {
    const [group] = Object.values<any>(resources(data, 'aws_cloudwatch_log_group'));
    expect(group.name).toBe('/aws/eks/ai/cluster');
    // In state for good: the next cluster of the name finds it instead of failing with "already exists".
    expect(group.skip_destroy).toBeUndefined();
    expect(group.lifecycle).toEqual({ prevent_destroy: true });
    expect(group.kms_key_id).toMatch(/^\$\{aws_kms_key\.Gpu_Cluster_LogsKey_\w+\.arn\}$/);
    expect(resources(compute, 'aws_cloudwatch_log_group')).toEqual({});
    // The cluster's own key (destroyed with it) no longer serves CloudWatch Logs.
    const [policy] = Object.values<any>(compute.data.aws_iam_policy_document).filter((d) =>
      (d.statement ?? []).some((st: any) => st.sid === 'AccountAdministers'),
    );
    expect(policy.statement.map((st: any) => st.sid)).toEqual(['AccountAdministers']);
  });

  test('the network is in the data stack; the cluster stack keeps only compute', () => {
    for (const type of ['aws_vpc', 'aws_subnet', 'aws_nat_gateway', 'aws_internet_gateway', 'aws_route_table']) {
      expect(Object.keys(resources(data, type)).length).toBeGreaterThan(0);
      expect(resources(compute, type)).toEqual({});
    }
    expect(Object.keys(resources(compute, 'aws_eks_cluster'))).toHaveLength(1);
    expect(Object.keys(resources(compute, 'aws_eks_node_group')).length).toBeGreaterThan(0);
    expect(resources(data, 'aws_eks_cluster')).toEqual({});
    // Subnet groups, mount targets, users: beside their service.
    for (const type of ['aws_db_subnet_group', 'aws_elasticache_subnet_group', 'aws_efs_mount_target', 'aws_elasticache_user_group'])
      expect(Object.keys(resources(data, type)).length).toBeGreaterThan(0);
  });

  test('the data stack never reads the cluster stack; the cluster stack reads the data stack only', () => {
    expect(data.data?.terraform_remote_state).toBeUndefined();
    expect(remoteStates(compute)).toEqual([JSON.stringify({ path: '../gpu-data/gpu-data.tfstate' })]);
    expect(crossStackDependsOn(compute)).toEqual([]);
    expect(crossStackDependsOn(data)).toEqual([]);
    // Nothing of the cluster's in the data stack: no IAM, no Kubernetes, no cluster attribute. The one
    // role there delivers the VPC's flow logs: it belongs to the VPC and lives as long as it does.
    expect(JSON.stringify(data)).not.toMatch(/aws_eks_cluster|kubernetes_|helm_release/);
    expect(Object.values<any>(resources(data, 'aws_iam_role')).map((r) => r.name)).toEqual(['ai-vpc-flow-logs']);
    expect(Object.keys(data.resource).filter((t) => t.startsWith('aws_iam_'))).toEqual(['aws_iam_role', 'aws_iam_role_policy']);
    expect(Object.keys(resources(data, 'aws_iam_role_policy'))).toEqual([expect.stringMatching(/^Gpu_Network_FlowLogs_/)]);
    expect(JSON.stringify(data)).not.toMatch(/aws_iam_role(_policy)?\.(?!Gpu_Network_FlowLogs_)/);
  });

  test('security groups in the data stack carry no node rule; the cluster stack admits its nodes', () => {
    const groups = resources(data, 'aws_security_group');
    expect(Object.keys(groups)).toHaveLength(3);
    for (const g of Object.values<any>(groups)) {
      expect(g.ingress).toBeUndefined();
      expect(g.egress).toEqual([]);
    }
    const rules = Object.values<any>(resources(compute, 'aws_vpc_security_group_ingress_rule'));
    expect(rules.map((r) => r.from_port).sort()).toEqual([2049, 5432, 6379]);
    for (const r of rules) {
      expect(r.referenced_security_group_id).toBe('${aws_eks_cluster.Gpu_Cluster_6BEBD11F.vpc_config[0].cluster_security_group_id}');
      expect(r.security_group_id).toMatch(/^\$\{data\.terraform_remote_state\.cross-stack-reference-input-gpu-data\.outputs\./);
    }
  });

  test('resources keep their logical ids and physical names when they move to the data stack', () => {
    const alone = synthApp((app) => {
      const stack = new TerraformStack(app, 'gpu');
      new LocalBackend(stack, { path: 'gpu.tfstate' });
      awsProvider(stack);
      const cluster = awsCluster(stack);
      allData(stack, cluster);
      new ObservabilityStack(stack, 'Obs', { cluster, remoteWrite: RemoteWrite.amazonManagedPrometheus() });
    }).gpu;
    // `terraform state mv` between the two states, then no replacement. The audit log group keeps its
    // address too (it was skip_destroy beside the cluster); its key is new: the group takes it in place.
    // The flow log group and its key keep their addresses (skip_destroy and destroyed beside the cluster).
    const logs = ['aws_cloudwatch_log_group.Gpu_Cluster_ControlPlaneLogs_96219544', 'aws_kms_key.Gpu_Cluster_LogsKey_99DCFD12'];
    const flowLogs = ['aws_cloudwatch_log_group.Gpu_Network_FlowLogs_29A70ED4', 'aws_kms_key.Gpu_Network_FlowLogs_Key_C24319E8'];
    expect(retained(data).sort()).toEqual([...retained(alone), ...logs, ...flowLogs].sort());
    expect(Object.keys(resources(alone, 'aws_cloudwatch_log_group')).sort()).toEqual(
      [logs[0], flowLogs[0]].map((a) => a.split('.')[1]).sort(),
    );
    expect(Object.keys(resources(alone, 'aws_kms_key'))).toContain(flowLogs[1].split('.')[1]);
    const pick = (doc: any, type: string, attr: string) => Object.values<any>(resources(doc, type)).map((r) => r[attr]);
    expect(pick(data, 'aws_s3_bucket', 'bucket_prefix')).toEqual(pick(alone, 'aws_s3_bucket', 'bucket_prefix'));
    expect(pick(data, 'aws_db_instance', 'identifier')).toEqual(pick(alone, 'aws_db_instance', 'identifier'));
    expect(pick(data, 'aws_elasticache_replication_group', 'replication_group_id')).toEqual(
      pick(alone, 'aws_elasticache_replication_group', 'replication_group_id'),
    );
    expect(Object.keys(resources(data, 'aws_vpc'))).toEqual(Object.keys(resources(alone, 'aws_vpc')));
  });
});

describe('Azure: with a data stack', () => {
  const stacks = synthApp((app) => {
    const { compute, data } = stackPair(app, 'gpu', azureProvider);
    const cluster = azureCluster(compute, data);
    allData(compute, cluster);
    new ObservabilityStack(compute, 'Obs', { cluster, remoteWrite: RemoteWrite.azureMonitor() });
  });
  const compute = stacks.gpu;
  const data = stacks['gpu-data'];

  test('the cluster stack holds no prevent_destroy resource; the data stack holds every retained one', () => {
    expect(retained(compute)).toEqual([]);
    const kinds = new Set(retained(data).map((a) => a.split('.')[0]));
    expect([...kinds].sort()).toEqual(
      [
        // The control-plane audit logs and the Kubernetes secrets key (issue 18).
        'azurerm_key_vault',
        'azurerm_key_vault_key',
        'azurerm_log_analytics_workspace',
        'azurerm_managed_redis',
        'azurerm_monitor_workspace',
        'azurerm_postgresql_flexible_server',
        'azurerm_postgresql_flexible_server_database',
        'azurerm_storage_account',
        'azurerm_storage_container',
      ].sort(),
    );
  });

  test('resource group, VNet, private endpoints and DNS zones are in the data stack', () => {
    for (const type of [
      'azurerm_resource_group',
      'azurerm_virtual_network',
      'azurerm_subnet',
      'azurerm_private_endpoint',
      'azurerm_private_dns_zone',
      'azurerm_private_dns_zone_virtual_network_link',
    ]) {
      expect(Object.keys(resources(data, type)).length).toBeGreaterThan(0);
      expect(resources(compute, type)).toEqual({});
    }
    expect(Object.keys(resources(compute, 'azurerm_kubernetes_cluster'))).toHaveLength(1);
  });

  test('the data stack never reads the cluster stack; grants and secrets stay with the cluster', () => {
    expect(data.data?.terraform_remote_state).toBeUndefined();
    expect(remoteStates(compute)).toEqual([JSON.stringify({ path: '../gpu-data/gpu-data.tfstate' })]);
    expect(crossStackDependsOn(compute)).toEqual([]);
    expect(crossStackDependsOn(data)).toEqual([]);
    expect(JSON.stringify(data)).not.toMatch(/azurerm_kubernetes_cluster|azurerm_user_assigned_identity|kubernetes_|helm_release/);
    // Roles of workload identities, the workload identity's PostgreSQL administrator, the cache's key secret.
    expect(Object.keys(resources(compute, 'azurerm_role_assignment')).length).toBeGreaterThan(0);
    expect(Object.keys(resources(compute, 'azurerm_postgresql_flexible_server_active_directory_administrator'))).toHaveLength(1);
    expect(Object.keys(resources(data, 'azurerm_postgresql_flexible_server_active_directory_administrator'))).toHaveLength(1);
    expect(Object.keys(resources(compute, 'kubernetes_secret_v1'))).toContainEqual(expect.stringContaining('Cache'));
  });

  test('retained StorageClasses put volumes in the data stack resource group; the cluster identity may create them there', () => {
    const classes = Object.values<any>(resources(compute, 'kubernetes_storage_class_v1'));
    const retainedClasses = classes.filter((c) => c.reclaim_policy === 'Retain');
    expect(retainedClasses.map((c) => c.storage_provisioner).sort()).toEqual(['disk.csi.azure.com', 'file.csi.azure.com']);
    const rg =
      /^\$\{data\.terraform_remote_state\.cross-stack-reference-input-gpu-data\.outputs\.cross-stack-output-azurerm_resource_groupGpu_ResourceGroup_[0-9A-F]+name\}$/;
    for (const c of retainedClasses) expect(c.parameters.resourceGroup).toMatch(rg);
    const contributor = Object.entries<any>(resources(compute, 'azurerm_role_assignment')).filter(
      ([, r]) => r.role_definition_name === 'Contributor',
    );
    expect(contributor).toHaveLength(1);
    const [name, ra] = contributor[0];
    // The control plane's own (user-assigned) identity: the CSI drivers act as it.
    expect(ra.principal_id).toBe('${azurerm_user_assigned_identity.Gpu_Cluster_ControlPlaneIdentity_61977B72.principal_id}');
    expect(ra.principal_type).toBe('ServicePrincipal');
    // Scoped to the one group, never the subscription.
    expect(ra.scope).toMatch(
      /^\/subscriptions\/\$\{data\.azurerm_client_config\.[^}]+\.subscription_id\}\/resourceGroups\/\$\{data\.terraform_remote_state\./,
    );
    for (const c of retainedClasses) expect(c.depends_on).toContain(`azurerm_role_assignment.${name}`);
    // ... and for it to propagate: a disk provisioned before then is refused.
    const [sleepName, sleep] = Object.entries<any>(resources(compute, 'time_sleep')).find(([n]) =>
      n.includes('RetainedVolumes_Propagation'),
    )!;
    expect(sleep.depends_on).toEqual([`azurerm_role_assignment.${name}`]);
    expect(sleep.create_duration).toBe('300s');
    for (const c of retainedClasses) expect(c.depends_on).toContain(`time_sleep.${sleepName}`);
  });
});

describe('Azure: retained volumes without a data stack', () => {
  test("the StorageClass names the cluster's resource group, which the cluster identity may write", () => {
    const stack = azureStack('test', CONTEXT);
    azureCluster(stack);
    const doc = JSON.parse(Testing.synth(stack, true));
    const sc = Object.values<any>(resources(doc, 'kubernetes_storage_class_v1')).find((c) => c.metadata.name === 'premium-ssd-retain');
    expect(sc.parameters).toEqual({
      skuName: 'Premium_LRS',
      cachingMode: 'ReadOnly',
      resourceGroup: '${azurerm_resource_group.Gpu_ResourceGroup_2AE12D52.name}',
    });
    const ra = Object.values<any>(resources(doc, 'azurerm_role_assignment')).find((r) => r.role_definition_name === 'Contributor');
    expect(ra.scope).toMatch(/\/resourceGroups\/\$\{azurerm_resource_group\.Gpu_ResourceGroup_2AE12D52\.name\}$/);
  });

  test("a resource group of the user's is the one volumes go to", () => {
    const stack = azureStack('test', CONTEXT);
    azureCluster(stack, undefined, 'platform-rg');
    const doc = JSON.parse(Testing.synth(stack, true));
    const sc = Object.values<any>(resources(doc, 'kubernetes_storage_class_v1')).find((c) => c.metadata.name === 'premium-ssd-retain');
    expect(sc.parameters.resourceGroup).toBe('platform-rg');
  });
});

describe('the warning without a data stack', () => {
  const warnings = (c: GpuInferenceCluster) => c.node.metadata.filter((m) => m.type === '@cdktf/warn').map((m) => String(m.data));

  test('retained data beside GPU compute: count, and the fix', () => {
    const stack = awsStack('test', CONTEXT);
    const cluster = awsCluster(stack);
    new ObjectStore(stack, 'Docs', { cluster });
    Testing.synth(stack, true);
    expect(warnings(cluster)).toEqual([
      expect.stringMatching(
        /^dataStack \(unset\) leaves 2 resources with prevent_destroy \(test\/Docs\/Default\/Key, test\/Docs\/Default\/Bucket\) in stack 'test' beside the GPU compute: `cdktf destroy test` fails at plan, .*; pass dataStack \(a stack of its own, deployed first\)/,
      ),
    ]);
  });

  test('retained data beside the add-ons of a cluster brought along: the same warning', () => {
    const stack = awsStack('test', CONTEXT);
    const cluster = ExistingCluster.fromEks(stack, 'Shared', {
      clusterName: 'shared',
      privateSubnetIds: ['subnet-a', 'subnet-b'],
      acceleratorPools: [],
    });
    new ObservabilityStack(stack, 'Obs', { cluster, remoteWrite: RemoteWrite.amazonManagedPrometheus() });
    Testing.synth(stack, true);
    expect(cluster.node.metadata.filter((m) => m.type === '@cdktf/warn').map((m) => String(m.data))).toEqual([
      expect.stringMatching(
        /^dataStack \(unset\) leaves 1 resource with prevent_destroy \(test\/Obs\/.*\) in stack 'test' beside the add-ons installed on the cluster: `cdktf destroy test` fails at plan/,
      ),
    ]);
  });

  test('throwaway data (RemovalPolicy.DESTROY) does not count', () => {
    const stack = awsStack('test', CONTEXT);
    const cluster = awsCluster(stack);
    new ObjectStore(stack, 'Docs', { cluster, removalPolicy: RemovalPolicy.DESTROY });
    Testing.synth(stack, true);
    expect(warnings(cluster)).toEqual([]);
  });

  test('AKS: a resource group this stack creates holds the retained volumes, so destroy would stop at it', () => {
    const stack = azureStack('test', CONTEXT);
    const cluster = azureCluster(stack);
    Testing.synth(stack, true);
    expect(warnings(cluster)).toEqual([
      expect.stringMatching(
        /^dataStack \(unset\) creates resource group 'ai-rg' in stack 'test': the cluster's retained disks and file shares .* `cdktf destroy` fails at the group .*; pass dataStack .*, or cloud\.resourceGroup of a group you keep$/,
      ),
      // The audit workspace and the secrets key are retained data too (issue 18).
      AKS_RETAINED,
    ]);
    // A group of the user's, or one in a data stack, outlives the stack: nothing to say about the group.
    const own = azureStack('own', CONTEXT);
    const kept = azureCluster(own, undefined, 'platform-rg');
    Testing.synth(own, true);
    expect(warnings(kept)).toEqual([AKS_RETAINED]);
  });

  test('with a data stack, retained resources left beside the compute are still named', () => {
    const app = Testing.app({ context: CONTEXT });
    const stack = awsStack('test', undefined, app);
    const data = awsStack('test-data', undefined, app);
    const cluster = awsCluster(stack, data);
    new ObjectStore(stack, 'Docs', { cluster });
    // Made outside the cluster's data services: nothing moves it.
    new S3Bucket(stack, 'Mine', { lifecycle: { preventDestroy: true } });
    Testing.synth(stack, true);
    expect(warnings(cluster)).toEqual([
      expect.stringMatching(/^dataStack 'test-data' is set, yet stack 'test' still holds 1 resource with prevent_destroy \(test\/Mine\)/),
    ]);
  });
});

describe('dataStack problems', () => {
  test("the cluster's own stack", () => {
    const stack = awsStack('test', CONTEXT);
    awsCluster(stack, stack);
    expect(problemLines(stack)).toEqual([
      "test/Gpu: dataStack 'test' is the cluster's own stack, so its retained data still blocks `cdktf destroy test`; pass a stack of its own (deployed first), or leave dataStack unset",
    ]);
  });

  test('the in-cluster stack', () => {
    const app = Testing.app({ context: CONTEXT });
    const stack = awsStack('test', undefined, app);
    const addons = awsStack('addons', undefined, app);
    new GpuInferenceCluster(stack, 'Gpu', {
      cloud: Cloud.aws({ endpointAccess: EndpointAccess.publicAndPrivate(['203.0.113.0/24']) }),
      clusterName: 'ai',
      nodePools: [GpuNodePool.inference('l4', { gpu: Gpu.L4, maxNodes: 2 })],
      inClusterStack: addons,
      dataStack: addons,
    });
    expect(problemLines(stack)).toEqual([
      "test/Gpu: dataStack 'addons' is also the inClusterStack: the in-cluster stack is applied after the cluster's, the data stack before it; pass two different stacks",
    ]);
  });

  test('a stack that depends on the cluster stack', () => {
    const app = Testing.app({ context: CONTEXT });
    const stack = awsStack('test', undefined, app);
    const data = awsStack('test-data', undefined, app);
    data.addDependency(stack);
    awsCluster(stack, data);
    expect(problemLines(stack)).toEqual([
      "test/Gpu: dataStack 'test-data' depends on the cluster's stack 'test', and the cluster's stack is applied after its data stack (a cycle); remove the dependency, or pass another stack",
    ]);
  });

  test("names and network from a variable of the cluster's stack", () => {
    const app = Testing.app({ context: CONTEXT });
    const stack = awsStack('test', undefined, app);
    const data = awsStack('test-data', undefined, app);
    const name = new TerraformVariable(stack, 'cluster_name', { type: 'string' });
    const subnets = new TerraformVariable(stack, 'subnets', { type: 'list(string)' });
    new GpuInferenceCluster(stack, 'Gpu', {
      cloud: Cloud.aws({
        endpointAccess: EndpointAccess.publicAndPrivate(['203.0.113.0/24']),
        existingVpc: { privateSubnetIds: subnets.listValue },
      }),
      clusterName: name.stringValue,
      nodePools: [GpuNodePool.inference('l4', { gpu: Gpu.L4, maxNodes: 2 })],
      dataStack: data,
    });
    const fix =
      "but resources of dataStack 'test-data' are built from it and would read that stack (the cluster's stack reads the data stack: a cycle); declare the variable in stack 'test-data', or pass a literal";
    expect(problemLines(stack)).toEqual([
      `test/Gpu: clusterName \${var.cluster_name} is a value of stack 'test', ${fix}`,
      `test/Gpu: tags \${var.cluster_name} is a value of stack 'test', ${fix}`,
      `test/Gpu: cloud.existingVpc.privateSubnetIds \${var.subnets} is a value of stack 'test', ${fix}`,
    ]);
  });

  test('variables of the data stack are fine', () => {
    const stacks = synthApp((app) => {
      const { compute, data } = stackPair(app, 'gpu', awsProvider);
      const name = new TerraformVariable(data, 'cluster_name', { type: 'string' });
      const cluster = new GpuInferenceCluster(compute, 'Gpu', {
        cloud: Cloud.aws({ endpointAccess: EndpointAccess.publicAndPrivate(['203.0.113.0/24']) }),
        clusterName: name.stringValue,
        nodePools: [GpuNodePool.inference('l4', { gpu: Gpu.L4, maxNodes: 2 })],
        dataStack: data,
      });
      new ObjectStore(compute, 'Docs', { cluster });
    });
    expect(stacks['gpu-data'].data?.terraform_remote_state).toBeUndefined();
    expect(retained(stacks.gpu)).toEqual([]);
  });
});

describe('dataScope', () => {
  test('mirrors the path in the data stack once; without a data stack it is the scope itself', () => {
    const app = Testing.app({ context: CONTEXT });
    const stack = awsStack('test', undefined, app);
    const data = awsStack('test-data', undefined, app);
    const split = awsCluster(stack, data);
    const scope = new Construct(new Construct(stack, 'Rag'), 'Docs');
    const mirror = split.dataScope(scope);
    expect(mirror.node.path).toBe('test-data/Rag/Docs');
    expect(split.dataScope(scope)).toBe(mirror);
    expect(split.dataScope(mirror)).toBe(mirror);

    const alone = awsStack('alone', CONTEXT);
    const cluster = awsCluster(alone);
    const own = new Construct(alone, 'Docs');
    expect(cluster.dataScope(own)).toBe(own);
  });
});

describe('ExistingCluster with a data stack', () => {
  test('EKS: retained data in the data stack, which reads the cluster itself', () => {
    const stacks = synthApp((app) => {
      const { compute, data } = stackPair(app, 'shared', awsProvider);
      const subnets = new TerraformVariable(data, 'private_subnet_ids', { type: 'list(string)' });
      const cluster = ExistingCluster.fromEks(compute, 'Shared', {
        clusterName: 'platform-prod',
        privateSubnetIds: subnets.listValue,
        storageClassName: 'gp3',
        acceleratorPools: [],
        dataStack: data,
      });
      new PostgresDatabase(compute, 'Vectors', { cluster });
    });
    const data = stacks['shared-data'];
    expect(retained(stacks.shared)).toEqual([]);
    expect(retained(data).length).toBeGreaterThan(0);
    expect(data.data?.terraform_remote_state).toBeUndefined();
    expect(Object.keys(data.data.aws_eks_cluster)).toEqual([expect.stringContaining('Shared_Cluster_Lookup')]);
    expect(Object.keys(resources(stacks.shared, 'aws_vpc_security_group_ingress_rule'))).toHaveLength(1);
  });

  test('AKS: a variable of the cluster stack for the resource group is reported', () => {
    const app = Testing.app({ context: CONTEXT });
    const stack = azureStack('test', undefined, app);
    const data = azureStack('test-data', undefined, app);
    const rg = new TerraformVariable(stack, 'resource_group', { type: 'string' });
    ExistingCluster.fromAks(stack, 'Shared', {
      clusterName: 'platform-prod',
      resourceGroupName: rg.stringValue,
      storageClassName: 'managed-csi-premium',
      acceleratorPools: [],
      dataStack: data,
    });
    expect(problemLines(stack)).toEqual([
      expect.stringMatching(
        /^test\/Shared: resourceGroupName \$\{var\.resource_group\} is a value of stack 'test', but resources of dataStack 'test-data'/,
      ),
    ]);
  });
});

describe('examples: every stack with compute or add-ons and retained data has a data stack', () => {
  const stacks = synthApp((app) => {
    new AwsGpuClusterStack(app, 'aws-gpu-cluster');
    new AzureGpuClusterStack(app, 'azure-gpu-cluster');
    new RagAwsStack(app, 'rag-aws');
    new RagAzureStack(app, 'rag-azure');
    new ExistingClusterStack(app, 'existing-cluster');
    new FeatureStoreAwsStack(app, 'feature-store-aws');
    new FeatureStoreAzureStack(app, 'feature-store-azure');
  });

  test.each([
    'aws-gpu-cluster',
    'azure-gpu-cluster',
    'rag-aws',
    'rag-azure',
    'existing-cluster',
    'feature-store-aws',
    'feature-store-azure',
  ])('%s', (id) => {
    const compute = stacks[id];
    const data = stacks[`${id}-data`];
    expect(retained(compute)).toEqual([]);
    expect(retained(data).length).toBeGreaterThan(0);
    expect(data.data?.terraform_remote_state).toBeUndefined();
    // Local state outside cdktf.out (terraform-state/ at the project root): both stacks resolve the same file.
    expect(remoteStates(compute)).toEqual([JSON.stringify({ path: `../../../terraform-state/${id}-data.tfstate` })]);
    expect(data.terraform.backend.local.path).toBe(`../../../terraform-state/${id}-data.tfstate`);
    expect(crossStackDependsOn(compute)).toEqual([]);
  });
});

test('clients of a split database, cache or file system wait for the nodes rule that lets them in', () => {
  const app = Testing.app({ context: CONTEXT });
  const { compute, data } = stackPair(app, 'gpu', awsProvider);
  const cluster = awsCluster(compute, data);
  const identity = cluster.bindServiceAccount(compute, 'Api', { namespace: 'rag', serviceAccountName: 'api' });
  const db = new PostgresDatabase(compute, 'Vectors', { cluster });
  const cache = new KeyValueCache(compute, 'Cache', { cluster });
  const fs = cluster.dataServices.sharedFileSystem(new Construct(compute, 'Models'), {});
  // What a bootstrap Job, a staging Job or an app waits for, as each construct gives it.
  const rules = (list: unknown[]) => list.filter((d) => d instanceof VpcSecurityGroupIngressRule).map((r) => (r as Construct).node.path);
  expect(rules(db.grantConnect(identity, 'api').dependables)).toEqual(['gpu/Vectors/Default/NodeIngress']);
  expect(rules(db.grantAdmin(identity).dependables)).toEqual(['gpu/Vectors/Default/NodeIngress']);
  expect(rules(cache.grantReadWrite(identity).dependables)).toEqual(['gpu/Cache/Default/NodeIngress']);
  expect(rules(fs.dependables)).toEqual([expect.stringMatching(/^gpu\/Models\/.*NodeIngress$/)]);
});
