import { TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import { deployerCidr, ExampleCloud } from '../shared/cloud';
import { Cloud, EndpointAccess, Gpu, GpuInferenceCluster, GpuNodePool } from '../../lib';

/**
 * The smallest useful cluster: one L4 inference pool that scales from zero, the API reachable only from
 * the deployer's network (and privately from the VPC).
 */
export class MinimalStack extends TerraformStack {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    ExampleCloud.aws('eu-west-1').setUp(this);
    const cidr = deployerCidr(this);
    new GpuInferenceCluster(this, 'Gpu', {
      cloud: Cloud.aws({ singleNatGateway: true, endpointAccess: EndpointAccess.publicAndPrivate([cidr]) }),
      clusterName: 'ai-dev',
      nodePools: [GpuNodePool.inference('l4', { gpu: Gpu.L4, maxNodes: 2 })],
    });
  }
}
