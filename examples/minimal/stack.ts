import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { LocalBackend, TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import { Cloud, Gpu, GpuInferenceCluster, GpuNodePool } from '../../lib';

/** The smallest useful cluster: one L4 inference pool that scales from zero, private API endpoint. */
export class MinimalStack extends TerraformStack {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    new LocalBackend(this, { path: `${id}.tfstate` });
    new AwsProvider(this, 'aws', { region: 'eu-west-1' });
    new GpuInferenceCluster(this, 'Gpu', {
      cloud: Cloud.aws({ singleNatGateway: true }),
      clusterName: 'ai-dev',
      nodePools: [GpuNodePool.inference('l4', { gpu: Gpu.L4, maxNodes: 2 })],
    });
  }
}
