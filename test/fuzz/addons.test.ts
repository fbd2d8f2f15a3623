import fc from 'fast-check';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { AzurermProvider } from '@cdktf/provider-azurerm/lib/provider';
import { App, TerraformStack } from 'cdktf';
import {
  ExistingCluster,
  Gpu,
  GpuQuota,
  GpuSharing,
  ObservabilityStack,
  PlatformNamespace,
  PodSecurityLevel,
  TaintEffect,
  Tenant,
} from '../../lib';
import { TRICKY, count, labels, mostly, nameLike, tags } from './arbitraries';
import { FUZZ, assertDeployableOrRefused, fuzz } from './harness';

const k8sName = mostly(fc.stringMatching(/^[a-z][a-z0-9-]{0,14}[a-z0-9]$/), fc.constantFrom(...TRICKY, 'kube-system', 'monitoring'), 2);

/** An existing pool as a platform team would describe it, sometimes wrong. */
const existingPool = fc.record({
  name: nameLike(10),
  labels: mostly(fc.constant({ 'eks.amazonaws.com/nodegroup': 'gpu' }), labels),
  taints: fc.option(
    fc.array(
      fc.record({
        key: mostly(fc.constant('nvidia.com/gpu'), fc.constantFrom(...TRICKY)),
        value: mostly(fc.constant('true'), fc.constantFrom(...TRICKY)),
        effect: mostly(fc.constant(TaintEffect.NO_SCHEDULE), fc.constantFrom('NoSchedul', '') as unknown as fc.Arbitrary<TaintEffect>),
      }),
      { maxLength: 2 },
    ),
    { nil: undefined },
  ),
  gpu: fc.constantFrom(Gpu.H100_80GB, Gpu.L4, Gpu.A100_80GB),
  capacity: mostly<{ name: string; count: number }[]>(
    fc.constantFrom([{ name: 'nvidia.com/gpu', count: 8 }], [{ name: 'nvidia.com/mig-1g.10gb', count: 56 }]),
    fc.constantFrom([], [{ name: 'gpu', count: 1.5 }]),
  ),
  maxNodes: count(8, 1),
});

const common = fc.record({
  clusterName: nameLike(20),
  pools: fc.array(existingPool, { maxLength: 2 }),
  tags,
  gpuOperatorNamespace: fc.option(k8sName, { nil: undefined }),
  systemNodeSelector: fc.option(labels, { nil: undefined }),
  systemTolerations: fc.option(
    fc.array(
      fc.record({
        key: mostly(fc.constant('CriticalAddonsOnly'), fc.constantFrom(...TRICKY)),
        operator: mostly(fc.constant('Exists'), fc.constantFrom('Equal', 'Exist', '')),
      }),
      {
        maxLength: 1,
      },
    ),
    { nil: undefined },
  ),
  storageClassName: fc.option(mostly(fc.constant('team-gp3'), fc.constantFrom(...TRICKY)), { nil: undefined }),
  namespace: k8sName,
  tenant: fc.record({
    name: k8sName,
    gpus: count(8, 1),
    costCenter: fc.option(mostly(fc.constant('cc-42'), fc.constantFrom(...TRICKY)), { nil: undefined }),
    serviceAccountName: fc.option(k8sName, { nil: undefined }),
    cpuCores: fc.option(count(512, 1), { nil: undefined }),
  }),
  sa: fc.record({ id: nameLike(20), namespace: k8sName, serviceAccountName: k8sName }),
});

function build(app: App, cloud: 'aws' | 'azure', v: typeof common extends fc.Arbitrary<infer T> ? T : never): TerraformStack[] {
  const s = new TerraformStack(app, 'fuzz');
  if (cloud === 'aws') new AwsProvider(s, 'aws', { region: 'us-east-1' });
  else new AzurermProvider(s, 'azurerm', { features: [{}] });
  const base = {
    clusterName: v.clusterName,
    acceleratorPools: v.pools,
    tags: v.tags,
    gpuOperatorNamespace: v.gpuOperatorNamespace,
    systemNodeSelector: v.systemNodeSelector,
    systemTolerations: v.systemTolerations,
  };
  const cluster =
    cloud === 'aws'
      ? ExistingCluster.fromEks(s, 'Shared', { ...base, storageClassName: v.storageClassName, privateSubnetIds: ['subnet-a', 'subnet-b'] })
      : ExistingCluster.fromAks(s, 'Shared', {
          ...base,
          storageClassName: v.storageClassName ?? 'premium-retain',
          resourceGroupName: 'platform-rg',
        });
  new ObservabilityStack(s, 'Obs', { cluster });
  new PlatformNamespace(s, 'Ns', { cluster, name: v.namespace, podSecurity: PodSecurityLevel.RESTRICTED });
  cluster.bindServiceAccount(s, v.sa.id, { namespace: v.sa.namespace, serviceAccountName: v.sa.serviceAccountName });
  if (v.pools.length) {
    const sharing = new GpuSharing(s, 'Sharing', { cluster });
    new Tenant(s, 'Team', {
      cluster,
      sharing,
      name: v.tenant.name,
      quota: [GpuQuota.of(v.pools[0].gpu, { gpus: v.tenant.gpus })],
      costCenter: v.tenant.costCenter,
      serviceAccountName: v.tenant.serviceAccountName,
      cpuCores: v.tenant.cpuCores,
    });
  }
  return [s];
}

describe('ExistingCluster with add-ons fuzz: refused with the library message, or deployable', () => {
  test('on EKS', () => fuzz(common, (v) => assertDeployableOrRefused((app) => build(app, 'aws', v)), Math.ceil(FUZZ.numRuns / 2)));
  test('on AKS', () => fuzz(common, (v) => assertDeployableOrRefused((app) => build(app, 'azure', v)), Math.ceil(FUZZ.numRuns / 2)));
});
