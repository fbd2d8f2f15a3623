import { AzurermProvider } from '@cdktf/provider-azurerm/lib/provider';
import { App, TerraformStack } from 'cdktf';
import { Cloud, Gpu, GpuInferenceCluster, GpuNodePool, ObservabilityStack } from '../lib';
import { Keda } from '../lib/addons/keda';
import { ManifestsRelease } from '../lib/addons/manifests';
import { customResourcesBeforeTheirOperator, EXAMPLES, synthApp, unstableReleaseSettings } from './life-cycle';

// Second apply, upgrade and destroy of every example, on the synthesized Terraform.

describe.each(EXAMPLES)('example %s', (_name, build) => {
  const stacks = synthApp(build);

  test('second apply: every Helm release is configured so that an unchanged stack plans no change', () => {
    expect(stacks.length).toBeGreaterThan(0);
    for (const s of stacks) expect(unstableReleaseSettings(s)).toEqual([]);
  });

  test('destroy: custom resources go before the release of their operator (its finalizers, its CRDs)', () => {
    for (const s of stacks) expect(customResourcesBeforeTheirOperator(s, stacks)).toEqual([]);
  });

  test('upgrade: stacks with Helm releases require a helm provider that survives a chart version bump (>= 3.1.1)', () => {
    for (const { doc } of stacks) {
      if (!doc.resource?.helm_release) continue;
      // 3.1.0 (what the prebuilt provider pins) fails a chart version bump: hashicorp/terraform-provider-helm#1664.
      expect(doc.terraform.required_providers.helm.version).toBe('>= 3.1.1, < 4.0.0');
    }
  });
});

describe('the checks catch', () => {
  const build = (extra: (stack: TerraformStack, cluster: GpuInferenceCluster) => void) => (app: App) => {
    const stack = new TerraformStack(app, 'lc');
    new AzurermProvider(stack, 'azurerm', { features: [{}] });
    const cluster = new GpuInferenceCluster(stack, 'Gpu', {
      cloud: Cloud.azure({ location: 'eastus2', authorizedIpRanges: ['198.51.100.7/32'] }),
      clusterName: 'lc',
      nodePools: [GpuNodePool.inference('small', { gpu: Gpu.T4, maxNodes: 2 })],
    });
    extra(stack, cluster);
  };

  test('a chart version range, which re-resolves on every plan', () => {
    const [s] = synthApp(
      build((stack, cluster) => new ObservabilityStack(stack, 'Obs', { cluster, kubePrometheusStackChart: { version: '88.x' } })),
    );
    expect(unstableReleaseSettings(s)).toEqual([
      expect.stringMatching(
        /^helm_release\.Obs_KubePrometheusStack_\w+ \(kube-prometheus-stack\): version 88\.x is not an exact chart version$/,
      ),
    ]);
  });

  test('ScaledObjects installed without waiting for KEDA', () => {
    const [s] = synthApp(
      build((stack, cluster) => {
        Keda.of(stack, cluster);
        new ManifestsRelease(stack, 'Scaling', {
          cluster,
          releaseName: 'scaling',
          namespace: 'default',
          manifests: [{ apiVersion: 'keda.sh/v1alpha1', kind: 'ScaledObject', metadata: { name: 'x', namespace: 'default' }, spec: {} }],
          dependsOn: [],
        });
      }),
    );
    expect(customResourcesBeforeTheirOperator(s, [s])).toEqual([
      'lc/Scaling: installs ^keda\\.sh\\/ objects but does not depend on the keda release',
    ]);
  });
});
