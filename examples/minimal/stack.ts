import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { TerraformStack, TerraformVariable } from 'cdktf';
import { Construct } from 'constructs';
import { localState } from '../shared/data-stack';
import { Cloud, EndpointAccess, Gpu, GpuInferenceCluster, GpuNodePool } from '../../lib';

/**
 * The smallest useful cluster: one L4 inference pool that scales from zero, the API reachable only from
 * the deployer's network (and privately from the VPC).
 */
export class MinimalStack extends TerraformStack {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    localState(this);
    new AwsProvider(this, 'aws', { region: 'eu-west-1' });
    const deployerCidr = new TerraformVariable(this, 'deployer_cidr', {
      type: 'string',
      description: 'Egress CIDR of the machine or CI runner that runs terraform apply, e.g. 198.51.100.7/32',
    });
    new GpuInferenceCluster(this, 'Gpu', {
      cloud: Cloud.aws({ singleNatGateway: true, endpointAccess: EndpointAccess.publicAndPrivate([deployerCidr.stringValue]) }),
      clusterName: 'ai-dev',
      nodePools: [GpuNodePool.inference('l4', { gpu: Gpu.L4, maxNodes: 2 })],
    });
  }
}
