import { TerraformStack } from 'cdktf';
import { Cloud, EndpointAccess, Gpu, GpuInferenceCluster, GpuNodePool, MigLayout } from '../../lib';

/** A reference AWS cluster with MIG, time-sliced and Neuron pools (GPU operator installed). */
export function awsCluster(stack: TerraformStack, options: { installGpuOperator?: boolean; neuron?: boolean } = {}): GpuInferenceCluster {
  return new GpuInferenceCluster(stack, 'Gpu', {
    cloud: Cloud.aws({ endpointAccess: EndpointAccess.publicAndPrivate(['203.0.113.0/24']) }),
    clusterName: 'ai-prod',
    installGpuOperator: options.installGpuOperator,
    nodePools: [
      GpuNodePool.inference('llm', { gpu: Gpu.H100_80GB, mig: MigLayout.uniform('1g.10gb'), maxNodes: 4 }),
      GpuNodePool.inference('small', { gpu: Gpu.L4, timeSlicing: 4, maxNodes: 6 }),
      ...(options.neuron === false ? [] : [GpuNodePool.neuron('inf2', { instanceType: 'inf2.8xlarge', maxNodes: 2 })]),
    ],
  });
}

/** The values document of the Helm release whose name contains `part`. */
export function valuesOf(release: any): string {
  return release.values[0];
}
