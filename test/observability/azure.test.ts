import { Testing } from 'cdktf';
import { Cloud, Gpu, GpuInferenceCluster, GpuNodePool, MigLayout } from '../../lib';
import { ObservabilityStack } from '../../lib/observability-stack';
import { RemoteWrite } from '../../lib/observability/remote-write';
import { azureStack, resourceNamed, resources } from '../helpers';

function aks() {
  const stack = azureStack();
  const cluster = new GpuInferenceCluster(stack, 'Gpu', {
    cloud: Cloud.azure({ location: 'eastus2' }),
    clusterName: 'ai-az',
    nodePools: [
      GpuNodePool.inference('llm', { gpu: Gpu.A100_80GB, mig: MigLayout.uniform('1g.10gb'), maxNodes: 4 }),
      GpuNodePool.inference('small', { gpu: Gpu.T4, timeSlicing: 4, maxNodes: 6 }),
    ],
  });
  return { stack, cluster };
}

describe('ObservabilityStack on an AKS GpuInferenceCluster', () => {
  test('works unchanged: same releases, system-pool tolerations, the cluster storage class', () => {
    const { stack, cluster } = aks();
    new ObservabilityStack(stack, 'Obs', { cluster });
    const doc = JSON.parse(Testing.synth(stack, true));
    const values: string = resourceNamed(doc, 'helm_release', 'KubePrometheusStack').values[0];
    expect(values).toContain(`storageClassName: ${cluster.storageClassName}`);
    for (const t of cluster.systemTolerations) expect(values).toContain(`key: ${t.key}`);
    expect(Object.keys(resources(doc, 'kubernetes_config_map_v1')).filter((n) => n.includes('Dashboard'))).toHaveLength(3);
    expect(resources(doc, 'kubernetes_manifest')).toEqual({});
  });

  test('Amazon Managed Prometheus is refused on AKS', () => {
    const { stack, cluster } = aks();
    expect(() => new ObservabilityStack(stack, 'Obs', { cluster, remoteWrite: RemoteWrite.amazonManagedPrometheus() }))
      .toThrow(/^test\/Obs: remoteWrite 'amazonManagedPrometheus' does not fit a azure cluster; Pod Identity and SigV4 need EKS/);
  });
});
