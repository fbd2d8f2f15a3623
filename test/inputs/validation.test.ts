import { Construct } from 'constructs';
import {
  Cloud,
  EndpointAccess,
  ExistingCluster,
  Gpu,
  GpuInferenceCluster,
  GpuNodePool,
  PlatformNamespace,
  PodSecurityLevel,
  PoolPricing,
  TaintEffect,
} from '../../lib';
import { awsStack, azureStack, problemLines, synthJson } from '../helpers';

// Each test pins one input the fuzz suite (test/fuzz) found reaching a cloud or Kubernetes API that would
// reject it, or crashing: now refused at synth as `<path>: <prop> <value> <problem>; <fix>`.

const reachableAws = Cloud.aws({ endpointAccess: EndpointAccess.publicAndPrivate(['198.51.100.0/24']) });
const reachableAzure = { location: 'eastus2', authorizedIpRanges: ['198.51.100.0/24'] };
const t4 = (labels?: { [k: string]: string }) => GpuNodePool.inference('t4', { gpu: Gpu.T4, maxNodes: 2, labels });

describe('problem report', () => {
  test('a newline in a value stays on its line (the report keeps one problem a line)', () => {
    const stack = awsStack();
    new GpuInferenceCluster(stack, 'Gpu', { cloud: reachableAws, clusterName: 'new\nline', nodePools: [t4()] });
    expect(problemLines(stack)).toEqual([
      "test/Gpu: clusterName 'new\\nline' is not a valid EKS cluster name; use 1-38 letters, digits or '-', starting with a letter",
      // The default tags carry the cluster name.
      "test/Gpu: tags[ai-platform-cluster] 'new\\nline' has characters IAM and CloudWatch Logs reject in tags; use letters, digits, spaces and _ . : / = + - @",
    ]);
  });
});

describe('GpuNodePool labels (node labels: k8s-label)', () => {
  test('keys and values Kubernetes rejects, reserved namespaces and kubelet-restricted keys are refused', () => {
    const stack = awsStack();
    new GpuInferenceCluster(stack, 'Gpu', {
      cloud: reachableAws,
      clusterName: 'ai',
      nodePools: [
        t4({
          'a/b/c': 'x',
          team: 'ümlaut',
          'ai-platform.dev/pool': 'other',
          'node-role.kubernetes.io/gpu': 'true',
          'node.kubernetes.io/lifecycle': 'ok',
        }),
      ],
    });
    expect(problemLines(stack)).toEqual([
      "test/Gpu: nodePools[t4].labels 'a/b/c' is not a Kubernetes label key (its prefix must be a DNS subdomain, e.g. example.com); use e.g. 'team' or 'example.com/team'",
      "test/Gpu: nodePools[t4].labels[team] 'ümlaut' is not a Kubernetes label value; use at most 63 letters, digits, '-', '_' or '.', alphanumeric at both ends",
      "test/Gpu: nodePools[t4].labels 'ai-platform.dev/pool' is in the reserved 'ai-platform.dev/' namespace (set by the library, the cloud or kubelet); use a key of your own domain, e.g. 'example.com/pool'",
      "test/Gpu: nodePools[t4].labels 'node-role.kubernetes.io/gpu' is in the reserved 'kubernetes.io/' namespace (set by the library, the cloud or kubelet); use a key of your own domain, e.g. 'example.com/gpu'",
    ]);
  });
});

describe('GpuInferenceCluster on EKS', () => {
  test('tags IAM and CloudWatch Logs reject (aws-tag), empty subnet ids (empty-id), a bad deployer ARN and system type', () => {
    const stack = awsStack();
    new GpuInferenceCluster(stack, 'Gpu', {
      cloud: Cloud.aws({
        existingVpc: { privateSubnetIds: ['subnet-a', ''] },
        deployerPrincipalArn: 'ci',
        systemInstanceType: 'M6I.XLARGE',
      }),
      clusterName: 'ai',
      nodePools: [t4()],
      tags: { 'aws:owner': 'me', team: 'a&b', ['k'.repeat(129)]: 'v' },
    });
    expect(problemLines(stack)).toEqual([
      "test/Gpu: tags key 'aws:owner' uses the prefix 'aws:' AWS reserves; rename the key",
      "test/Gpu: tags[team] 'a&b' has characters IAM and CloudWatch Logs reject in tags; use letters, digits, spaces and _ . : / = + - @",
      `test/Gpu: tags key '${'k'.repeat(60)}…' (129 characters) has 129 characters; AWS tag keys have 1-128`,
      "test/Gpu: existingVpc.privateSubnetIds '' is an empty id; pass real ids, e.g. 'subnet-0123456789abcdef0'",
      "test/Gpu: systemInstanceType 'M6I.XLARGE' is not an EC2 instance type; use e.g. 'm6i.xlarge'",
      "test/Gpu: deployerPrincipalArn 'ci' is not an IAM role or user ARN; pass arn:aws:iam::<account>:role/<name> (from a variable), or leave it unset for the caller",
    ]);
  });
});

describe('GpuInferenceCluster on AKS', () => {
  test('OS disk and pool size beyond AKS limits (aks-pool-value), resource group and Entra ids', () => {
    const stack = azureStack();
    new GpuInferenceCluster(stack, 'Gpu', {
      cloud: Cloud.azure({
        ...reachableAzure,
        resourceGroup: 'rg.',
        deployerPrincipalId: 'me',
        adminGroupObjectIds: ['admins'],
        systemMaxNodes: 1500,
      }),
      clusterName: 'ai',
      nodePools: [GpuNodePool.training('a100', { gpu: Gpu.A100_80GB, maxNodes: 1200, diskSizeGib: 4096 })],
    });
    expect(problemLines(stack)).toEqual([
      'test/Gpu: nodePools[a100].diskSizeGib 4096 is not a whole number in 30-2048; AKS OS disks have 30-2048 GiB',
      'test/Gpu: nodePools[a100].maxNodes 1200 is not a whole number in 1-1000; AKS pools have at most 1000 nodes',
      "test/Gpu: resourceGroup 'rg.' is not an Azure resource group name; use 1-90 letters, digits, '_', '-', '.', '(' or ')', not ending with '.'",
      "test/Gpu: deployerPrincipalId 'me' is not an Entra object id (a GUID); pass the object id, e.g. from a TerraformVariable",
      "test/Gpu: adminGroupObjectIds 'admins' is not an Entra group object id (a GUID); pass the object id, e.g. from a TerraformVariable",
      'test/Gpu: systemMaxNodes 1500 is not a whole number in 1-1000; AKS pools have at most 1000 nodes',
    ]);
  });
});

describe('ExistingCluster', () => {
  const pool = {
    name: 'h100',
    labels: { 'eks.amazonaws.com/nodegroup': 'h100' },
    capacity: [{ name: 'nvidia.com/gpu', count: 8 }],
    maxNodes: 2,
  };

  test('EKS: cluster name, tags, empty subnet ids, pool name, labels, taints, selector and tolerations', () => {
    const stack = awsStack();
    ExistingCluster.fromEks(stack, 'Shared', {
      clusterName: 'shared cluster',
      privateSubnetIds: ['', 'subnet-b'],
      tags: { 'aws:x': 'y' },
      gpuOperatorNamespace: 'GPU',
      systemNodeSelector: { 'bad key!': 'x' },
      systemTolerations: [{ key: 'CriticalAddonsOnly', operator: 'Exist' }],
      acceleratorPools: [
        {
          ...pool,
          name: '',
          labels: { pool: 'a b' },
          taints: [{ key: 'nvidia.com/gpu', value: 'true', effect: 'NoSchedul' as TaintEffect }],
        },
      ],
    });
    expect(problemLines(stack)).toEqual([
      "test/Shared: clusterName 'shared cluster' is not an EKS cluster name; use 1-100 letters, digits, '-' or '_', starting with a letter or digit",
      "test/Shared: tags key 'aws:x' uses the prefix 'aws:' AWS reserves; rename the key",
      "test/Shared: privateSubnetIds '' is an empty id; pass real ids, e.g. 'subnet-0123456789abcdef0'",
      "test/Shared: acceleratorPools[].name '' is empty; name the pool, e.g. 'h100'",
      "test/Shared: acceleratorPools[].labels[pool] 'a b' is not a Kubernetes label value; use at most 63 letters, digits, '-', '_' or '.', alphanumeric at both ends",
      "test/Shared: acceleratorPools[].taints[0].effect 'NoSchedul' is not a taint effect; use TaintEffect.NO_SCHEDULE, PREFER_NO_SCHEDULE or NO_EXECUTE",
      "test/Shared: gpuOperatorNamespace 'GPU' is not a DNS-1123 label (1-63 lower-case letters, digits or -, alphanumeric at both ends); use e.g. 'gpu-operator'",
      "test/Shared: systemNodeSelector 'bad key!' is not a Kubernetes label key (its name part must be 1-63 letters, digits, '-', '_' or '.', alphanumeric at both ends); use e.g. 'team' or 'example.com/team'",
      "test/Shared: systemTolerations[0].operator 'Exist' is not a toleration operator; use 'Exists' or 'Equal'",
    ]);
  });

  test("an existing pool's name is checked whether or not the pool has its own pricing", () => {
    const stack = awsStack();
    ExistingCluster.fromEks(stack, 'Shared', {
      clusterName: 'shared',
      acceleratorPools: [{ ...pool, name: 'big pool', pricing: PoolPricing.negotiated({ hourlyPricePerNode: 10, source: 'EDP' }) }],
    });
    expect(problemLines(stack)).toEqual([
      expect.stringMatching(/^test\/Shared: acceleratorPools\[big pool\]\.name 'big pool' is not a Kubernetes label value; /),
    ]);
  });

  test('AKS: cluster and resource group names, tag keys, kubelogin mode, control-plane principal', () => {
    const stack = azureStack();
    ExistingCluster.fromAks(stack, 'Shared', {
      clusterName: '-shared',
      resourceGroupName: 'rg/x',
      storageClassName: 'premium-retain',
      kubeloginMode: 'browser',
      controlPlanePrincipalId: 'my-identity',
      tags: { 'team/owner': 'ml' },
      acceleratorPools: [],
    });
    expect(problemLines(stack)).toEqual([
      "test/Shared: clusterName '-shared' is not an AKS cluster name; use 1-63 letters, digits, '-' or '_', alphanumeric at both ends",
      "test/Shared: controlPlanePrincipalId 'my-identity' is not a managed identity's object id (a GUID); pass the object id, e.g. from a TerraformVariable",
      "test/Shared: resourceGroupName 'rg/x' is not an Azure resource group name; use 1-90 letters, digits, '_', '-', '.', '(' or ')', not ending with '.'",
      "test/Shared: tags 'team/owner' has a character Azure rejects in tag names (< > % & \\ ? /); use e.g. 'team-owner'",
      "test/Shared: kubeloginMode 'browser' is not a kubelogin login mode; use one of azurerm, azurecli, azd, spn, msi, workloadidentity, azurepipelines",
    ]);
  });
});

describe('PlatformNamespace and bindServiceAccount (k8s-name, iam-name, azure-name)', () => {
  const eks = () => {
    const stack = awsStack();
    const cluster = ExistingCluster.fromEks(stack, 'Shared', { clusterName: 'shared', storageClassName: 'gp3', acceleratorPools: [] });
    return { stack, cluster };
  };

  test('a namespace name that is not a DNS label, or one every cluster has, is refused', () => {
    const { stack, cluster } = eks();
    new PlatformNamespace(stack, 'Bad', { cluster, name: "quo'te", podSecurity: PodSecurityLevel.RESTRICTED });
    new PlatformNamespace(stack, 'System', {
      cluster,
      name: 'kube-system',
      podSecurity: PodSecurityLevel.RESTRICTED,
      openPorts: [{ podLabels: {}, port: 0 }],
    });
    expect(problemLines(stack)).toEqual([
      "test/Bad: name 'quo'te' is not a DNS-1123 label (1-63 lower-case letters, digits or -, alphanumeric at both ends); use e.g. 'serving'",
      "test/System: name 'kube-system' is a namespace every cluster has, so creating it fails; use a namespace of your own, e.g. 'serving'",
      'test/System: openPorts[0].port 0 is not a whole number in 1-65535; use the container port, e.g. 8000',
    ]);
  });

  test('EKS: service account names Pod Identity rejects, and ids that give one IAM role name twice', () => {
    const { stack, cluster } = eks();
    cluster.bindServiceAccount(stack, 'Api', { namespace: 'Serving', serviceAccountName: 'w'.repeat(300) });
    cluster.bindServiceAccount(stack, `${'x'.repeat(60)}-a`, { namespace: 'a', serviceAccountName: 'a' });
    cluster.bindServiceAccount(stack, `${'x'.repeat(60)}-b`, { namespace: 'b', serviceAccountName: 'b' });
    expect(problemLines(stack)).toEqual([
      "test/Api: namespace 'Serving' is not a DNS-1123 label (1-63 lower-case letters, digits or -, alphanumeric at both ends); use e.g. 'serving'",
      `test/Api: serviceAccountName '${'w'.repeat(60)}…' (300 characters) is not a DNS-1123 subdomain (lower-case letters, digits, '-' and '.', alphanumeric at both ends, at most 253); use e.g. 'model-server'`,
      `test/${'x'.repeat(60)}-b: roleName 'shared-${'x'.repeat(57)}' is also the IAM role of test/${'x'.repeat(60)}-a, and role names are unique in an account; bind with ids that differ within the first 64 characters of '<cluster>-<id>'`,
    ]);
  });

  test('AKS: the federated credential name is made valid from a valid service account; a bad identity name is refused', () => {
    const stack = azureStack();
    const cluster = ExistingCluster.fromAks(stack, 'Shared', {
      clusterName: 'shared',
      resourceGroupName: 'rg',
      storageClassName: 'premium-retain',
      acceleratorPools: [],
    });
    cluster.bindServiceAccount(stack, 'Api', { namespace: 'serving', serviceAccountName: 'model.server' });
    expect(problemLines(stack)).toEqual([]);
    const cred = Object.values(synthJson(stack).resource.azurerm_federated_identity_credential)[0] as any;
    expect(cred.name).toBe('serving-model-server');
    expect(cred.subject).toBe('system:serviceaccount:serving:model.server');
    const other = azureStack();
    const c2 = ExistingCluster.fromAks(other, 'Shared', {
      clusterName: 'shared',
      resourceGroupName: 'rg',
      storageClassName: 'premium-retain',
      acceleratorPools: [],
    });
    c2.bindServiceAccount(other, 'with space', { namespace: 'serving', serviceAccountName: 'api' });
    expect(problemLines(other)).toEqual([
      expect.stringMatching(
        /^test\/with space: identityName 'shared-with space' \(the cluster name and the binding's id\) is not a managed identity name; .*bind with an id of letters, digits and '-'$/,
      ),
    ]);
  });
});

describe('ExistingCluster.fromAks: the control-plane identity the CSI drivers act as', () => {
  const grants = (props: { controlPlanePrincipalId?: string }, sharedFileSystem = true) => {
    const stack = azureStack();
    const cluster = ExistingCluster.fromAks(stack, 'Shared', {
      clusterName: 'shared',
      resourceGroupName: 'platform-rg',
      storageClassName: 'premium-retain',
      acceleratorPools: [],
      ...props,
    });
    // A shared file system keeps its shares in the cluster's group: the control plane is granted there.
    if (sharedFileSystem) cluster.dataServices.sharedFileSystem(new Construct(stack, 'Cache'), {});
    const doc = synthJson(stack);
    return {
      lookup: Object.values<any>(doc.data.azurerm_kubernetes_cluster)[0],
      contributor: Object.values<any>(doc.resource?.azurerm_role_assignment ?? {}).filter((r) => r.role_definition_name === 'Contributor'),
    };
  };

  test('system-assigned by default: plan fails with the fix when the cluster has another kind of identity', () => {
    const { contributor } = grants({});
    expect(contributor).toHaveLength(1);
    expect(contributor[0].principal_id).toMatch(/^\$\{data\.azurerm_kubernetes_cluster\.\w+\.identity\[0\]\.principal_id\}$/);
    expect(contributor[0].lifecycle.precondition).toEqual([
      {
        // try(): a cluster run by a service principal has no identity block at all.
        condition: expect.stringMatching(
          /^\$\{\(?try\(data\.azurerm_kubernetes_cluster\.\w+\.identity\[0\]\.type, ""\) == "SystemAssigned"\)?\}$/,
        ),
        error_message: expect.stringMatching(/system-assigned identity.*; pass controlPlanePrincipalId/),
      },
    ]);
  });

  test('a user-assigned identity named by its principal id: that id is granted, nothing checked', () => {
    const { contributor } = grants({ controlPlanePrincipalId: '00000000-0000-4000-8000-000000000001' });
    expect(contributor[0].principal_id).toBe('00000000-0000-4000-8000-000000000001');
    expect(contributor[0].lifecycle).toBeUndefined();
  });

  test('nothing needs the identity (no shared file system): no grant, no check', () => {
    const { lookup, contributor } = grants({}, false);
    expect(contributor).toEqual([]);
    expect(lookup.lifecycle).toBeUndefined();
  });
});
