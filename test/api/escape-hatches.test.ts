import { Cloud, EksPlatformCluster, EndpointAccess, Gpu, GpuInferenceCluster, GpuNodePool, ObservabilityStack } from '../../lib';
import { deepMerge } from '../../lib/private/merge';
import { awsStack, azureStack, resources, synthJson } from '../helpers';

const cidr = ['198.51.100.7/32'];
const pools = () => [GpuNodePool.inference('l4', { gpu: Gpu.L4, maxNodes: 1 })];

describe('chart overrides', () => {
  test('merge like Helm: maps merge, lists replace, null removes', () => {
    // null stays null, so Helm drops the key from our values and from the chart's defaults alike.
    expect(deepMerge({ a: { b: 1, c: [1, 2] }, d: 1, e: 2 }, { a: { c: [3] }, d: null, f: 4, g: null })).toEqual({
      a: { b: 1, c: [3] },
      d: null,
      e: 2,
      f: 4,
      g: null,
    });
  });

  test('a chart version and values override reach the release, over the library values', () => {
    const stack = awsStack();
    new GpuInferenceCluster(stack, 'Gpu', {
      cloud: Cloud.aws({
        endpointAccess: EndpointAccess.publicAndPrivate(cidr),
        clusterAutoscalerChart: { values: { extraArgs: { 'scale-down-unneeded-time': '30m' } } },
      }),
      clusterName: 'o',
      nodePools: pools(),
      gpuOperatorChart: { version: 'v26.7.1', values: { dcgmExporter: { enabled: false }, operator: null } },
    });
    const releases = Object.values(resources(synthJson(stack), 'helm_release')) as any[];
    const op = releases.find((r) => r.name === 'gpu-operator');
    expect(op.version).toBe('v26.7.1');
    expect(op.values[0]).toMatch(/^dcgmExporter:\n {2}enabled: false\n {2}serviceMonitor:\n {4}enabled: false$/m);
    expect(op.values[0]).toMatch(/^operator: null$/m);
    expect(op.values[0]).toMatch(/^driver:/m); // the library's own values stay
    const ca = releases.find((r) => r.name === 'cluster-autoscaler');
    expect(ca.version).toBe('9.59.0');
    expect(ca.values[0]).toMatch(/scale-down-unneeded-time: "30m"/);
    expect(ca.values[0]).toMatch(/expander: least-waste/);
  });

  test('ObservabilityStack takes overrides per chart', () => {
    const stack = awsStack();
    const cluster = new GpuInferenceCluster(stack, 'Gpu', {
      cloud: Cloud.aws({ endpointAccess: EndpointAccess.publicAndPrivate(cidr) }),
      clusterName: 'o',
      nodePools: pools(),
    });
    new ObservabilityStack(stack, 'Obs', { cluster, kubePrometheusStackChart: { values: { grafana: { enabled: false } } } });
    const kps = (Object.values(resources(synthJson(stack), 'helm_release')) as any[]).find((r) => r.name === 'kube-prometheus-stack');
    // The override lands inside the library's grafana block, after its own keys.
    expect(kps.values[0]).toMatch(/^grafana:\n( {2}.*\n)* {2}enabled: false$/m);
    expect(kps.values[0]).toMatch(/^grafana:\n {2}defaultDashboardsEnabled: true$/m);
  });
});

test('an empty chart version override is a problem (Helm would install the newest chart)', () => {
  const stack = awsStack();
  new GpuInferenceCluster(stack, 'Gpu', {
    cloud: Cloud.aws({ endpointAccess: EndpointAccess.publicAndPrivate(cidr) }),
    clusterName: 'v',
    nodePools: pools(),
    gpuOperatorChart: { version: '' },
  });
  expect(() => synthJson(stack)).toThrow(
    /^test\/Gpu\/GpuOperator\/Chart: overrides\.version '' is empty, which installs the newest gpu-operator chart; pass an exact version or leave it unset for v26\.7\.0$/m,
  );
});

describe('outputs and real types', () => {
  test('opt-in outputs are named after the construct path, so two clusters in one stack do not collide', () => {
    const stack = awsStack();
    for (const id of ['Blue', 'Green']) {
      new GpuInferenceCluster(stack, id, {
        cloud: Cloud.aws({ endpointAccess: EndpointAccess.publicAndPrivate(cidr) }),
        clusterName: id.toLowerCase(),
        nodePools: pools(),
        outputs: true,
      });
    }
    const out = synthJson(stack).output;
    expect(Object.keys(out).sort()).toEqual([
      'blue_api_endpoint',
      'blue_cluster_name',
      'blue_kubeconfig_command',
      'green_api_endpoint',
      'green_cluster_name',
      'green_kubeconfig_command',
    ]);
    expect(out.blue_kubeconfig_command.value).toMatch(
      /^aws eks update-kubeconfig --name \$\{aws_eks_cluster\.Blue_Cluster_[0-9A-F]+\.name\} --region /,
    );
  });

  test('output names are Terraform identifiers even for ids starting with a digit', () => {
    const stack = awsStack();
    new GpuInferenceCluster(stack, '3rd', {
      cloud: Cloud.aws({ endpointAccess: EndpointAccess.publicAndPrivate(cidr) }),
      clusterName: 'third',
      nodePools: pools(),
      outputs: true,
    });
    expect(Object.keys(synthJson(stack).output).sort()).toEqual(['_3rd_api_endpoint', '_3rd_cluster_name', '_3rd_kubeconfig_command']);
  });

  test('two clusters whose paths give one output name are a problem, not a silent merge', () => {
    const stack = awsStack();
    for (const [id, name] of [
      ['Blue-1', 'blue-a'],
      ['Blue_1', 'blue-b'],
    ]) {
      new GpuInferenceCluster(stack, id, {
        cloud: Cloud.aws({ endpointAccess: EndpointAccess.publicAndPrivate(cidr) }),
        clusterName: name,
        nodePools: pools(),
        outputs: true,
      });
    }
    expect(() => synthJson(stack)).toThrow(
      /^test\/Blue_1: outputs true names an output 'blue_1_cluster_name', as test\/Blue-1 does; give one of the two constructs an id/m,
    );
  });

  test('no outputs unless asked', () => {
    const stack = awsStack();
    new GpuInferenceCluster(stack, 'Gpu', {
      cloud: Cloud.aws({ endpointAccess: EndpointAccess.publicAndPrivate(cidr) }),
      clusterName: 'n',
      nodePools: pools(),
    });
    expect(synthJson(stack).output).toBeUndefined();
  });

  test('AKS kubeconfig command logs in through kubelogin; Grafana URL output', () => {
    const stack = azureStack();
    const cluster = new GpuInferenceCluster(stack, 'Gpu', {
      cloud: Cloud.azure({ location: 'eastus2', authorizedIpRanges: cidr }),
      clusterName: 'az',
      nodePools: [GpuNodePool.inference('t4', { gpu: Gpu.T4, maxNodes: 1 })],
      outputs: true,
    });
    new ObservabilityStack(stack, 'Obs', { cluster, outputs: true });
    const out = synthJson(stack).output;
    expect(out.gpu_kubeconfig_command.value).toMatch(
      /^az aks get-credentials --resource-group \$\{azurerm_resource_group\.[^}]+\.name\} --name .* && kubelogin convert-kubeconfig -l azurecli$/,
    );
    expect(out.obs_grafana_url.value).toBe('http://kube-prometheus-stack-grafana.monitoring.svc.cluster.local');
    expect(cluster.aksCluster?.cluster).toBeDefined();
    expect(cluster.eksCluster).toBeUndefined();
  });

  test('the cloud-specific cluster is reachable with its real type, without a cast', () => {
    const stack = awsStack();
    const cluster = new GpuInferenceCluster(stack, 'Gpu', {
      cloud: Cloud.aws({ endpointAccess: EndpointAccess.publicAndPrivate(cidr) }),
      clusterName: 't',
      nodePools: pools(),
    });
    const eks: EksPlatformCluster | undefined = cluster.eksCluster;
    expect(eks?.nodeGroups.l4).toBeDefined();
    expect(cluster.aksCluster).toBeUndefined();
  });
});
