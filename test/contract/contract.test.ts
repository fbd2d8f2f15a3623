// One suite of contract checks, run against every implementation of IAcceleratorCluster: a new EKS cluster,
// a new AKS cluster, an existing EKS cluster and an existing AKS cluster. Add-ons rely on exactly these.
import { App, TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import {
  AcceleratorKind,
  Cloud,
  CloudProvider,
  EndpointAccess,
  ExistingCluster,
  ExistingPoolProps,
  Gpu,
  GpuInferenceCluster,
  GpuNodePool,
  IAcceleratorCluster,
  MigLayout,
  ObservabilityStack,
  PostgresDatabase,
  TaintEffect,
} from '../../lib';
import { awsStack, azureStack, problemLines, resources, synthJson } from '../helpers';

type Impl = {
  name: string;
  cloud: CloudProvider;
  make: (stack: TerraformStack) => IAcceleratorCluster;
  stack: (app?: App, id?: string) => TerraformStack;
  runsGpuOperator: boolean;
};

const existingPools: ExistingPoolProps[] = [
  {
    name: 'h100',
    gpu: Gpu.H100_80GB,
    labels: { 'nvidia.com/gpu.product': 'NVIDIA-H100-80GB-HBM3' },
    taints: [{ key: 'nvidia.com/gpu', value: 'true', effect: TaintEffect.NO_SCHEDULE }],
    capacity: [{ name: 'nvidia.com/mig-1g.10gb', count: 56 }],
    maxNodes: 4,
  },
  { name: 'l4', labels: { pool: 'l4' }, capacity: [{ name: 'nvidia.com/gpu', count: 1 }], maxNodes: 8 },
];

const impls: Impl[] = [
  {
    name: 'GpuInferenceCluster on EKS',
    cloud: CloudProvider.AWS,
    stack: (app, id) => awsStack(id, undefined, app),
    runsGpuOperator: true,
    make: (stack) =>
      new GpuInferenceCluster(stack, 'Cluster', {
        cloud: Cloud.aws({ endpointAccess: EndpointAccess.publicAndPrivate(['203.0.113.0/24']) }),
        clusterName: 'ai',
        nodePools: [
          GpuNodePool.inference('h100', { gpu: Gpu.H100_80GB, mig: MigLayout.uniform('1g.10gb'), maxNodes: 4 }),
          GpuNodePool.inference('l4', { gpu: Gpu.L4, maxNodes: 8 }),
        ],
      }),
  },
  {
    name: 'GpuInferenceCluster on AKS',
    cloud: CloudProvider.AZURE,
    stack: (app, id) => azureStack(id, undefined, app),
    runsGpuOperator: true,
    make: (stack) =>
      new GpuInferenceCluster(stack, 'Cluster', {
        cloud: Cloud.azure({ location: 'eastus2', authorizedIpRanges: ['203.0.113.0/24'] }),
        clusterName: 'ai',
        nodePools: [
          GpuNodePool.inference('h100', { gpu: Gpu.H100_NVL_94GB, mig: MigLayout.uniform('1g.12gb'), maxNodes: 4 }),
          GpuNodePool.inference('t4', { gpu: Gpu.T4, maxNodes: 8 }),
        ],
      }),
  },
  {
    name: 'ExistingCluster from EKS',
    cloud: CloudProvider.AWS,
    stack: (app, id) => awsStack(id, undefined, app),
    runsGpuOperator: false,
    make: (stack) =>
      ExistingCluster.fromEks(stack, 'Cluster', {
        clusterName: 'shared',
        storageClassName: 'gp3',
        privateSubnetIds: ['subnet-a', 'subnet-b'],
        acceleratorPools: existingPools,
      }),
  },
  {
    name: 'ExistingCluster from AKS',
    cloud: CloudProvider.AZURE,
    stack: (app, id) => azureStack(id, undefined, app),
    runsGpuOperator: false,
    make: (stack) =>
      ExistingCluster.fromAks(stack, 'Cluster', {
        clusterName: 'shared',
        resourceGroupName: 'platform-rg',
        privateEndpointSubnetId: '/subscriptions/0/resourceGroups/net/providers/Microsoft.Network/virtualNetworks/hub/subnets/endpoints',
        storageClassName: 'managed-csi-premium',
        systemTolerations: [{ key: 'CriticalAddonsOnly', operator: 'Exists' }],
        acceleratorPools: existingPools,
      }),
  },
];

describe.each(impls)('$name', (impl) => {
  test('identifies its cloud, region, network, tags and storage class', () => {
    const cluster = impl.make(impl.stack());
    expect(cluster.cloudProvider).toBe(impl.cloud);
    expect(cluster.clusterName).toBeTruthy();
    expect(cluster.region).toBeTruthy();
    expect(cluster.apiEndpoint).toBeTruthy();
    expect(cluster.kubeconfigCommand).toMatch(impl.cloud === CloudProvider.AWS ? /^aws eks update-kubeconfig/ : /^az aks get-credentials/);
    expect(cluster.network.networkId).toBeTruthy();
    expect(cluster.network.privateSubnetIds.length).toBeGreaterThan(0);
    // AWS data services admit the nodes' security group; Azure filters by subnet.
    if (impl.cloud === CloudProvider.AWS) expect(cluster.network.nodeSecurityGroupId).toBeTruthy();
    else expect(cluster.resourceGroupName).toBeTruthy();
    expect(cluster.storageClassName).toBeTruthy();
    expect(cluster.tags).toEqual(expect.any(Object));
    expect(cluster.dataServices).toBeDefined();
  });

  test('describes every accelerator pool by labels, taints and per-node capacity', () => {
    const cluster = impl.make(impl.stack());
    // Every declared pool, in order: the AKS cluster's small pool is 't4', the others' 'l4'.
    expect(cluster.acceleratorPools.map((p) => p.name)).toEqual(['h100', impl.name === 'GpuInferenceCluster on AKS' ? 't4' : 'l4']);
    for (const pool of cluster.acceleratorPools) {
      expect(Object.keys(pool.labels).length).toBeGreaterThan(0);
      expect(pool.capacity.length).toBeGreaterThan(0);
      expect(pool.accelerator).toBe(AcceleratorKind.NVIDIA_GPU);
      expect(pool.maxNodes).toBeGreaterThan(0);
    }
    const mig = cluster.acceleratorPools.find((p) => p.name === 'h100')!;
    expect(mig.mig).toBe(true);
    // Under the single strategy MIG slices are advertised as nvidia.com/gpu, under mixed by profile;
    // either way a node offers at least the 7 slices of one GPU.
    expect(['single', 'mixed']).toContain(cluster.migStrategy);
    const sliceName = (n: string) => (cluster.migStrategy === 'single' ? n === 'nvidia.com/gpu' : n.startsWith('nvidia.com/mig-'));
    expect(mig.capacity.filter((c) => sliceName(c.name)).reduce((n, c) => n + c.count, 0)).toBeGreaterThanOrEqual(7);
  });

  test('says where ordinary workloads run, never by tolerating an accelerator pool', () => {
    const cluster = impl.make(impl.stack());
    const expected: { [name: string]: { [k: string]: string } } = {
      'GpuInferenceCluster on EKS': { 'ai-platform.dev/role': 'system' },
      'GpuInferenceCluster on AKS': { 'ai-platform.dev/role': 'general' },
    };
    expect(cluster.workloadNodeSelector).toEqual(expected[impl.name] ?? {});
    for (const pool of cluster.acceleratorPools) {
      for (const t of pool.taints) expect(cluster.workloadTolerations.map((x) => x.key)).not.toContain(t.key);
    }
  });

  test('providers are created once per stack; another stack gets its own and is ordered after', () => {
    const app = new App();
    const home = impl.stack(app, 'home');
    const cluster = impl.make(home);
    const a = cluster.providers(new Construct(home, 'A'));
    const b = cluster.providers(new Construct(home, 'B'));
    expect(a.kubernetes).toBe(b.kubernetes);
    expect(a.helm).toBe(b.helm);
    const other = impl.stack(app, 'addons');
    const c = cluster.providers(new Construct(other, 'C'));
    expect(c.kubernetes).not.toBe(a.kubernetes);
    expect(cluster.addonDependencies(new Construct(other, 'D'))).toEqual([]);
    expect(other.dependencies).toContain(home);
  });

  test('binds a service account to an identity of its own cloud', () => {
    const stack = impl.stack();
    const cluster = impl.make(stack);
    const identity = cluster.bindServiceAccount(new Construct(stack, 'W'), 'reader', { namespace: 'rag', serviceAccountName: 'api' });
    expect(identity.cloudProvider).toBe(impl.cloud);
    expect(identity.namespace).toBe('rag');
    expect(identity.principal).toBeTruthy();
    expect(identity.dependables.length).toBeGreaterThan(0);
  });

  test('ObservabilityStack installs on it and scrapes the right DCGM exporter', () => {
    const stack = impl.stack();
    const cluster = impl.make(stack);
    new ObservabilityStack(stack, 'Obs', { cluster });
    const doc = synthJson(stack);
    const releases = Object.values(resources(doc, 'helm_release')).map((r: any) => r.name);
    expect(releases).toContain('kube-prometheus-stack');
    // With a GPU operator its exporter is scraped; without one the standalone exporter is installed.
    expect(releases.includes('dcgm-exporter')).toBe(!impl.runsGpuOperator);
    expect(cluster.gpuOperatorNamespace !== undefined).toBe(impl.runsGpuOperator);
  });
});

test('the cloud half of a cluster is not an IAcceleratorCluster, so it cannot be handed to add-ons', () => {
  const cluster = impl0();
  // @ts-expect-error ICloudCluster lacks tags, kubernetesVersion and migStrategy
  const asContract: IAcceleratorCluster = cluster.cloudCluster;
  expect(asContract).toBeDefined();
});

function impl0(): GpuInferenceCluster {
  return impls[0].make(awsStack()) as GpuInferenceCluster;
}

describe('ExistingCluster validation', () => {
  test('pool descriptions are checked, all problems at once', () => {
    const stack = awsStack();
    ExistingCluster.fromEks(stack, 'Shared', {
      clusterName: 'shared',
      storageClassName: '',
      migStrategy: 'auto',
      acceleratorPools: [
        { name: 'a', labels: {}, capacity: [], maxNodes: -1 },
        { name: 'a', labels: { x: 'y' }, capacity: [{ name: 'gpu', count: 1.5 }], maxNodes: 1 },
      ],
    });
    expect(problemLines(stack)).toEqual([
      'test/Shared: acceleratorPools[a].labels {} is empty; list a label every node of the pool carries',
      "test/Shared: acceleratorPools[a].capacity [] is empty; list what one node advertises, e.g. { name: 'nvidia.com/gpu', count: 8 }",
      "test/Shared: acceleratorPools[a].maxNodes -1 is not a whole number >= 0; give the pool's maximum size",
      "test/Shared: acceleratorPools[a].name 'a' is used twice; give every pool its own name",
      "test/Shared: acceleratorPools[a].capacity 'gpu' is not an extended resource name; use <domain>/<name>, e.g. nvidia.com/gpu",
      'test/Shared: acceleratorPools[a].capacity[gpu] 1.5 is not a whole number of devices; use an integer >= 0',
      "test/Shared: migStrategy 'auto' is not a device plugin MIG strategy; use one of none, single, mixed",
      "test/Shared: storageClassName '' is not a DNS-1123 subdomain (lower-case letters, digits, '-' and '.', alphanumeric at both ends, at most 253); use e.g. 'gp3-encrypted'",
    ]);
  });

  test('an existing cluster says where ordinary workloads run as described', () => {
    const cluster = ExistingCluster.fromEks(awsStack(), 'Shared', {
      clusterName: 'shared',
      storageClassName: 'gp3',
      acceleratorPools: existingPools,
      workloadNodeSelector: { pool: 'apps' },
      workloadTolerations: [{ key: 'apps', operator: 'Exists' }],
    });
    expect(cluster.workloadNodeSelector).toEqual({ pool: 'apps' });
    expect(cluster.workloadTolerations).toEqual([{ key: 'apps', operator: 'Exists' }]);
  });

  test('add-ons on an existing AKS cluster tolerate the CriticalAddonsOnly taint of its system pool', () => {
    const stack = azureStack();
    const plain = ExistingCluster.fromAks(stack, 'Plain', {
      clusterName: 'shared',
      resourceGroupName: 'platform-rg',
      storageClassName: 'managed-csi-premium',
      acceleratorPools: existingPools,
    });
    expect(plain.systemTolerations).toEqual([{ key: 'CriticalAddonsOnly', operator: 'Exists' }]);
    const own = ExistingCluster.fromAks(stack, 'Own', {
      clusterName: 'shared',
      resourceGroupName: 'platform-rg',
      storageClassName: 'managed-csi-premium',
      acceleratorPools: existingPools,
      systemNodeSelector: { pool: 'platform' },
      systemTolerations: [{ key: 'platform', operator: 'Exists' }],
    });
    expect(own.systemTolerations).toEqual([
      { key: 'platform', operator: 'Exists' },
      { key: 'CriticalAddonsOnly', operator: 'Exists' },
    ]);
    expect(own.systemNodeSelector).toEqual({ pool: 'platform' });
    // ...and the charts get it.
    new ObservabilityStack(stack, 'Obs', { cluster: plain });
    const values: string = Object.values(resources(synthJson(stack), 'helm_release'))
      .map((r: any) => r.values?.[0] ?? '')
      .join('\n');
    expect(values).toContain('key: CriticalAddonsOnly');
  });

  test('an existing cluster creates no cluster, only data sources', () => {
    const stack = awsStack();
    ExistingCluster.fromEks(stack, 'Shared', { clusterName: 'shared', storageClassName: 'gp3', acceleratorPools: existingPools });
    const doc = synthJson(stack);
    expect(doc.resource?.aws_eks_cluster).toBeUndefined();
    expect(Object.keys(doc.data.aws_eks_cluster)).toHaveLength(1);
  });
});

test('an existing cluster without private subnets refuses data services that need them, with the fix', () => {
  const stack = awsStack();
  const cluster = ExistingCluster.fromEks(stack, 'Shared', {
    clusterName: 'shared',
    storageClassName: 'gp3',
    acceleratorPools: existingPools,
  });
  new PostgresDatabase(stack, 'Db', { cluster });
  expect(problemLines(stack)).toEqual([
    expect.stringMatching(/^test\/Db: network\.privateSubnetIds \[\] has 0 subnets; .*give the cluster's network two or more$/),
  ]);
});
