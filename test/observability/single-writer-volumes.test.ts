import { AzurermProvider } from '@cdktf/provider-azurerm/lib/provider';
import { App, TerraformStack } from 'cdktf';
import {
  Cloud,
  EmbeddingModel,
  Gpu,
  GpuInferenceCluster,
  GpuNodePool,
  LlmModel,
  ObservabilityStack,
  ObservabilityStackProps,
  RagStack,
  ServedModel,
  VectorStore,
} from '../../lib';
import { EXAMPLES, rwoDeploymentsNotRecreated, synthApp } from '../life-cycle';

// A Deployment that rolls (new pod up before the old one stops) on a ReadWriteOnce cloud disk: when the new
// pod lands on another node it waits forever on "Multi-Attach error", the upgrade times out and the atomic
// release rolls back. Such Deployments must use the Recreate strategy.

describe.each(EXAMPLES)('example %s', (_name, build) => {
  test('every Deployment on a ReadWriteOnce volume stops its old pod first (Recreate)', () => {
    const stacks = synthApp(build);
    expect(stacks.length).toBeGreaterThan(0);
    for (const s of stacks) expect(rwoDeploymentsNotRecreated(s)).toEqual([]);
  });
});

/** An AKS cluster with the observability stack; `extra` adds to the stack. */
function azureApp(
  obs: Partial<ObservabilityStackProps>,
  extra?: (stack: TerraformStack, cluster: GpuInferenceCluster, o: ObservabilityStack) => void,
): (app: App) => void {
  return (app: App) => {
    const stack = new TerraformStack(app, 'rwo');
    new AzurermProvider(stack, 'azurerm', { features: [{ storage: [{ dataPlaneAvailable: false }] }] });
    const cluster = new GpuInferenceCluster(stack, 'Gpu', {
      cloud: Cloud.azure({ location: 'eastus2', authorizedIpRanges: ['198.51.100.7/32'] }),
      clusterName: 'rwo',
      nodePools: [
        GpuNodePool.inference('llm', { gpu: Gpu.A100_80GB, maxNodes: 1 }),
        GpuNodePool.inference('small', { gpu: Gpu.T4, maxNodes: 2 }),
      ],
    });
    const o = new ObservabilityStack(stack, 'Obs', { cluster, ...obs });
    extra?.(stack, cluster, o);
  };
}

test('the check catches Grafana put back on RollingUpdate through the chart overrides', () => {
  const [s] = synthApp(azureApp({ kubePrometheusStackChart: { values: { grafana: { deploymentStrategy: { type: 'RollingUpdate' } } } } }));
  expect(rwoDeploymentsNotRecreated(s)).toEqual(["rwo/Obs/KubePrometheusStack: grafana.deploymentStrategy.type is 'RollingUpdate'"]);
});

test('Grafana without a volume may roll', () => {
  const [s] = synthApp(
    azureApp({ kubePrometheusStackChart: { values: { grafana: { persistence: { enabled: false }, deploymentStrategy: null } } } }),
  );
  expect(rwoDeploymentsNotRecreated(s)).toEqual([]);
});

// Milvus' bundled MinIO runs as a Deployment (mode standalone) on a ReadWriteOnce claim; the chart's default
// RollingUpdate (maxSurge 100%) would start a second pod that cannot mount the claim.
test('Milvus: its bundled MinIO on a ReadWriteOnce claim upgrades with Recreate', () => {
  const [s] = synthApp(
    azureApp({}, (stack, cluster, o) => {
      new RagStack(stack, 'Rag', {
        cluster,
        generator: ServedModel.of(LlmModel.QWEN2_5_7B, { pool: 'llm', contextLength: 4096, concurrentSequences: 4 }),
        embedder: ServedModel.of(EmbeddingModel.BGE_M3, { pool: 'small' }),
        vectorStore: VectorStore.milvus({ storageGib: 50 }),
        prometheusUrl: o.prometheusUrl,
      });
    }),
  );
  expect(rwoDeploymentsNotRecreated(s)).toEqual([]);
});
