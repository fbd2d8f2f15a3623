import { PersistentVolumeClaimV1 } from '@cdktf/provider-kubernetes/lib/persistent-volume-claim-v1';
import { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import { ISharedFileSystem, KubernetesSecretKeyRef } from '../core/data-services';
import { ModelCacheMount } from './model-server';
import { ModelStagingJob } from './model-staging';
import { ServingPlan } from './serving-plan';
import { RagContext } from './types';

/** What the model cache of a RagStack is built from. */
export interface ModelCacheInput {
  readonly ctx: RagContext;
  /** The plans by task. */
  readonly plans: { [task: string]: ServingPlan };
  /** Name of the claim. */
  readonly claimName: string;
  /** Names of the staging jobs by task. */
  readonly jobNames: Map<string, string>;
  /** @default - anonymous downloads (public models only) */
  readonly huggingFaceToken?: KubernetesSecretKeyRef;
  /** What the claim and the jobs wait for (the namespace). */
  readonly dependsOn: ITerraformDependable[];
}

/** A model cache: its file system, and per task where the model's weights are and the job that puts them there. */
export interface ModelCache {
  readonly fileSystem: ISharedFileSystem;
  readonly claimName: string;
  readonly staged: Map<string, { readonly mount: ModelCacheMount; readonly job: ModelStagingJob }>;
}

/**
 * The model cache: one shared ReadWriteMany volume (EFS, Azure Files premium), filled once per model by a
 * staging job that the model servers wait for. Created under `scope` (the RagStack).
 */
export function modelCache(scope: Construct, o: ModelCacheInput): ModelCache {
  const { ctx } = o;
  const plans = Object.values(o.plans);
  const fs = ctx.cluster.dataServices.sharedFileSystem(new Construct(scope, 'ModelCache'), { removalPolicy: ctx.removalPolicy });
  const claim = new PersistentVolumeClaimV1(scope, 'ModelCacheClaim', {
    provider: ctx.cluster.providers(scope).kubernetes,
    metadata: { name: o.claimName, namespace: ctx.namespace, labels: { 'app.kubernetes.io/part-of': 'ai-platform' } },
    spec: {
      accessModes: ['ReadWriteMany'],
      storageClassName: fs.storageClassName,
      // Room for every model's download (weights x 2.5 + headroom each). EFS is elastic: a nominal size
      // that never changes (claims cannot shrink, and EFS classes do not expand). Azure Files premium
      // shares start at 100 GiB and grow with the models.
      resources: {
        requests: {
          storage: fs.elastic
            ? '1Ti'
            : `${Math.max(
                100,
                plans.reduce((sum, p) => sum + p.cacheVolumeGib, 0),
              )}Gi`,
        },
      },
    },
    waitUntilBound: false,
    dependsOn: [...fs.dependables, ...o.dependsOn],
  });
  const staged = new Map<string, { mount: ModelCacheMount; job: ModelStagingJob }>();
  for (const [task, plan] of Object.entries(o.plans)) {
    const job = new ModelStagingJob(scope, `Stage-${task}`, {
      ctx,
      plan,
      jobName: o.jobNames.get(task)!,
      claimName: o.claimName,
      huggingFaceToken: o.huggingFaceToken,
      dependsOn: [...o.dependsOn, claim],
    });
    staged.set(task, { mount: { claimName: o.claimName, path: plan.repository }, job });
  }
  return { fileSystem: fs, claimName: o.claimName, staged };
}
