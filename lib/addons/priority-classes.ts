import { PriorityClassV1 } from '@cdktf/provider-kubernetes/lib/priority-class-v1';
import { Construct } from 'constructs';
import { IPlatformCluster } from '../core/cluster';

/** Options of the platform priority classes. */
export interface PlatformPriorityClassesProps {
  /** Cluster to create them in. */
  readonly cluster: IPlatformCluster;
}

/**
 * Two priority classes so serving wins over training when GPUs are short: `ai-inference` may preempt,
 * `ai-training` never preempts and is the first to be preempted.
 */
export class PlatformPriorityClasses extends Construct {
  /** Priority class name for serving workloads. */
  public static readonly INFERENCE = 'ai-inference';
  /** Priority class name for training and batch workloads. */
  public static readonly TRAINING = 'ai-training';

  /** The inference priority class. */
  public readonly inference: PriorityClassV1;
  /** The training priority class. */
  public readonly training: PriorityClassV1;

  constructor(scope: Construct, id: string, props: PlatformPriorityClassesProps) {
    super(scope, id);
    const common = { provider: props.cluster.providers(this).kubernetes, dependsOn: props.cluster.addonDependencies(this) };
    this.inference = new PriorityClassV1(this, 'Inference', {
      ...common,
      metadata: { name: PlatformPriorityClasses.INFERENCE },
      value: 100000,
      preemptionPolicy: 'PreemptLowerPriority',
      description: 'Online model serving: may preempt training and batch pods.',
    });
    this.training = new PriorityClassV1(this, 'Training', {
      ...common,
      metadata: { name: PlatformPriorityClasses.TRAINING },
      value: 1000,
      preemptionPolicy: 'Never',
      description: 'Training and batch jobs: wait for capacity instead of preempting, preempted first.',
    });
  }
}
