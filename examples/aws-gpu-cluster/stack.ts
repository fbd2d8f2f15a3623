import { TerraformStack, TerraformVariable } from 'cdktf';
import { Construct } from 'constructs';
import {
  CapacityReservation,
  Cloud,
  Duration,
  EndpointAccess,
  Gpu,
  GpuInferenceCluster,
  GpuNodePool,
  MigLayout,
  ObservabilityStack,
  RemoteWrite,
} from '../../lib';
import { deployerCidr, ExampleCloud } from '../shared/cloud';

/**
 * The reference platform on EKS: MIG-partitioned H100 serving, time-sliced L4s for small models, a spot
 * A100 training pool, an Inferentia2 pool and a training pool on a Capacity Block for ML.
 *
 * The VPC and the metrics workspace live in `aws-gpu-cluster-data`, deployed first: `cdktf destroy
 * aws-gpu-cluster` tears the GPU compute down and keeps them.
 *
 * Deploy: `TF_VAR_deployer_cidr=$(curl -s https://checkip.amazonaws.com)/32 cdktf deploy aws-gpu-cluster-data aws-gpu-cluster`.
 */
export class AwsGpuClusterStack extends TerraformStack {
  public readonly cluster: GpuInferenceCluster;
  /** The network and the metrics workspace, which outlive the cluster. */
  public readonly dataStack: TerraformStack;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    const aws = ExampleCloud.aws('us-east-1');
    aws.setUp(this);
    this.dataStack = aws.dataStack(scope, id);

    // Terraform installs the in-cluster part through the API: the machine running it must reach it.
    const cidr = deployerCidr(this);
    const admins = new TerraformVariable(this, 'admin_principal_arns', {
      type: 'list(string)',
      default: [],
      description: 'IAM role ARNs given cluster admin, besides the deployer',
    });

    // Reserved GPU capacity bought outside Terraform: a Capacity Block for ML (p5.48xlarge, one zone).
    const capacityBlock = new TerraformVariable(this, 'capacity_block_id', {
      type: 'string',
      description: 'Id (cr-…) of the EC2 Capacity Block for ML the reserved training pool runs on',
    });
    const capacityBlockZone = new TerraformVariable(this, 'capacity_block_zone', {
      type: 'string',
      default: 'us-east-1a',
      description: 'Availability zone of the Capacity Block',
    });

    this.cluster = new GpuInferenceCluster(this, 'Gpu', {
      cloud: Cloud.aws({
        endpointAccess: EndpointAccess.publicAndPrivate([cidr]),
        adminPrincipalArns: admins.listValue,
      }),
      clusterName: 'ai-prod',
      dataStack: this.dataStack,
      outputs: true, // cluster name, API endpoint, kubeconfig command
      nodePools: [
        GpuNodePool.inference('llm', { gpu: Gpu.H100_80GB, mig: MigLayout.uniform('1g.10gb'), minNodes: 0, maxNodes: 4 }),
        GpuNodePool.inference('llm-mixed', {
          gpu: Gpu.A100_80GB,
          mig: MigLayout.mixed([
            { profile: '3g.40gb', count: 1 },
            { profile: '2g.20gb', count: 1 },
            { profile: '1g.10gb', count: 2 },
          ]),
          maxNodes: 2,
        }),
        GpuNodePool.inference('small', { gpu: Gpu.L4, timeSlicing: 4, maxNodes: 6 }),
        GpuNodePool.training('train', { gpu: Gpu.A100_80GB, spot: true, maxNodes: 8 }),
        GpuNodePool.neuron('inf2', { instanceType: 'inf2.8xlarge', maxNodes: 2 }),
        // Nodes only inside the block's window: the autoscaler scales up from 0 when jobs wait for it.
        GpuNodePool.training('reserved', {
          gpu: Gpu.H100_80GB,
          minNodes: 0,
          maxNodes: 2,
          capacityReservation: CapacityReservation.ec2CapacityBlock(capacityBlock.stringValue, {
            availabilityZone: capacityBlockZone.stringValue,
            instanceType: 'p5.48xlarge',
          }),
        }),
      ],
    });

    // GPU/LLM monitoring: DCGM through the GPU operator, neuron-monitor, vLLM pods, alerts and dashboards,
    // long-term metrics in Amazon Managed Prometheus, traces through an OpenTelemetry collector.
    new ObservabilityStack(this, 'Obs', {
      cluster: this.cluster,
      retention: Duration.days(15),
      remoteWrite: RemoteWrite.amazonManagedPrometheus(),
      tracing: { otlpEndpoint: 'tempo.tracing.svc.cluster.local:4317', insecure: true },
      alertThresholds: { ttftP95: Duration.millis(800), queueDepth: 20 },
      outputs: true, // Grafana's in-cluster URL
    });
  }
}
