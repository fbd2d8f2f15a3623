import { TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import { Cloud, EndpointAccess, Gpu, GpuInferenceCluster, GpuNodePool, GpuProvisioner, MigLayout } from '../../lib';
import { deployerCidr, ExampleCloud } from '../shared/cloud';

/**
 * The pools of `aws-gpu-cluster` (MIG H100 serving, time-sliced L4s, spot A100 training, Inferentia2), provisioned
 * by Karpenter instead of managed node groups: one NodePool and EC2NodeClass per pool with the same labels,
 * taints and limits, nodes launched for pending pods and removed when empty, spot interruptions handled through
 * SQS. The controller runs on the managed system node group.
 *
 * Deploy: `TF_VAR_deployer_cidr=$(curl -s https://checkip.amazonaws.com)/32 cdktf deploy karpenter-gpu`.
 */
export class KarpenterGpuStack extends TerraformStack {
  public readonly cluster: GpuInferenceCluster;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    ExampleCloud.aws('us-west-2').setUp(this);
    const cidr = deployerCidr(this);
    this.cluster = new GpuInferenceCluster(this, 'Gpu', {
      cloud: Cloud.aws({
        endpointAccess: EndpointAccess.publicAndPrivate([cidr]),
        singleNatGateway: true,
        gpuProvisioner: GpuProvisioner.karpenter({ spotFallbackToOnDemand: true }),
      }),
      clusterName: 'ai-karpenter',
      outputs: true,
      nodePools: [
        GpuNodePool.inference('llm', { gpu: Gpu.H100_80GB, mig: MigLayout.uniform('1g.10gb'), maxNodes: 4 }),
        GpuNodePool.inference('small', { gpu: Gpu.L4, timeSlicing: 4, maxNodes: 6 }),
        GpuNodePool.training('train', { gpu: Gpu.A100_80GB, spot: true, maxNodes: 8 }),
        GpuNodePool.neuron('inf2', { instanceType: 'inf2.8xlarge', maxNodes: 2 }),
      ],
    });
  }
}
