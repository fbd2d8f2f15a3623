import { Annotations, Token } from 'cdktf';
import { Construct } from 'constructs';
import { IAcceleratorCluster } from '../core/cluster';
import { KubernetesSecretKeyRef } from '../core/data-services';
import { reportProblems } from '../private/problems';
import { ModelTask, ServedModel } from './served-model';
import { planServedModel, ServingPlan } from './serving-plan';

/** Most replicas of a served model when neither it nor the stack's autoscaling says. */
const DEFAULT_MAX_REPLICAS = 4;

/** The models of a RagStack, as sizeModels reads them. */
export interface RagModels {
  readonly cluster: IAcceleratorCluster;
  readonly generator: ServedModel;
  readonly embedder: ServedModel;
  /** @default - no reranker */
  readonly reranker?: ServedModel;
  /** @default - anonymous downloads (public models only) */
  readonly huggingFaceToken?: KubernetesSecretKeyRef;
  /**
   * The stack's `autoscaling.maxReplicas`.
   * @default - the plan's own maximum
   */
  readonly maxReplicas?: number;
}

/**
 * Sizes a RagStack's models at synth, each on its pool: the plans by task ('generate', 'embed', 'score'),
 * in that order. What does not fit, a gated model without a token and a served name used twice are
 * reported as problems of `scope`; replicas their pool cannot hold at maxNodes, as a warning.
 */
export function sizeModels(scope: Construct, m: RagModels): { [task: string]: ServingPlan } {
  const problems: string[] = [];
  const plans: { [task: string]: ServingPlan } = {};
  const models: [string, ModelTask, ServedModel | undefined][] = [
    ['generator', ModelTask.GENERATE, m.generator],
    ['embedder', ModelTask.EMBED, m.embedder],
    ['reranker', ModelTask.SCORE, m.reranker],
  ];
  for (const [prop, task, served] of models) {
    if (!served) continue;
    const result = planServedModel(served, task, m.cluster, prop);
    problems.push(...result.problems);
    if (result.plan) {
      const max = served.options.maxReplicas ?? m.maxReplicas ?? DEFAULT_MAX_REPLICAS;
      plans[task] = { ...result.plan, maxReplicas: Math.max(max, result.plan.minReplicas) };
    }
  }
  for (const [prop, , served] of models) {
    if (served?.model.gated && !m.huggingFaceToken)
      problems.push(
        `${prop}.model '${served.model.name}' is gated on Hugging Face (${served.model.repository}), so the download fails with 401 without a token; ` +
          "pass huggingFaceToken (a secret in the stack's namespace holding a token of an account that accepted the licence) or serve an ungated model",
      );
  }
  warnOfUnschedulableReplicas(scope, m.cluster, plans);
  const names = Object.values(plans).map((p) => p.servedName);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) problems.push(`servedName '${dup}' is used by two models; give each served model its own servedName`);
  reportProblems(scope, problems);
  return plans;
}

/**
 * Replicas KEDA may start beyond what their pool holds at maxNodes stay Pending forever (and keep the
 * autoscaler asking): said at synth, per pool, with the numbers.
 */
function warnOfUnschedulableReplicas(scope: Construct, cluster: IAcceleratorCluster, all: { [task: string]: ServingPlan }): void {
  for (const pool of cluster.acceleratorPools) {
    const plans = Object.values(all).filter((p) => p.pool === pool.name);
    for (const resource of new Set(plans.map((p) => p.resourceName))) {
      const on = plans.filter((p) => p.resourceName === resource);
      const perNode = pool.capacity.find((c) => c.name === resource)?.count;
      if (perNode === undefined || Token.isUnresolved(perNode) || Token.isUnresolved(pool.maxNodes)) continue;
      if (on.some((p) => Token.isUnresolved(p.maxReplicas))) continue;
      const wanted = on.reduce((sum, p) => sum + p.maxReplicas * p.resourceCount, 0);
      const capacity = perNode * pool.maxNodes;
      if (wanted <= capacity) continue;
      const who = on.map((p) => `${p.servedName} ${p.maxReplicas} x ${p.resourceCount}`).join(', ');
      Annotations.of(scope).addWarning(
        `maxReplicas of the models on pool '${pool.name}' (${who}) ask for ${wanted} ${resource}, more than the pool holds at maxNodes: ${capacity} (${perNode} per node x ${pool.maxNodes} nodes); replicas beyond that stay Pending: lower maxReplicas (per model or autoscaling.maxReplicas) or raise the pool's maxNodes`,
      );
    }
  }
}
