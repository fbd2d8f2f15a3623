import { Testing } from 'cdktf';
import { Cloud, EndpointAccess, Gpu, GpuInferenceCluster, GpuNodePool, MigLayout } from '../../lib';
import { GpuOperator } from '../../lib/addons/gpu-operator/gpu-operator';
import { awsStack, azureStack, resourceNamed } from '../helpers';

// The GPU operator's CRDs are in the chart's crds/ folder: Helm creates them on install and never touches
// them again. The chart's own pre-upgrade hook Job upgrades them (operator.upgradeCRD); its Job and the
// pre-delete GPUCluster cleanup Job take their placement from operator.tolerations/nodeSelector only.

const pools = [
  GpuNodePool.inference('llm', { gpu: Gpu.A100_80GB, mig: MigLayout.uniform('1g.10gb'), maxNodes: 2 }),
  GpuNodePool.inference('small', { gpu: Gpu.T4, maxNodes: 2 }),
];

describe.each([
  [
    'AKS',
    () => {
      const stack = azureStack();
      const cluster = new GpuInferenceCluster(stack, 'Gpu', {
        cloud: Cloud.azure({ location: 'eastus2', authorizedIpRanges: ['198.51.100.7/32'] }),
        clusterName: 'ai-az',
        nodePools: pools,
      });
      return { stack, cluster };
    },
  ],
  [
    'EKS',
    () => {
      const stack = awsStack();
      const cluster = new GpuInferenceCluster(stack, 'Gpu', {
        cloud: Cloud.aws({ endpointAccess: EndpointAccess.publicAndPrivate(['203.0.113.0/24']) }),
        clusterName: 'ai',
        nodePools: pools,
      });
      return { stack, cluster };
    },
  ],
])('GPU operator on %s', (_cloud, make) => {
  const { stack, cluster } = make();
  const doc = JSON.parse(Testing.synth(stack, true));
  const operator = stack.node.findAll().find((c) => c instanceof GpuOperator) as GpuOperator;
  const values = operator.addon.values;
  const yaml: string = resourceNamed(doc, 'helm_release', 'GpuOperator').values[0];

  test('the chart upgrades its CRDs before each upgrade and keeps them on uninstall', () => {
    expect(values.operator.upgradeCRD).toBe(true);
    expect(values.operator.cleanupCRD).toBe(false);
    expect(yaml).toMatch(/^operator:\n {2}upgradeCRD: true\n {2}cleanupCRD: false\n/m);
  });

  test('its hook Jobs tolerate exactly the system pool and keep the chart nodeSelector (linux)', () => {
    expect(values.operator.tolerations).toEqual(cluster.systemTolerations);
    // upgrade_crd.yaml renders `nodeSelector: toYaml .Values.operator.nodeSelector`: the chart's
    // kubernetes.io/os: linux holds on every pool, so the tolerations alone decide where the Job lands.
    expect(values.operator.nodeSelector).toBeUndefined();
    // Every accelerator pool is tainted; the system tolerations match none of those taints.
    for (const t of values.operator.tolerations) expect(t.key).not.toMatch(/nvidia\.com\/gpu|aws\.amazon\.com\/neuron/);
  });
});
