import { Testing } from 'cdktf';
import { MultiCloudAwsStack, MultiCloudAzureStack, platformPools } from '../../examples/multi-cloud/stack';
import { resources } from '../helpers';

// The same pool definitions through both clouds must mean the same thing on each.
describe('one platform, two clouds', () => {
  const aws = JSON.parse(Testing.synth(new MultiCloudAwsStack(Testing.app(), 'aws'), true));
  const az = JSON.parse(Testing.synth(new MultiCloudAzureStack(Testing.app(), 'az'), true));
  const awsPools = Object.fromEntries(Object.values(resources(aws, 'aws_eks_node_group')).map((g: any) => [g.node_group_name, g]));
  const azPools = Object.fromEntries(Object.values(resources(az, 'azurerm_kubernetes_cluster_node_pool')).map((p: any) => [p.name, p]));
  const effect: { [k: string]: string } = { NO_SCHEDULE: 'NoSchedule', PREFER_NO_SCHEDULE: 'PreferNoSchedule', NO_EXECUTE: 'NoExecute' };
  const platformKeys = (l: { [k: string]: string }) =>
    Object.fromEntries(Object.entries(l).filter(([k]) => k.startsWith('ai-platform.dev/') || k === 'nvidia.com/device-plugin.config'));

  test.each(platformPools().map((p) => [p.name]))('pool %s', (name) => {
    const a = awsPools[name];
    const z = azPools[name];
    expect(a).toBeDefined();
    expect(z).toBeDefined();
    // scaling bounds
    expect([a.scaling_config.min_size, a.scaling_config.max_size]).toEqual([z.min_count, z.max_count]);
    // spot on both or neither
    expect(a.capacity_type === 'SPOT').toBe(z.priority === 'Spot');
    // the platform's own labels and taints agree (clouds may add their own)
    expect(platformKeys(a.labels)).toEqual(platformKeys(z.node_labels));
    const awsTaints = a.taint.map((t: any) => `${t.key}=${t.value}:${effect[t.effect]}`);
    expect(z.node_taints).toEqual(expect.arrayContaining(awsTaints));
  });

  test('MIG: both clouds label the nodes for the MIG manager of the GPU operator, which cuts the same profile', () => {
    expect(awsPools.llm.labels['nvidia.com/mig.config']).toBe('all-3g.40gb');
    expect(azPools.llm.node_labels['nvidia.com/mig.config']).toBe('all-3g.40gb');
    // AKS does not cut the GPU itself: the operator owns driver and MIG there too.
    expect(azPools.llm.gpu_instance).toBeUndefined();
    expect(azPools.llm.gpu_driver).toBe('None');
    expect(awsPools.llm.labels['ai-platform.dev/mig-profile']).toBe(azPools.llm.node_labels['ai-platform.dev/mig-profile']);
    for (const doc of [aws, az]) {
      const operator: string = Object.values(resources(doc, 'helm_release')).find((r: any) => r.chart === 'gpu-operator')!.values[0];
      expect(operator).toMatch(/^migManager:\n {2}enabled: true$/m);
      expect(operator).toContain('all-3g.40gb:');
    }
  });

  test('both clusters get the GPU operator and the priority classes through the same contract', () => {
    for (const doc of [aws, az]) {
      const charts = Object.values(resources(doc, 'helm_release')).map((r: any) => r.chart);
      expect(charts).toContain('gpu-operator');
      expect(Object.values(resources(doc, 'kubernetes_priority_class_v1')).map((p: any) => p.metadata.name)).toEqual([
        'ai-inference',
        'ai-training',
      ]);
    }
  });

  test('node agents tolerate exactly the taints each cloud puts on the pools (AKS adds its spot taint)', () => {
    const worker = (doc: any) => {
      const values: string = Object.values(resources(doc, 'helm_release')).find((r: any) => r.chart === 'gpu-operator')!.values[0];
      return values.slice(values.indexOf('  worker:'), values.indexOf('dcgmExporter:'));
    };
    expect(worker(aws)).toContain('key: ai-platform.dev/spot');
    expect(worker(aws)).not.toContain('kubernetes.azure.com/scalesetpriority');
    expect(worker(az)).toContain('key: ai-platform.dev/spot');
    expect(worker(az)).toContain('key: kubernetes.azure.com/scalesetpriority');
  });
});
