import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { AzurermProvider } from '@cdktf/provider-azurerm/lib/provider';
import { TerraformStack, TerraformVariable } from 'cdktf';
import { Construct } from 'constructs';
import { localDataStack, localState } from '../shared/data-stack';
import { Cloud, EndpointAccess, Gpu, GpuInferenceCluster, GpuNodePool, MigLayout } from '../../lib';

/** One platform definition; only the cloud differs between the two stacks. */
export function platformPools(): GpuNodePool[] {
  return [
    GpuNodePool.inference('llm', { gpu: Gpu.A100_80GB, mig: MigLayout.uniform('3g.40gb'), maxNodes: 2 }),
    GpuNodePool.inference('small', { gpu: Gpu.T4, timeSlicing: 2, maxNodes: 4 }),
    GpuNodePool.training('train', { gpu: Gpu.H100_80GB, spot: true, maxNodes: 4 }),
  ];
}

/** The deployer's egress CIDR, which the API allow-list admits. */
function deployerCidr(scope: Construct): string {
  return new TerraformVariable(scope, 'deployer_cidr', {
    type: 'string',
    description: 'Egress CIDR of the machine or CI runner that runs terraform apply, e.g. 198.51.100.7/32',
  }).stringValue;
}

/** The platform on EKS. */
export class MultiCloudAwsStack extends TerraformStack {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    localState(this);
    new AwsProvider(this, 'aws', { region: 'us-west-2' });
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
    localState(this);
    const features = [{ storage: [{ dataPlaneAvailable: false }] }];
    new AzurermProvider(this, 'azurerm', { features });
    this.dataStack = localDataStack(scope, `${id}-data`);
    new AzurermProvider(this.dataStack, 'azurerm', { features });
    new GpuInferenceCluster(this, 'Gpu', {
      cloud: Cloud.azure({ location: 'westeurope', authorizedIpRanges: [deployerCidr(this)] }),
      clusterName: 'ai-shared',
      dataStack: this.dataStack,
      nodePools: platformPools(),
    });
  }
}
