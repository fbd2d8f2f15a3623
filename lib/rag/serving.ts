import { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import { KubernetesSecretKeyRef } from '../core/data-services';
import { modelScaledObject } from './autoscaling';
import { ModelCache } from './model-cache';
import { ModelRouter } from './model-router';
import { ModelServer } from './model-server';
import { RagNames } from './names';
import { ModelTask } from './served-model';
import { ServingPlan } from './serving-plan';
import { RagContext } from './types';

/** What the model servers and routers of a RagStack are built from. */
export interface ServeModelsInput {
  readonly ctx: RagContext;
  readonly names: RagNames;
  /** The plans by task. */
  readonly plans: { [task: string]: ServingPlan };
  readonly apiKey: KubernetesSecretKeyRef;
  /** @default - anonymous downloads (public models only) */
  readonly huggingFaceToken?: KubernetesSecretKeyRef;
  /**
   * The model cache, if any: each server waits for its staging job and loads from the cache.
   * @default - no cache: each server downloads its model
   */
  readonly modelCache?: ModelCache;
  /** Prometheus query URL of the ScaledObjects. */
  readonly prometheusUrl: string;
  /** Waiting requests per replica to aim for. */
  readonly targetQueueDepth: number;
  /**
   * The models are also served through an inference gateway: a model at zero wakes on its gateway requests too.
   * @default false
   */
  readonly throughGateway?: boolean;
  /** What servers and routers wait for (namespace, API key). */
  readonly dependsOn: ITerraformDependable[];
}

/** The served models of a RagStack, as clients and grants see them. */
export interface ServedModels {
  /** In-cluster URL of the generator's router. */
  readonly routerUrl: string;
  /**
   * In-cluster URL of the embedder's and reranker's router, when there is one.
   * @default - none: the embedder and reranker share the generator's router
   */
  readonly poolingRouterUrl?: string;
  /** Labels of each router's pods. */
  readonly routerPodLabels: { [key: string]: string }[];
  /** A KEDA ScaledObject per model server. */
  readonly scaledObjects: { [key: string]: any }[];
}

/**
 * A model server per plan (created under `scope`, the RagStack), each with its ScaledObject; generation
 * behind a prefix-aware router, embedding and scoring behind a round-robin one (prefix-aware routing reads a
 * prompt that those requests do not have).
 */
export function serveModels(scope: Construct, o: ServeModelsInput): ServedModels {
  const { ctx, names } = o;
  const serverNames = names.servers(o.plans);
  const scaledObjects: { [key: string]: any }[] = [];
  for (const [task, plan] of Object.entries(o.plans)) {
    const stage = o.modelCache?.staged.get(task);
    const server = new ModelServer(scope, `Model-${task}`, {
      ctx,
      stackName: names.stack,
      serverName: serverNames.get(task)!,
      routerName: task === ModelTask.GENERATE ? names.generatorRouter : names.poolingRouter,
      plan,
      task: task as ModelTask,
      apiKey: o.apiKey,
      huggingFaceToken: o.huggingFaceToken,
      modelCache: stage?.mount,
      dependsOn: stage ? [...o.dependsOn, stage.job.job] : o.dependsOn,
    });
    scaledObjects.push(
      modelScaledObject({
        namespace: ctx.namespace,
        deploymentName: server.deploymentName,
        plan,
        prometheusUrl: o.prometheusUrl,
        targetQueueDepth: o.targetQueueDepth,
        throughGateway: o.throughGateway,
      }),
    );
  }
  const router = new ModelRouter(scope, 'Router', {
    ctx,
    stackName: names.stack,
    routerName: names.generatorRouter,
    routingLogic: 'prefixaware',
    apiKey: o.apiKey,
    dependsOn: o.dependsOn,
  });
  if (!o.plans[ModelTask.EMBED] && !o.plans[ModelTask.SCORE])
    return { routerUrl: router.url, routerPodLabels: [router.podLabels], scaledObjects };
  const pooling = new ModelRouter(scope, 'PoolingRouter', {
    ctx,
    stackName: names.stack,
    routerName: names.poolingRouter,
    routingLogic: 'roundrobin',
    apiKey: o.apiKey,
    dependsOn: o.dependsOn,
  });
  return { routerUrl: router.url, poolingRouterUrl: pooling.url, routerPodLabels: [router.podLabels, pooling.podLabels], scaledObjects };
}
