import { AzurermProvider } from '@cdktf/provider-azurerm/lib/provider';
import { TerraformStack, Testing } from 'cdktf';
import { AzureProviderDefaults, Cloud, Gpu, GpuInferenceCluster, GpuNodePool, ObjectStore } from '../../lib';

function stackWithObjectStore(features: AzurermProvider['features']): TerraformStack {
  const app = Testing.app();
  const stack = new TerraformStack(app, 'az');
  new AzurermProvider(stack, 'azurerm', { features });
  const cluster = new GpuInferenceCluster(stack, 'Gpu', {
    cloud: Cloud.azure({ location: 'eastus2', authorizedIpRanges: ['198.51.100.7/32'] }),
    clusterName: 'ai-prod-az',
    nodePools: [GpuNodePool.inference('small', { gpu: Gpu.A10, maxNodes: 2 })],
  });
  new ObjectStore(stack, 'Docs', { cluster });
  return stack;
}

describe('AzureProviderDefaults', () => {
  test('features() turns the storage data plane off', () => {
    expect(AzureProviderDefaults.features()).toEqual([{ storage: [{ dataPlaneAvailable: false }] }]);
  });

  test('config() keeps the rest of the configuration and fills features blocks without storage', () => {
    expect(AzureProviderDefaults.config({ subscriptionId: 'sub' })).toEqual({
      subscriptionId: 'sub',
      features: [{ storage: [{ dataPlaneAvailable: false }] }],
    });
    expect(AzureProviderDefaults.config({ features: [{}] }).features).toEqual([{ storage: [{ dataPlaneAvailable: false }] }]);
    const own = [{ storage: [{ dataPlaneAvailable: true }] }];
    expect(AzureProviderDefaults.config({ features: own }).features).toEqual(own);
  });

  test('the provider users write first, features: [{}], is refused once a data service exists', () => {
    expect(() => Testing.synth(stackWithObjectStore([{}]), true)).toThrow(/features\.storage\.dataPlaneAvailable \(unset\)/);
  });

  test('config() is accepted with a data service', () => {
    const features = AzureProviderDefaults.config().features;
    expect(() => Testing.synth(stackWithObjectStore(features), true)).not.toThrow();
  });
});
