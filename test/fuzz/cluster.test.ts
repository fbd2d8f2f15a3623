import fc from 'fast-check';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { AzurermProvider } from '@cdktf/provider-azurerm/lib/provider';
import { App, TerraformStack } from 'cdktf';
import { Cloud, EndpointAccess, Gpu, GpuInferenceCluster, GpuNodePool, MigLayout } from '../../lib';
import { TRICKY, count, labels, mostly, nameLike, tags } from './arbitraries';
import { assertDeployableOrRefused, fuzz } from './harness';

const gpus = Gpu.all();

/** One pool description for `cloud`, realised later (factories may throw on their own arguments); mostly coherent. */
function poolOn(cloud: 'aws' | 'azure') {
  const offered = gpus.filter((g) => (cloud === 'aws' ? g.awsInstanceTypes : g.azureVmSizes).length > 0).map((g) => g.name);
  return mostly(fc.constantFrom(...offered), fc.constantFrom(...gpus.map((g) => g.name)), 1).chain((gpuName) => {
    const gpu = gpus.find((g) => g.name === gpuName)!;
    const neuron = gpu.kind === 'AWS_NEURON';
    const profiles = gpu.migProfiles.filter((m) => !m.mediaExtensions).map((m) => m.name);
    const types = (cloud === 'aws' ? gpu.awsInstanceTypes : gpu.azureVmSizes).map((o) => o.instanceType);
    const sharing = mostly<{ mig?: string; timeSlicing?: number }>(
      fc.oneof(
        fc.constant({}),
        profiles.length ? fc.record({ mig: fc.constantFrom(...profiles) }) : fc.record({ timeSlicing: fc.integer({ min: 2, max: 48 }) }),
      ),
      fc.record({ mig: fc.constantFrom(...TRICKY, '1g.10gb'), timeSlicing: count(60) }, { requiredKeys: [] }),
    );
    return fc.record({
      kind: neuron
        ? mostly(fc.constant('neuron'), fc.constantFrom('inference', 'training'))
        : mostly(fc.constantFrom('inference', 'training'), fc.constant('neuron')),
      name: nameLike(11),
      gpu: fc.constant(gpuName),
      sharing,
      minNodes: fc.option(count(3), { nil: undefined }),
      maxNodes: count(20, 3),
      diskSizeGib: fc.option(mostly(fc.integer({ min: 50, max: 2048 }), fc.constantFrom(20, 3000, 16384, 20000, 0.5)), { nil: undefined }),
      labels: fc.option(labels, { nil: undefined }),
      spot: fc.boolean(),
      allowSpot: mostly(fc.constant(true), fc.constant(false)),
      instanceType: fc.option(
        types.length
          ? mostly(fc.constantFrom(...types), fc.constantFrom(...TRICKY, 'g5.xlarge', 'inf2.xlarge'))
          : fc.constantFrom(...TRICKY),
        { nil: undefined, freq: 2 },
      ),
    });
  });
}
const pool = poolOn('aws');
type PoolSpec = typeof pool extends fc.Arbitrary<infer T> ? T : never;

function makePool(p: PoolSpec): GpuNodePool {
  const gpu = gpus.find((g) => g.name === p.gpu)!;
  const base = { minNodes: p.minNodes, maxNodes: p.maxNodes, diskSizeGib: p.diskSizeGib, labels: p.labels };
  if (p.kind === 'neuron') return GpuNodePool.neuron(p.name, { ...base, instanceType: p.instanceType ?? 'inf2.xlarge', spot: p.spot });
  if (p.kind === 'training')
    return GpuNodePool.training(p.name, { ...base, gpu, spot: p.spot, instanceTypes: p.instanceType ? [p.instanceType] : undefined });
  return GpuNodePool.inference(p.name, {
    ...base,
    gpu,
    mig: p.sharing.mig !== undefined ? MigLayout.uniform(p.sharing.mig) : undefined,
    timeSlicing: p.sharing.timeSlicing,
    spot: p.spot,
    allowSpotInterruptions: p.allowSpot,
    instanceType: p.instanceType,
  });
}

const awsOptions = fc.record(
  {
    systemInstanceType: mostly<string>(
      fc.constantFrom('m6i.xlarge', 'm7i.2xlarge'),
      fc.constantFrom('', 'not a type', 'g5.xlarge', 'M6I.XLARGE'),
    ),
    systemMinNodes: count(3, 1),
    systemMaxNodes: count(2000, 3),
    existingVpc: fc.record({
      privateSubnetIds: mostly<string[]>(
        fc.constant(['subnet-a', 'subnet-b']),
        fc.array(fc.constantFrom('subnet-a', 'subnet-b', '', ' '), { maxLength: 3 }),
      ),
    }),
    adminPrincipalArns: fc.array(mostly<string>(fc.constant('arn:aws:iam::210987654321:role/admin'), fc.constantFrom('admin', '')), {
      maxLength: 2,
    }),
    deployerPrincipalArn: mostly<string>(
      fc.constant('arn:aws:iam::210987654321:role/ci'),
      fc.constantFrom('ci', '', 'arn:aws:iam::210987654321:role/admin'),
    ),
    controlPlaneLogRetentionDays: mostly<number>(fc.constantFrom(365, 731), fc.constantFrom(0, 31)),
    vpcCidr: mostly<string>(fc.constant('10.0.0.0/16'), fc.constantFrom('10.0.0.0/8', 'x', '10.0.0.1/16')),
  },
  { requiredKeys: [] },
);

const GUID = '0b5a1f4e-1c3e-4a0e-9b8e-3f2a1d4c5b6a';
const azureOptions = fc.record(
  {
    resourceGroup: mostly<string>(fc.stringMatching(/^[a-z][a-z0-9-]{0,20}[a-z0-9]$/), fc.constantFrom(...TRICKY, 'rg.', 'x'.repeat(91))),
    systemVmSize: mostly<string>(fc.constant('Standard_D4ds_v5'), fc.constantFrom('', 'bad size')),
    systemMinNodes: count(3, 1),
    systemMaxNodes: count(2000, 3),
    maintenanceDay: mostly<string>(fc.constant('Sunday'), fc.constantFrom('sunday', '')),
    maintenanceStartHour: count(23),
    kubeloginMode: mostly<string>(fc.constant('azurecli'), fc.constant('nope')),
    adminGroupObjectIds: fc.array(mostly<string>(fc.constant(GUID), fc.constantFrom('admins', '')), { maxLength: 2 }),
    deployerPrincipalId: mostly<string>(fc.constant(GUID), fc.constantFrom('me', '')),
    existingSubnetId: mostly<string>(
      fc.constant(`/subscriptions/${GUID}/resourceGroups/net/providers/Microsoft.Network/virtualNetworks/v/subnets/nodes`),
      fc.constantFrom('subnet', ''),
    ),
  },
  { requiredKeys: [] },
);

function stack(app: App, cloud: 'aws' | 'azure'): TerraformStack {
  const s = new TerraformStack(app, 'fuzz');
  if (cloud === 'aws') new AwsProvider(s, 'aws', { region: 'us-east-1' });
  else new AzurermProvider(s, 'azurerm', { features: [{}] });
  return s;
}

describe('GpuInferenceCluster fuzz: refused with the library message, or deployable', () => {
  test('on EKS', () => {
    fuzz(
      fc.record({
        clusterName: nameLike(30),
        pools: mostly<PoolSpec[]>(fc.array(pool, { minLength: 1, maxLength: 2 }), fc.constant([])),
        tags,
        options: awsOptions,
      }),
      (v) =>
        assertDeployableOrRefused((app) => {
          const s = stack(app, 'aws');
          new GpuInferenceCluster(s, 'Gpu', {
            cloud: Cloud.aws({ endpointAccess: EndpointAccess.publicAndPrivate(['198.51.100.0/24']), ...v.options }),
            clusterName: v.clusterName,
            nodePools: v.pools.map(makePool),
            tags: v.tags,
          });
          return [s];
        }),
    );
  });

  test('on AKS', () => {
    fuzz(
      fc.record({
        clusterName: nameLike(30),
        pools: mostly<PoolSpec[]>(fc.array(poolOn('azure'), { minLength: 1, maxLength: 2 }), fc.constant([])),
        tags,
        options: azureOptions,
      }),
      (v) =>
        assertDeployableOrRefused((app) => {
          const s = stack(app, 'azure');
          new GpuInferenceCluster(s, 'Gpu', {
            cloud: Cloud.azure({ location: 'eastus2', authorizedIpRanges: ['198.51.100.0/24'], ...v.options }),
            clusterName: v.clusterName,
            nodePools: v.pools.map(makePool),
            tags: v.tags,
          });
          return [s];
        }),
    );
  });
});
