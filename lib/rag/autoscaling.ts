import { prometheusTrigger, scaledObject } from '../addons/scaled-object';
import { gatewayWakeCounter } from './gateway-routes';
import { ServingPlan } from './serving-plan';

/** Options of a model's ScaledObject. */
export interface ModelScalingOptions {
  /** Namespace of the model server. */
  readonly namespace: string;
  /** Deployment to scale. */
  readonly deploymentName: string;
  /** The plan (replica bounds, load time). */
  readonly plan: ServingPlan;
  /** Prometheus query URL. */
  readonly prometheusUrl: string;
  /** Waiting requests per replica to aim for. */
  readonly targetQueueDepth: number;
  /**
   * The model is also served through the inference gateway (its route named like its Deployment).
   * @default false
   */
  readonly throughGateway?: boolean;
}

/**
 * KEDA ScaledObject for one served model: `sum(vllm:num_requests_waiting{namespace, model_name})` over its
 * replicas (one series, whatever the replica count), cooldowns no shorter than the model's load time, and,
 * at zero replicas, the router's request counter for the model (and, through the gateway, gatewayWakeCounter)
 * as the wake-up signal (vLLM's own metrics vanish with its last pod).
 */
export function modelScaledObject(o: ModelScalingOptions): { [key: string]: any } {
  const { plan } = o;
  const model = `namespace="${o.namespace}",model_name="${plan.servedName}"`;
  const settle = Math.max(300, plan.startupSeconds);
  const triggers = [
    prometheusTrigger('queue', o.prometheusUrl, `sum(vllm:num_requests_waiting{${model}}) or vector(0)`, String(o.targetQueueDepth), {
      ignoreNullValues: true,
    }),
  ];
  if (plan.minReplicas === 0) {
    // The router counts each request for a model, also while no server exists; through the gateway, so does
    // gatewayWakeCounter. A counter's first sample is its first request, so rate() alone misses it: series
    // that did not exist 5 minutes ago count too.
    // Clamped to 1: this trigger only wakes the model; the queue decides how many replicas serve it.
    const counters = [`vllm_router:num_incoming_requests_total{namespace="${o.namespace}",model="${plan.servedName}"}`];
    if (o.throughGateway) counters.push(gatewayWakeCounter(o.namespace, o.deploymentName, plan));
    const term = (c: string) => `(sum(rate(${c}[2m])) or vector(0)) + (sum(${c} unless ${c} offset 5m) or vector(0))`;
    triggers.push(
      prometheusTrigger('wake', o.prometheusUrl, `clamp_max(${counters.map(term).join(' + ')}, 1)`, '1', {
        activationThreshold: '0',
        ignoreNullValues: true,
      }),
    );
  }
  return scaledObject({
    name: o.deploymentName,
    namespace: o.namespace,
    minReplicas: plan.minReplicas,
    maxReplicas: plan.maxReplicas,
    pollingInterval: 15,
    // At zero: wait this long after the last request before removing the last replica.
    cooldownPeriod: settle,
    initialCooldownPeriod: settle,
    // Prometheus unreachable: keep the serving capacity there is, at least one replica.
    fallback: { failureThreshold: 3, replicas: Math.max(plan.minReplicas, 1), behavior: 'currentReplicasIfHigher' },
    // Add a replica at a time, as fast as a model can load; remove slowly.
    scaleUp: { stabilizationWindowSeconds: 0, type: 'Pods', value: 1, periodSeconds: 60 },
    scaleDown: { stabilizationWindowSeconds: settle, type: 'Pods', value: 1, periodSeconds: 120 },
    triggers,
  });
}

/** Waiting requests per replica KEDA aims for when the stack does not say. */
export const DEFAULT_QUEUE_DEPTH = 5;

/** Problems of a RagStack's `autoscaling`, as `<prop> <value> <problem>; <fix>`. */
export function autoscalingProblems(autoscaling: { readonly maxReplicas?: number; readonly targetQueueDepth?: number }): string[] {
  const problems: string[] = [];
  const queueDepth = autoscaling.targetQueueDepth ?? DEFAULT_QUEUE_DEPTH;
  if (!Number.isInteger(queueDepth) || queueDepth < 1)
    problems.push(
      `autoscaling.targetQueueDepth ${queueDepth} is not a whole number >= 1; use the waiting requests per replica to aim for, e.g. 5`,
    );
  if (autoscaling.maxReplicas !== undefined && (!Number.isInteger(autoscaling.maxReplicas) || autoscaling.maxReplicas < 1))
    problems.push(`autoscaling.maxReplicas ${autoscaling.maxReplicas} is not a whole number >= 1; use the most replicas per model`);
  return problems;
}
