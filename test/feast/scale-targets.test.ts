import { EXAMPLES, scaleTargetsWithReplicas, synthApp } from '../life-cycle';

// KEDA scales a Deployment through the HPA it makes. Whatever else writes `spec.replicas` fights it: a
// manifest that sets the field (Helm's three-way merge writes it back over the live count on every
// upgrade and rollback), or a kubernetes_deployment_v1 that does not ignore it (every apply after a scale
// resets it). A second apply with no change must leave KEDA's count alone.

describe.each(EXAMPLES)('example %s', (_name, build) => {
  test('every ScaledObject targets a Deployment whose replica count nothing but the HPA writes', () => {
    const stacks = synthApp(build);
    for (const s of stacks) expect(scaleTargetsWithReplicas(s)).toEqual([]);
  });
});
