import { kubernetesName } from '../private/naming';
import { modelServerNames } from './model-server';
import { stagingJobNames } from './model-staging';
import { ServingPlan } from './serving-plan';

/**
 * The Kubernetes names of one RagStack's objects, made here and nowhere else in the stack: every one starts
 * with the stack's name. Router names are handed to ModelRouter as text (it makes the Service name);
 * server and staging names are made for all models at once, so two served names that sanitize alike stay apart.
 */
export class RagNames {
  /** Names for the stack with construct id `id`. */
  public static of(id: string): RagNames {
    return new RagNames(id);
  }

  /** The stack's name: a DNS-1035 label (routers are Services), short enough for the longest suffix. */
  public readonly stack: string;
  /** The secret with the API key. */
  public readonly apiKey: string;
  /** The endpoints ConfigMap. */
  public readonly endpoints: string;
  /** The model cache's claim. */
  public readonly modelCacheClaim: string;
  /** The Helm release of the KEDA objects. */
  public readonly scalingRelease: string;
  /** The ingestion worker (service account, Deployment, ScaledObject). */
  public readonly ingestion: string;
  /** The `routerName` of the generator's router (prefix-aware). */
  public readonly generatorRouter: string;
  /** The `routerName` of the embedder's and reranker's router (round-robin). */
  public readonly poolingRouter: string;

  private constructor(id: string) {
    this.stack = kubernetesName(id, 'service', 30);
    this.apiKey = kubernetesName(`${this.stack}-api-key`);
    this.endpoints = kubernetesName(`${this.stack}-endpoints`);
    this.modelCacheClaim = kubernetesName(`${this.stack}-model-cache`);
    this.scalingRelease = kubernetesName(`${this.stack}-scaling`, 'label', 53);
    this.ingestion = kubernetesName(`${this.stack}-ingestion`);
    this.generatorRouter = `${this.stack}-router`;
    this.poolingRouter = `${this.stack}-pooling-router`;
  }

  /** Model server names by task: `vllm-<served name>` (the served name itself stays the model's own). */
  public servers(plans: { [task: string]: ServingPlan }): Map<string, string> {
    const tasks = Object.keys(plans);
    return new Map(modelServerNames(tasks.map((t) => plans[t].servedName)).map((n, i) => [tasks[i], n]));
  }

  /** Staging job names by task: `stage-<served name>`. */
  public stagingJobs(plans: { [task: string]: ServingPlan }): Map<string, string> {
    const tasks = Object.keys(plans);
    return new Map(stagingJobNames(tasks.map((t) => plans[t].servedName)).map((n, i) => [tasks[i], n]));
  }
}
