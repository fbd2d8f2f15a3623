import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { App, S3Backend, TerraformOutput, TerraformStack, TerraformVariable } from 'cdktf';
import { Construct } from 'constructs';
import { Cloud, Gpu, GpuInferenceCluster, GpuNodePool, MigLayout, ObservabilityStack } from '../../lib';

const REGION = 'eu-central-1';
/**
 * S3 bucket holding both stacks' state (versioned, encrypted, created once per account): the in-cluster
 * stack reads the cluster stack's outputs from it. Set AI_PLATFORM_STATE_BUCKET when synthesizing.
 */
const STATE_BUCKET = process.env.AI_PLATFORM_STATE_BUCKET ?? 'ai-platform-terraform-state';

/**
 * A cluster whose API server has no public endpoint at all, in a VPC it creates. No runner can be inside
 * that VPC before the first apply, so the platform is two stacks:
 *
 * 1. `private-cluster` (apply from anywhere): VPC, EKS (its private endpoint open on 443 to the VPC), node
 *    groups, IAM, and a cluster-admin access entry for the runner's role. No Kubernetes API calls.
 * 2. `private-cluster-addons` (apply from a runner inside the VPC, e.g. a CodeBuild project or a
 *    self-hosted CI runner in its private subnets, with the role given as `runner_role_arn`): GPU operator,
 *    autoscaler, storage class, priority classes and monitoring, through providers built from the first
 *    stack's outputs, read from the shared S3 state.
 *
 * `cdktf deploy private-cluster --var runner_role_arn=arn:aws:iam::<account>:role/<runner>`, then on the
 * runner `cdktf deploy private-cluster-addons`.
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
      const backend = new S3Backend(stack, { bucket: STATE_BUCKET, key: `${stack.node.id}.tfstate`, region: REGION, encrypt: true });
      // S3-native state locking (Terraform >= 1.10), so two applies of one stack cannot interleave.
      backend.addOverride('use_lockfile', true);
    }
    new AwsProvider(this.clusterStack, 'aws', { region: REGION });
    const runnerRole = new TerraformVariable(this.clusterStack, 'runner_role_arn', {
      type: 'string',
      description: 'IAM role ARN of the runner inside the VPC that applies the in-cluster stack',
    });

    this.cluster = new GpuInferenceCluster(this.clusterStack, 'Gpu', {
      cloud: Cloud.aws({ adminPrincipalArns: [runnerRole.stringValue] }), // private endpoint, new VPC
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
