import { isReservedNamespace, RESERVED_NAMESPACES } from '../../lib/addons/namespace';
import { GATEWAY_NAMESPACE } from '../../lib/addons/inference-gateway/inference-gateway';
import { KEDA_NAMESPACE } from '../../lib/addons/keda';
import { KUEUE_NAMESPACE } from '../../lib/tenancy/charts';
import { PlatformNamespace, PodSecurityLevel } from '../../lib/addons/namespace';
import { podSecurityNeedsReason } from '../../lib/private/pod-security';
import { eksCluster } from '../tenancy/fixtures';
import { awsStack, resources, synthJson } from '../helpers';

describe('the one list of reserved namespaces', () => {
  test('holds the built-in namespaces and those of the platform add-ons', () => {
    // The add-ons define their namespaces beside their charts; the list must follow them.
    for (const n of [
      'default',
      'kube-system',
      'kube-public',
      'kube-node-lease',
      'gpu-operator',
      KEDA_NAMESPACE,
      KUEUE_NAMESPACE,
      GATEWAY_NAMESPACE,
    ])
      expect([n, RESERVED_NAMESPACES.includes(n)]).toEqual([n, true]);
  });

  test('reserves every kube- namespace, and no ordinary name', () => {
    expect(isReservedNamespace('kube-anything')).toBe(true);
    expect(isReservedNamespace('search')).toBe(false);
  });
});

test('only a level that lets pods reach the node needs a reason', () => {
  expect(['restricted', 'baseline', 'privileged'].map(podSecurityNeedsReason)).toEqual([false, false, true]);
});

test('two open ports on one port number get a policy each', () => {
  const stack = awsStack();
  const cluster = eksCluster(stack);
  new PlatformNamespace(stack, 'Ns', {
    cluster,
    name: 'hooks',
    podSecurity: PodSecurityLevel.RESTRICTED,
    openPorts: [
      { podLabels: { app: 'a' }, port: 9443 },
      { podLabels: { app: 'b' }, port: 9443 },
    ],
  });
  const names = Object.values<any>(resources(synthJson(stack), 'kubernetes_network_policy_v1'))
    .filter((p) => p.metadata.namespace === 'hooks' && p.metadata.name.startsWith('allow-port-'))
    .map((p) => p.metadata.name);
  expect(names.sort()).toEqual(['allow-port-9443', 'allow-port-9443-1']);
});
