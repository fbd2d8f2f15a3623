import { TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import { deployerCidr, ExampleCloud } from '../shared/cloud';
import { Cloud, EndpointAccess, Gpu, GpuInferenceCluster, GpuNodePool, MigLayout } from '../../lib';

/** One platform definition; only the cloud differs between the two stacks. */
export function platformPools(): GpuNodePool[] {
  return [
    GpuNodePool.inference('llm', { gpu: Gpu.A100_80GB, mig: MigLayout.uniform('3g.40gb'), maxNodes: 2 }),
    GpuNodePool.inference('small', { gpu: Gpu.T4, timeSlicing: 2, maxNodes: 4 }),
    GpuNodePool.training('train', { gpu: Gpu.H100_80GB, spot: true, maxNodes: 4 }),
  ];
}

/** The platform on EKS. */
export class MultiCloudAwsStack extends TerraformStack {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    ExampleCloud.aws('us-west-2').setUp(this);
    new GpuInferenceCluster(this, 'Gpu', {
      cloud: Cloud.aws({ endpointAccess: EndpointAccess.publicAndPrivate([deployerCidr(this)]) }),
      clusterName: 'ai-shared',
      nodePools: platformPools(),
    });
  }
}

/**
 * The same platform on AKS. Its resource group, which holds the retained disks of the cluster's storage
 * class, and its VNet live in `multi-cloud-azure-data`, deployed first: `cdktf destroy multi-cloud-azure`
 * removes the cluster and keeps them.
 */
export class MultiCloudAzureStack extends TerraformStack {
  /** The resource group and the VNet, which outlive the cluster. */
  public readonly dataStack: TerraformStack;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    const azure = ExampleCloud.azure();
    azure.setUp(this);
    this.dataStack = azure.dataStack(scope, id);
    new GpuInferenceCluster(this, 'Gpu', {
      cloud: Cloud.azure({ location: 'westeurope', authorizedIpRanges: [deployerCidr(this)] }),
      clusterName: 'ai-shared',
      dataStack: this.dataStack,
      nodePools: platformPools(),
    });
  }
}
