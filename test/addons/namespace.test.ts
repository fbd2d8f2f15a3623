import { isReservedNamespace, RESERVED_NAMESPACES } from '../../lib/addons/namespace';
import { KEDA_NAMESPACE } from '../../lib/addons/keda';
import { KUEUE_NAMESPACE } from '../../lib/tenancy/charts';
import { podSecurityNeedsReason } from '../../lib/private/pod-security';

describe('the one list of reserved namespaces', () => {
  test('holds the built-in namespaces and those of the platform add-ons', () => {
    // The add-ons define their namespaces beside their charts; the list must follow them.
    for (const n of ['default', 'kube-system', 'kube-public', 'kube-node-lease', 'gpu-operator', KEDA_NAMESPACE, KUEUE_NAMESPACE])
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
