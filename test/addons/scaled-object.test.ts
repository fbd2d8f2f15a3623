import { prometheusTrigger, scaledObject } from '../../lib/addons/scaled-object';

describe('scaledObject', () => {
  test('leaves out what is not asked for, in one key order', () => {
    const manifest = scaledObject({
      name: 'w',
      namespace: 'n',
      minReplicas: 0,
      maxReplicas: 3,
      pollingInterval: 30,
      cooldownPeriod: 300,
      triggers: [],
    });
    expect(Object.keys(manifest.spec)).toEqual([
      'scaleTargetRef',
      'minReplicaCount',
      'maxReplicaCount',
      'pollingInterval',
      'cooldownPeriod',
      'triggers',
    ]);
    expect(manifest.spec.scaleTargetRef).toEqual({ name: 'w' });
  });

  test('HPA behavior, fallback and initial cooldown when given', () => {
    const manifest = scaledObject({
      name: 'w',
      namespace: 'n',
      minReplicas: 1,
      maxReplicas: 3,
      pollingInterval: 15,
      cooldownPeriod: 600,
      initialCooldownPeriod: 600,
      fallback: { failureThreshold: 3, replicas: 1 },
      scaleDown: { stabilizationWindowSeconds: 600, type: 'Pods', value: 1, periodSeconds: 120 },
      triggers: [prometheusTrigger('q', 'http://p', 'up', '5', { activationThreshold: '0', ignoreNullValues: true })],
    });
    expect(Object.keys(manifest.spec)).toEqual([
      'scaleTargetRef',
      'minReplicaCount',
      'maxReplicaCount',
      'pollingInterval',
      'cooldownPeriod',
      'initialCooldownPeriod',
      'fallback',
      'advanced',
      'triggers',
    ]);
    expect(manifest.spec.advanced.horizontalPodAutoscalerConfig.behavior).toEqual({
      scaleDown: { stabilizationWindowSeconds: 600, policies: [{ type: 'Pods', value: 1, periodSeconds: 120 }] },
    });
    expect(manifest.spec.triggers[0]).toEqual({
      type: 'prometheus',
      name: 'q',
      metadata: { serverAddress: 'http://p', query: 'up', threshold: '5', activationThreshold: '0', ignoreNullValues: 'true' },
    });
  });

  test('a trigger without options has no activation threshold and fails on empty results', () => {
    expect(prometheusTrigger('cpu', 'http://p', 'q', '0.4').metadata).toEqual({ serverAddress: 'http://p', query: 'q', threshold: '0.4' });
  });
});
