import * as fs from 'fs';
import * as path from 'path';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { AzurermProvider } from '@cdktf/provider-azurerm/lib/provider';
import { App, TerraformStack, TerraformVariable, Testing } from 'cdktf';
import {
  Cloud,
  EndpointAccess,
  Gpu,
  GpuInferenceCluster,
  GpuInferenceClusterProps,
  GpuNodePool,
  KubernetesVersion,
  MigLayout,
  TODAY_CONTEXT_KEY,
} from '../../lib';
import { ObservabilityStack } from '../../lib/observability-stack';
import { RemoteWrite } from '../../lib/remote-write';
import { awsStack, azureStack, problemLines, resourceNamed, resources, synthJson } from '../helpers';

// Issue "first cdktf deploy works on both clouds": what a first `cdktf deploy` of a new stack needs to get
// through one apply, checked on the synthesized Terraform.

const DEPLOYER_CIDR = '198.51.100.7/32';
const awsReachable = { endpointAccess: EndpointAccess.publicAndPrivate([DEPLOYER_CIDR]) };
const azureReachable = { location: 'eastus2', authorizedIpRanges: [DEPLOYER_CIDR] };

/** Synthesizes the whole app (cross-stack references become remote state) and returns each stack's document. */
function synthApp(app: App): { [stack: string]: any } {
  app.synth();
  const dir = path.join(app.outdir, 'stacks');
  return Object.fromEntries(fs.readdirSync(dir).map((s) => [s, JSON.parse(fs.readFileSync(path.join(dir, s, 'cdk.tf.json'), 'utf8'))]));
}

/** Two stacks, each with the cloud's provider: the cluster's and the in-cluster part's. */
function twoStacks(cloud: 'aws' | 'azure'): { app: App; cluster: TerraformStack; addons: TerraformStack } {
  const app = Testing.app();
  const cluster = new TerraformStack(app, 'cluster');
  const addons = new TerraformStack(app, 'addons');
  for (const s of [cluster, addons]) {
    if (cloud === 'aws') new AwsProvider(s, 'aws', { region: 'us-east-1' });
    else new AzurermProvider(s, 'azurerm', { features: [{}] });
  }
  return { app, cluster, addons };
}

const onePool = [GpuNodePool.inference('a', { gpu: Gpu.T4, maxNodes: 1 })];

/** Every resource of the document as `type.name` -> body. */
function allResources(doc: any): { [address: string]: any } {
  const out: { [address: string]: any } = {};
  for (const [type, byName] of Object.entries(doc.resource ?? {})) {
    for (const [name, body] of Object.entries(byName as any)) out[`${type}.${name}`] = body;
  }
  return out;
}

/** Whether `from` waits for `to` through depends_on, directly or through a chain. */
function waitsFor(doc: any, from: string, to: string): boolean {
  const all = allResources(doc);
  const seen = new Set<string>();
  const queue = [from];
  while (queue.length) {
    const cur = queue.shift()!;
    for (const dep of (all[cur]?.depends_on ?? []) as string[]) {
      if (dep === to) return true;
      if (!seen.has(dep)) {
        seen.add(dep);
        queue.push(dep);
      }
    }
  }
  return false;
}

/** The YAML block under `keys` (each key looked up among the children of the previous one). */
function yamlBlock(text: string, keys: string[]): string {
  let lines = text.split('\n');
  for (const key of keys) {
    const childIndent = Math.min(...lines.filter((l) => l.trim()).map((l) => l.length - l.trimStart().length));
    const i = lines.findIndex((l) => l.length - l.trimStart().length === childIndent && l.trimStart().startsWith(`${key}:`));
    if (i < 0) throw new Error(`no key ${keys.join('.')} (missing ${key})`);
    const end = lines.findIndex((l, j) => j > i && l.trim() !== '' && l.length - l.trimStart().length <= childIndent);
    lines = lines.slice(i + 1, end < 0 ? undefined : end);
  }
  return lines.join('\n');
}

describe('(1) EKS: a private endpoint in a VPC this stack creates', () => {
  test('with the in-cluster part in the same stack, the problem names the way out', () => {
    const stack = awsStack();
    new GpuInferenceCluster(stack, 'Gpu', { cloud: Cloud.aws(), clusterName: 'ai', nodePools: onePool });
    expect(problemLines(stack)).toEqual([
      expect.stringMatching(
        /^test\/Gpu\/Cluster: cloud\.endpointAccess PRIVATE with a VPC this stack creates cannot be reached by Terraform[^;]*; allow the deployer's egress CIDR .* or set inClusterStack /,
      ),
    ]);
  });

  test('with inClusterStack, the cluster stack holds no chart and the addons stack reaches the cluster through remote state', () => {
    const { app, cluster, addons } = twoStacks('aws');
    const gpu = new GpuInferenceCluster(cluster, 'Gpu', {
      cloud: Cloud.aws(),
      clusterName: 'ai',
      nodePools: onePool,
      inClusterStack: addons,
    });
    expect(gpu.inClusterScope.node.scope).toBe(addons);
    const docs = synthApp(app);
    expect(Object.values(resources(docs.cluster, 'aws_eks_cluster'))[0].vpc_config.endpoint_public_access).toBe(false);
    expect(resources(docs.cluster, 'helm_release')).toEqual({});
    expect(docs.cluster.provider.kubernetes).toBeUndefined();
    expect(
      Object.values(resources(docs.addons, 'helm_release'))
        .map((r: any) => r.chart)
        .sort(),
    ).toEqual(['cluster-autoscaler', 'gpu-operator']);
    expect(docs.addons.provider.kubernetes).toHaveLength(1);
    expect(docs.addons.provider.kubernetes[0].host).toMatch(/^\$\{data\.terraform_remote_state\..*\.outputs\..*endpoint\}$/);
    expect(docs.addons.provider.helm[0].kubernetes.host).toMatch(/data\.terraform_remote_state\./);
  });
});

describe('(2) AKS: a private cluster in a VNet this stack creates', () => {
  test('with the in-cluster part in the same stack, the problem names the way out', () => {
    const stack = azureStack();
    new GpuInferenceCluster(stack, 'Gpu', { cloud: Cloud.azure({ location: 'eastus2' }), clusterName: 'ai', nodePools: onePool });
    expect(problemLines(stack)).toEqual([
      expect.stringMatching(
        /^test\/Gpu\/Cluster: cloud\.authorizedIpRanges \[\] makes a private cluster in a VNet this stack creates[^;]*; list the deployer's egress CIDR in authorizedIpRanges .* or set inClusterStack /,
      ),
    ]);
  });

  test('with an existing subnet the private cluster is fine', () => {
    const stack = azureStack();
    new GpuInferenceCluster(stack, 'Gpu', {
      cloud: Cloud.azure({
        location: 'eastus2',
        existingSubnetId: '/subscriptions/0/resourceGroups/n/providers/Microsoft.Network/virtualNetworks/v/subnets/s',
      }),
      clusterName: 'ai',
      nodePools: onePool,
    });
    expect(problemLines(stack)).toEqual([]);
  });

  test('with inClusterStack, the cluster stack holds no chart and the addons stack reaches the cluster through remote state', () => {
    const { app, cluster, addons } = twoStacks('azure');
    new GpuInferenceCluster(cluster, 'Gpu', {
      cloud: Cloud.azure({ location: 'eastus2' }),
      clusterName: 'ai',
      nodePools: onePool,
      inClusterStack: addons,
    });
    const docs = synthApp(app);
    expect(Object.values(resources(docs.cluster, 'azurerm_kubernetes_cluster'))[0].private_cluster_enabled).toBe(true);
    expect(resources(docs.cluster, 'helm_release')).toEqual({});
    expect(docs.cluster.provider.kubernetes).toBeUndefined();
    expect(Object.values(resources(docs.addons, 'helm_release')).map((r: any) => r.chart)).toEqual(['gpu-operator']);
    expect(docs.addons.provider.kubernetes).toHaveLength(1);
    expect(docs.addons.provider.kubernetes[0].host).toMatch(/^\$\{data\.terraform_remote_state\..*\.outputs\..*host\}$/);
  });
});

describe('(3) values from Terraform variables are never rejected', () => {
  function vars(stack: TerraformStack) {
    return {
      name: new TerraformVariable(stack, 'cluster_name', { type: 'string' }).stringValue,
      cidr: new TerraformVariable(stack, 'deployer_cidr', { type: 'string' }).stringValue,
      location: new TerraformVariable(stack, 'location', { type: 'string' }).stringValue,
      maxNodes: new TerraformVariable(stack, 'max_nodes', { type: 'number' }).numberValue,
    };
  }

  test('EKS: cluster name, a CIDR of the allow-list, a pool size', () => {
    const stack = awsStack();
    const v = vars(stack);
    new GpuInferenceCluster(stack, 'Gpu', {
      cloud: Cloud.aws({ endpointAccess: EndpointAccess.publicAndPrivate([v.cidr]) }),
      clusterName: v.name,
      nodePools: [GpuNodePool.inference('a', { gpu: Gpu.L4, maxNodes: v.maxNodes })],
    });
    expect(problemLines(stack)).toEqual([]);
    const doc = synthJson(stack);
    expect(Object.values(resources(doc, 'aws_eks_cluster'))[0]).toMatchObject({
      name: '${var.cluster_name}',
      vpc_config: { public_access_cidrs: ['${var.deployer_cidr}'] },
    });
    expect(resourceNamed(doc, 'aws_eks_node_group', 'Pool-a').scaling_config.max_size).toBe('${var.max_nodes}');
  });

  test('AKS: cluster name, a CIDR of the authorized ranges, the location, a pool size', () => {
    const stack = azureStack();
    const v = vars(stack);
    new GpuInferenceCluster(stack, 'Gpu', {
      cloud: Cloud.azure({ location: v.location, authorizedIpRanges: [v.cidr] }),
      clusterName: v.name,
      nodePools: [GpuNodePool.inference('a', { gpu: Gpu.T4, maxNodes: v.maxNodes })],
    });
    expect(problemLines(stack)).toEqual([]);
    const doc = synthJson(stack);
    expect(Object.values(resources(doc, 'azurerm_kubernetes_cluster'))[0]).toMatchObject({
      name: '${var.cluster_name}',
      location: '${var.location}',
      api_server_access_profile: { authorized_ip_ranges: ['${var.deployer_cidr}'] },
    });
    expect(resourceNamed(doc, 'azurerm_kubernetes_cluster_node_pool', 'Pool-a').max_count).toBe('${var.max_nodes}');
  });
});

test('(4) problems of two pools and of the cloud come in one error, each once', () => {
  const stack = awsStack();
  new GpuInferenceCluster(stack, 'Gpu', {
    cloud: Cloud.aws(awsReachable),
    clusterName: '1-bad_name',
    nodePools: [
      GpuNodePool.inference('a', { gpu: Gpu.L4, minNodes: 2, maxNodes: 1 }),
      GpuNodePool.inference('b', { gpu: Gpu.L4, mig: MigLayout.uniform('1g.10gb'), maxNodes: 1 }),
    ],
  });
  expect(() => synthJson(stack)).toThrow(/^3 problems in the cdktf-ai-platform constructs; fix them all, then synthesize again:\n/);
  const lines = problemLines(stack);
  expect(lines).toHaveLength(3);
  expect(new Set(lines).size).toBe(3);
  expect(lines).toEqual(
    expect.arrayContaining([
      expect.stringMatching(/^test\/Gpu: nodePools\[a\]\.minNodes 2 is greater than maxNodes 1/),
      expect.stringMatching(/^test\/Gpu: nodePools\[b\]\.mig /),
      expect.stringMatching(/^test\/Gpu: clusterName '1-bad_name' is not a valid EKS cluster name/),
    ]),
  );
});

describe('(5) Kubernetes version and the support window', () => {
  const warnings = (c: GpuInferenceCluster) => c.node.metadata.filter((m) => m.type === '@cdktf/warn').map((m) => String(m.data));
  const eks = (today: string, kubernetesVersion?: KubernetesVersion) => {
    const stack = awsStack('test', { [TODAY_CONTEXT_KEY]: today });
    const cluster = new GpuInferenceCluster(stack, 'Gpu', {
      cloud: Cloud.aws(awsReachable),
      clusterName: 'ai',
      nodePools: onePool,
      kubernetesVersion,
    });
    return { stack, cluster };
  };

  test('the default is 1.35, with no warning well inside its support window', () => {
    const { stack, cluster } = eks('2026-06-01');
    expect(KubernetesVersion.DEFAULT.version).toBe('1.35');
    expect(cluster.kubernetesVersion.version).toBe('1.35');
    expect(Object.values(resources(synthJson(stack), 'aws_eks_cluster'))[0].version).toBe('1.35');
    expect(warnings(cluster)).toEqual([]);
  });

  test('a warning within 90 days of the end of standard support', () => {
    const { cluster } = eks('2027-01-15');
    expect(warnings(cluster)).toEqual([
      expect.stringMatching(/^kubernetesVersion '1\.35' leaves EKS standard support on 2027-03-27, in 71 days/),
    ]);
  });

  test('a version out of support is a warning too, not an error', () => {
    const { stack, cluster } = eks('2027-01-15', KubernetesVersion.V1_33);
    expect(warnings(cluster)).toEqual([expect.stringMatching(/^kubernetesVersion '1\.33' left EKS standard support on 2026-07-29/)]);
    expect(problemLines(stack)).toEqual([]);
  });
});

test('(6) the MIG manager reboots the node to change MIG mode, only where MIG is used', () => {
  const values = (pool: GpuNodePool) => {
    const stack = awsStack();
    new GpuInferenceCluster(stack, 'Gpu', { cloud: Cloud.aws(awsReachable), clusterName: 'ai', nodePools: [pool] });
    return resourceNamed(synthJson(stack), 'helm_release', 'GpuOperator').values[0] as string;
  };
  const mig = values(GpuNodePool.inference('llm', { gpu: Gpu.H100_80GB, mig: MigLayout.uniform('1g.10gb'), maxNodes: 1 }));
  expect(yamlBlock(mig, ['migManager'])).toMatch(/^ {2}enabled: true\n {2}env:\n {4}- name: WITH_REBOOT\n {6}value: "true"\n/);
  const plain = values(GpuNodePool.inference('l4', { gpu: Gpu.L4, maxNodes: 1 }));
  expect(yamlBlock(plain, ['migManager']).trimEnd()).toBe('  enabled: false');
});

describe('EKS reference cluster', () => {
  const stack = awsStack();
  new GpuInferenceCluster(stack, 'Gpu', {
    cloud: Cloud.aws({ ...awsReachable, adminPrincipalArns: ['arn:aws:iam::123456789012:role/platform-admin'] }),
    clusterName: 'ai',
    nodePools: [
      GpuNodePool.inference('uni', { gpu: Gpu.H100_80GB, mig: MigLayout.uniform('1g.10gb'), maxNodes: 1 }),
      GpuNodePool.inference('mix', {
        gpu: Gpu.A100_80GB,
        mig: MigLayout.mixed([
          { profile: '3g.40gb', count: 1 },
          { profile: '1g.10gb', count: 4 },
        ]),
        maxNodes: 1,
      }),
      GpuNodePool.inference('l4', { gpu: Gpu.L4, maxNodes: 2 }),
      GpuNodePool.neuron('inf2', { instanceType: 'inf2.8xlarge', maxNodes: 2 }),
    ],
  });
  const doc = synthJson(stack);
  const asgTags = (pool: string) =>
    Object.fromEntries(
      Object.entries(resources(doc, 'aws_autoscaling_group_tag'))
        .filter(([n]) => n.includes(`Pool-${pool}_`))
        .map(([, r]) => [r.tag.key.replace('k8s.io/cluster-autoscaler/node-template/resources/', ''), r.tag.value]),
    );

  test('(7) scale from zero: MIG pools under mixed expect no whole GPU, Neuron pools their cores, whole-GPU pools the accelerator label', () => {
    expect(asgTags('uni')).toEqual({ 'nvidia.com/gpu': '0', 'nvidia.com/mig-1g.10gb': '7' });
    expect(asgTags('mix')).toEqual({ 'nvidia.com/gpu': '0', 'nvidia.com/mig-3g.40gb': '8', 'nvidia.com/mig-1g.10gb': '32' });
    // inf2.8xlarge: one Inferentia2 chip, two NeuronCores.
    expect(asgTags('inf2')).toEqual({ 'aws.amazon.com/neuron': '1', 'aws.amazon.com/neuroncore': '2' });
    expect(asgTags('l4')).toEqual({ 'nvidia.com/gpu': '1' });
    expect(resourceNamed(doc, 'aws_eks_node_group', 'Pool-l4').labels['k8s.amazonaws.com/accelerator']).toBe('nvidia-l4');
    // A MIG node may advertise no whole GPU: the label would keep it "unready" for the autoscaler.
    for (const p of ['uni', 'mix', 'inf2'])
      expect(resourceNamed(doc, 'aws_eks_node_group', `Pool-${p}`).labels['k8s.amazonaws.com/accelerator']).toBeUndefined();
  });

  test('(8) access: the deployer gets its own entry from the session context; in-cluster resources wait for it, not for admins', () => {
    const eks = Object.values(resources(doc, 'aws_eks_cluster'))[0];
    expect(eks.access_config).toEqual({ authentication_mode: 'API', bootstrap_cluster_creator_admin_permissions: false });
    const session = Object.entries<any>(doc.data.aws_iam_session_context);
    expect(session).toHaveLength(1);
    expect(session[0][1].arn).toMatch(/^\$\{data\.aws_caller_identity\..*\.arn\}$/);
    const entry = resourceNamed(doc, 'aws_eks_access_entry', 'DeployerEntry');
    expect(entry.principal_arn).toBe(`\${data.aws_iam_session_context.${session[0][0]}.issuer_arn}`);
    const assoc = resourceNamed(doc, 'aws_eks_access_policy_association', 'DeployerAdmin');
    expect(assoc).toMatchObject({
      policy_arn: 'arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy',
      access_scope: { type: 'cluster' },
    });
    expect(assoc.principal_arn).toMatch(/^\$\{aws_eks_access_entry\..*DeployerEntry.*\.principal_arn\}$/);
    const deployer = `aws_eks_access_policy_association.${Object.keys(resources(doc, 'aws_eks_access_policy_association')).find((n) => n.includes('DeployerAdmin'))}`;
    const releases = Object.values(resources(doc, 'helm_release'));
    expect(releases.length).toBeGreaterThan(0);
    for (const r of releases) {
      expect(r.depends_on).toContain(deployer);
      expect(r.depends_on.filter((d: string) => /Admin0/.test(d))).toEqual([]);
    }
  });

  test('(9) the Neuron chart gets its healthcheck namespace first and a scheduler matching the control plane', () => {
    const ns = Object.entries(resources(doc, 'kubernetes_namespace_v1')).find(([, r]) => r.metadata.name === 'neuron-healthcheck-system');
    expect(ns).toBeDefined();
    const neuron = resourceNamed(doc, 'helm_release', 'Neuron');
    expect(neuron.depends_on).toContain(`kubernetes_namespace_v1.${ns![0]}`);
    expect(yamlBlock(neuron.values[0], ['scheduler', 'customScheduler', 'image'])).toBe(
      '      repository: registry.k8s.io/kube-scheduler\n      tag: v1.35.3',
    );
    expect(yamlBlock(neuron.values[0], ['npd'])).toContain('namespaceOverride: neuron-healthcheck-system');
  });

  test('(14) Pod Identity trust is limited to this account; control-plane logs are encrypted and kept; unsupported zones are excluded', () => {
    const trusts = Object.entries(doc.data.aws_iam_policy_document).filter(([n]) => /_(autoscaler|ebs-csi)_Trust_/.test(n));
    expect(trusts).toHaveLength(2);
    for (const [, t] of trusts as [string, any][]) {
      expect(t.statement[0].principals).toEqual([{ type: 'Service', identifiers: ['pods.eks.amazonaws.com'] }]);
      expect(t.statement[0].condition).toEqual([
        {
          test: 'StringEquals',
          variable: 'aws:SourceAccount',
          values: [expect.stringMatching(/^\$\{data\.aws_caller_identity\..*\.account_id\}$/)],
        },
      ]);
    }
    const logs = Object.values(resources(doc, 'aws_cloudwatch_log_group'))[0];
    expect(logs).toMatchObject({ name: '/aws/eks/ai/cluster', retention_in_days: 365, skip_destroy: true });
    expect(logs.kms_key_id).toMatch(/^\$\{aws_kms_key\..*\.arn\}$/);
    const key = Object.values(resources(doc, 'aws_kms_key'))[0];
    expect(key.policy).toMatch(/^\$\{data\.aws_iam_policy_document\..*SecretsKeyPolicy.*\.json\}$/);
    const keyPolicy: any = Object.entries(doc.data.aws_iam_policy_document).find(([n]) => n.includes('SecretsKeyPolicy'))![1];
    const logsStatement = keyPolicy.statement.find((s: any) => s.sid === 'ControlPlaneLogs');
    expect(logsStatement.condition[0].values[0]).toMatch(/:log-group:\/aws\/eks\/ai\/cluster$/);
    expect(Object.values(doc.data.aws_availability_zones)[0]).toMatchObject({ exclude_zone_ids: ['use1-az3', 'usw1-az2', 'cac1-az3'] });
  });
});

test('(14) retainLogsOnDestroy: false lets the log group go with the stack', () => {
  const stack = awsStack();
  new GpuInferenceCluster(stack, 'Gpu', {
    cloud: Cloud.aws({ ...awsReachable, retainLogsOnDestroy: false }),
    clusterName: 'ai',
    nodePools: onePool,
  });
  expect(Object.values(resources(synthJson(stack), 'aws_cloudwatch_log_group'))[0].skip_destroy).toBe(false);
});

describe('AKS reference cluster', () => {
  const stack = azureStack();
  const cluster = new GpuInferenceCluster(stack, 'Gpu', {
    cloud: Cloud.azure(azureReachable),
    clusterName: 'ai-az',
    nodePools: [
      GpuNodePool.inference('inference01', { gpu: Gpu.A100_80GB, mig: MigLayout.uniform('1g.10gb'), maxNodes: 4 }),
      GpuNodePool.training('train', { gpu: Gpu.A100_80GB, spot: true, maxNodes: 2 }),
    ],
  });
  new ObservabilityStack(stack, 'Obs', { cluster, remoteWrite: RemoteWrite.azureMonitor() });
  const doc = synthJson(stack);
  const kps = () => resourceNamed(doc, 'helm_release', 'KubePrometheusStack').values[0] as string;
  const operator = () => resourceNamed(doc, 'helm_release', 'GpuOperator').values[0] as string;
  const CRITICAL = /^ *- key: CriticalAddonsOnly\n *operator: Exists$/m;

  test('(10) kube-prometheus-stack hook Jobs and the GPU operator control plane run on the tainted system pool', () => {
    for (const keys of [
      ['prometheusOperator', 'admissionWebhooks', 'patch'],
      ['prometheusOperator', 'admissionWebhooks', 'deployment'],
      ['crds', 'upgradeJob'],
    ]) {
      expect(yamlBlock(kps(), [...keys, 'tolerations'])).toMatch(CRITICAL);
      expect(yamlBlock(kps(), [...keys, 'nodeSelector'])).toMatch(/ai-platform\.dev\/role: system/);
    }
    for (const keys of [['operator'], ['node-feature-discovery', 'master'], ['node-feature-discovery', 'gc']]) {
      expect(yamlBlock(operator(), [...keys, 'tolerations'])).toMatch(CRITICAL);
    }
  });

  test("(11) in-cluster resources wait for the deployer's RBAC role assignment to apply", () => {
    // One wait for the deployer's data-plane role; the other (ControlPlaneSubnetPropagation) holds the cluster itself.
    const sleeps = Object.entries(resources(doc, 'time_sleep')).filter(([name]) => name.includes('DeployerRbacPropagation'));
    expect(sleeps).toHaveLength(1);
    const [sleepName, sleep] = sleeps[0];
    const assignment = Object.entries(resources(doc, 'azurerm_role_assignment')).find(
      ([, r]) => r.role_definition_name === 'Azure Kubernetes Service RBAC Cluster Admin',
    )!;
    expect(assignment).toBeDefined();
    expect(sleep.create_duration).toBe('300s');
    expect(sleep.depends_on).toEqual([`azurerm_role_assignment.${assignment[0]}`]);
    expect(sleep.triggers).toEqual({ assignment: `\${azurerm_role_assignment.${assignment[0]}.id}` });
    expect(doc.provider.time).toBeDefined();
    const inCluster = Object.keys(allResources(doc)).filter((a) => a.startsWith('helm_release.') || a.startsWith('kubernetes_'));
    expect(inCluster.length).toBeGreaterThan(5);
    for (const a of inCluster) expect([a, waitsFor(doc, a, `time_sleep.${sleepName}`)]).toEqual([a, true]);
  });

  test("(12) Azure Monitor defaults to the cluster's resource group (by reference) and location; remote write uses workload identity", () => {
    for (const type of ['azurerm_monitor_workspace', 'azurerm_monitor_data_collection_endpoint', 'azurerm_monitor_data_collection_rule']) {
      const r = Object.values(resources(doc, type))[0];
      expect(r.resource_group_name).toMatch(/^\$\{azurerm_resource_group\..*\.name\}$/);
      expect(r.location).toBe('eastus2');
    }
    expect(cluster.resourceGroupName).toBeDefined();
    const remote = yamlBlock(kps(), ['prometheus', 'prometheusSpec', 'remoteWrite']);
    expect(remote).toMatch(
      /azureAd:\n\s+cloud: AzurePublic\n\s+workloadIdentity:\n\s+clientId: '\$\{azurerm_user_assigned_identity\..*\.client_id\}'\n\s+tenantId: '\$\{data\.azurerm_client_config\..*\.tenant_id\}'/,
    );
    expect(remote).not.toMatch(/sdk:/);
  });

  test('(13) MIG pools tell the autoscaler what a node will offer, and leave driver and MIG to the operator', () => {
    const pool = resourceNamed(doc, 'azurerm_kubernetes_cluster_node_pool', 'Pool-inference01');
    expect(pool.gpu_driver).toBe('None');
    expect(pool.gpu_instance).toBeUndefined();
    expect(pool.node_labels['nvidia.com/mig.config']).toBe('all-1g.10gb');
    expect(pool.tags).toMatchObject({
      'k8s.io_cluster-autoscaler_node-template_resources_nvidia.com_gpu': '7',
      'k8s.io_cluster-autoscaler_node-template_label_nvidia.com_mig.config': 'all-1g.10gb',
      'k8s.io_cluster-autoscaler_node-template_label_ai-platform.dev_mig-profile': '1g.10gb',
      'k8s.io_cluster-autoscaler_node-template_taint_nvidia.com_gpu': 'true:NoSchedule',
    });
    const spot = resourceNamed(doc, 'azurerm_kubernetes_cluster_node_pool', 'Pool-train');
    expect(spot.tags['k8s.io_cluster-autoscaler_node-template_taint_kubernetes.azure.com_scalesetpriority']).toBe('spot:NoSchedule');
    expect(spot.gpu_driver).toBe('None');
    expect(operator()).toContain('all-1g.10gb:');
  });

  test('(16) pools rotate through a temporary pool; the system pool pins its drain timeout', () => {
    expect(resourceNamed(doc, 'azurerm_kubernetes_cluster_node_pool', 'Pool-inference01')).toMatchObject({
      // The first 9 characters and 'tmp': at most AKS's 12.
      temporary_name_for_rotation: 'inferencetmp',
      upgrade_settings: { drain_timeout_in_minutes: 30 },
    });
    expect(resourceNamed(doc, 'azurerm_kubernetes_cluster_node_pool', 'Pool-train').temporary_name_for_rotation).toBe('traintmp');
    const aks = Object.values(resources(doc, 'azurerm_kubernetes_cluster'))[0];
    expect(aks.default_node_pool).toMatchObject({
      temporary_name_for_rotation: 'systemtmp',
      upgrade_settings: { drain_timeout_in_minutes: 30 },
    });
    expect(aks.tags).toEqual({ 'managed-by': 'cdktf-ai-platform', 'ai-platform-cluster': 'ai-az' });
  });
});

test('(15) Azure refuses tag names with a slash: a problem, not a failed apply', () => {
  const stack = azureStack();
  const props: GpuInferenceClusterProps = {
    cloud: Cloud.azure(azureReachable),
    clusterName: 'ai',
    nodePools: onePool,
    tags: { 'team/owner': 'ml', env: 'prod' },
  };
  new GpuInferenceCluster(stack, 'Gpu', props);
  expect(problemLines(stack)).toEqual([
    expect.stringMatching(/^test\/Gpu: tags 'team\/owner' has a character Azure rejects in tag names .*; use e\.g\. 'team-owner'$/),
  ]);
});

describe('review follow-ups', () => {
  test('AKS: MIG pools that autoscale under the mixed strategy are refused (autoscaler takes them for unready GPU nodes)', () => {
    const stack = azureStack();
    new GpuInferenceCluster(stack, 'Gpu', {
      cloud: Cloud.azure({ location: 'eastus2', authorizedIpRanges: ['198.51.100.7/32'] }),
      clusterName: 'mixed',
      nodePools: [
        GpuNodePool.inference('nvl', {
          gpu: Gpu.H100_NVL_94GB,
          mig: MigLayout.mixed([
            { profile: '3g.47gb', count: 1 },
            { profile: '2g.24gb', count: 1 },
            { profile: '1g.12gb', count: 2 },
          ]),
          maxNodes: 2,
        }),
        GpuNodePool.inference('fixed', { gpu: Gpu.A100_80GB, mig: MigLayout.uniform('1g.10gb'), minNodes: 1, maxNodes: 1 }),
      ],
    });
    expect(() => synthJson(stack)).toThrow(
      /^test\/Gpu: nodePools\[nvl\]\.mig 'mixed' under the mixed MIG strategy cannot autoscale on AKS .*; use uniform single-profile layouts on every MIG pool, or fix the pool size \(minNodes = maxNodes\)$/m,
    );
    expect(() => synthJson(stack)).not.toThrow(/nodePools\[fixed\]/);
  });

  test('EKS: a private endpoint in a new VPC admits HTTPS from the VPC, so a runner there reaches it', () => {
    const app = Testing.app();
    const stack = new TerraformStack(app, 'c');
    new AwsProvider(stack, 'aws', { region: 'us-east-1' });
    const addons = new TerraformStack(app, 'a');
    new GpuInferenceCluster(stack, 'Gpu', {
      cloud: Cloud.aws(),
      clusterName: 'p',
      nodePools: [GpuNodePool.inference('l4', { gpu: Gpu.L4, maxNodes: 1 })],
      inClusterStack: addons,
    });
    const doc = synthJson(stack);
    const sg = Object.values(resources(doc, 'aws_security_group'))[0] as any;
    expect(sg.ingress).toEqual([expect.objectContaining({ from_port: 443, to_port: 443, protocol: 'tcp' })]);
    expect(sg.ingress[0].cidr_blocks).toEqual([expect.stringMatching(/^\$\{aws_vpc\.Gpu_Network_[0-9A-F]+\.cidr_block\}$/)]);
    const eks = Object.values(resources(doc, 'aws_eks_cluster'))[0] as any;
    expect(eks.vpc_config.security_group_ids).toEqual([
      expect.stringMatching(/^\$\{aws_security_group\.Gpu_Cluster_ApiAccess_[0-9A-F]+\.id\}$/),
    ]);
  });

  test('tracing: workloads in other namespaces may reach the collector through the default-deny policy', () => {
    const stack = awsStack();
    const cluster = new GpuInferenceCluster(stack, 'Gpu', {
      cloud: Cloud.aws({ endpointAccess: EndpointAccess.publicAndPrivate(['198.51.100.7/32']) }),
      clusterName: 't',
      nodePools: [GpuNodePool.inference('l4', { gpu: Gpu.L4, maxNodes: 1 })],
    });
    new ObservabilityStack(stack, 'Obs', { cluster, tracing: { otlpEndpoint: 'tempo.tracing.svc:4317' } });
    const policies = Object.values(resources(synthJson(stack), 'kubernetes_network_policy_v1')) as any[];
    const ports = policies
      .filter(
        (p) =>
          p.metadata.namespace === 'monitoring' &&
          p.spec.policy_types.includes('Ingress') &&
          p.spec.pod_selector.match_labels?.['app.kubernetes.io/name'] === 'opentelemetry-collector',
      )
      .map((p) => p.spec.ingress[0].ports[0].port);
    expect(ports.sort()).toEqual(['4317', '4318']);
  });
});
