import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { App, LocalBackend, TerraformOutput, TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import { Cloud, Gpu, GpuInferenceCluster, GpuNodePool, MigLayout, ObservabilityStack } from '../../lib';

/**
 * A cluster whose API server has no public endpoint at all, in a VPC it creates. No runner can be inside
 * that VPC before the first apply, so the platform is two stacks:
 *
 * 1. `private-cluster` (apply from anywhere): VPC, EKS, node groups, IAM. No Kubernetes API calls.
 * 2. `private-cluster-addons` (apply from a runner inside the VPC, e.g. a CodeBuild project or a
 *    self-hosted CI runner in its private subnets): GPU operator, autoscaler, storage class, priority
 *    classes and monitoring, through providers built from the first stack's outputs.
 *
 * State lives beside the project (not in cdktf.out, which synth rewrites) so the second stack can read
 * the first one's outputs.
 */
export class PrivateClusterStacks {
  /** The cloud part. */
  public readonly clusterStack: TerraformStack;
  /** The in-cluster part. */
  public readonly addonsStack: TerraformStack;
  /** The cluster. */
  public readonly cluster: GpuInferenceCluster;

  constructor(scope: Construct, id: string) {
    this.clusterStack = new TerraformStack(scope, id);
    this.addonsStack = new TerraformStack(scope, `${id}-addons`);
    for (const stack of [this.clusterStack, this.addonsStack]) {
      new LocalBackend(stack, { path: `../../../terraform-state/${stack.node.id}.tfstate` });
    }
    new AwsProvider(this.clusterStack, 'aws', { region: 'eu-central-1' });

    this.cluster = new GpuInferenceCluster(this.clusterStack, 'Gpu', {
      cloud: Cloud.aws(), // private endpoint, new VPC
      clusterName: 'ai-private',
      nodePools: [
        GpuNodePool.inference('llm', { gpu: Gpu.H100_80GB, mig: MigLayout.uniform('3g.40gb'), maxNodes: 2 }),
        GpuNodePool.inference('small', { gpu: Gpu.L4, maxNodes: 4 }),
      ],
      inClusterStack: this.addonsStack,
    });
    new ObservabilityStack(this.addonsStack, 'Obs', { cluster: this.cluster });

    new TerraformOutput(this.clusterStack, 'cluster_name', { value: this.cluster.clusterName });
  }
}

/** Both stacks in an app of their own (used by the tests). */
export function privateClusterApp(app: App): PrivateClusterStacks {
  return new PrivateClusterStacks(app, 'private-cluster');
}
