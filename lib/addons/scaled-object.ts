/**
 * KEDA ScaledObject manifests, written one way for every workload KEDA scales (model servers, the Feast
 * feature server, ingestion workers). Keys come out in one fixed order, and optional parts are left out,
 * not set to undefined, so rendered manifests stay byte-identical between synths.
 */

/** A KEDA trigger (Kubernetes YAML shape). */
export type KedaTrigger = { [key: string]: any };

/** Options of a Prometheus trigger beyond its query and threshold. */
export interface PrometheusTriggerOptions {
  /**
   * Value at or below which the workload stays at zero replicas.
   * @default - none: active from the first sample above 0
   */
  readonly activationThreshold?: string;
  /**
   * Treat an empty query result as 0 instead of an error (a series that does not exist yet).
   * @default false
   */
  readonly ignoreNullValues?: boolean;
}

/** A Prometheus trigger named `name`: `query` against `serverAddress`, aiming at `threshold` per replica. */
export function prometheusTrigger(
  name: string,
  serverAddress: string,
  query: string,
  threshold: string,
  options: PrometheusTriggerOptions = {},
): KedaTrigger {
  return {
    type: 'prometheus',
    name,
    metadata: {
      serverAddress,
      query,
      threshold,
      ...(options.activationThreshold !== undefined ? { activationThreshold: options.activationThreshold } : {}),
      ...(options.ignoreNullValues ? { ignoreNullValues: 'true' } : {}),
    },
  };
}

/** One HPA scaling rule: at most `value` (pods or percent) per `periodSeconds`, after a stabilization window. */
export interface ScalingRule {
  /** Seconds of recommendations the HPA looks back over before it acts. */
  readonly stabilizationWindowSeconds: number;
  /** 'Pods' or 'Percent'. */
  readonly type: 'Pods' | 'Percent';
  /** Pods or percent per period. */
  readonly value: number;
  /** Period in seconds. */
  readonly periodSeconds: number;
}

/** What a ScaledObject says. */
export interface ScaledObjectOptions {
  /** Name of the ScaledObject and of the Deployment it scales. */
  readonly name: string;
  /** Namespace of both. */
  readonly namespace: string;
  /** Fewest replicas (0: scale to zero). */
  readonly minReplicas: number;
  /** Most replicas. */
  readonly maxReplicas: number;
  /** Seconds between KEDA's checks of the triggers. */
  readonly pollingInterval: number;
  /** Seconds after the last active trigger before scaling to zero. */
  readonly cooldownPeriod: number;
  /**
   * Seconds after creation before the first scale to zero.
   * @default - KEDA's default
   */
  readonly initialCooldownPeriod?: number;
  /**
   * What KEDA does while the triggers cannot be read (Kubernetes YAML shape).
   * @default - none: KEDA keeps the current replicas
   */
  readonly fallback?: { [key: string]: any };
  /**
   * How fast the HPA adds replicas.
   * @default - the HPA's default
   */
  readonly scaleUp?: ScalingRule;
  /**
   * How fast the HPA removes replicas.
   * @default - the HPA's default
   */
  readonly scaleDown?: ScalingRule;
  /** Triggers. */
  readonly triggers: KedaTrigger[];
}

function behavior(rule: ScalingRule): { [key: string]: any } {
  return {
    stabilizationWindowSeconds: rule.stabilizationWindowSeconds,
    policies: [{ type: rule.type, value: rule.value, periodSeconds: rule.periodSeconds }],
  };
}

/** The ScaledObject manifest. */
export function scaledObject(o: ScaledObjectOptions): { [key: string]: any } {
  const hpaBehavior = {
    ...(o.scaleUp ? { scaleUp: behavior(o.scaleUp) } : {}),
    ...(o.scaleDown ? { scaleDown: behavior(o.scaleDown) } : {}),
  };
  return {
    apiVersion: 'keda.sh/v1alpha1',
    kind: 'ScaledObject',
    metadata: { name: o.name, namespace: o.namespace },
    spec: {
      scaleTargetRef: { name: o.name },
      minReplicaCount: o.minReplicas,
      maxReplicaCount: o.maxReplicas,
      pollingInterval: o.pollingInterval,
      cooldownPeriod: o.cooldownPeriod,
      ...(o.initialCooldownPeriod !== undefined ? { initialCooldownPeriod: o.initialCooldownPeriod } : {}),
      ...(o.fallback ? { fallback: o.fallback } : {}),
      ...(Object.keys(hpaBehavior).length > 0 ? { advanced: { horizontalPodAutoscalerConfig: { behavior: hpaBehavior } } } : {}),
      triggers: o.triggers,
    },
  };
}
