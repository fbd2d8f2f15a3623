import { TerraformStack, TerraformVariable } from 'cdktf';
import { ExampleCloud } from '../shared/cloud';
import { Construct } from 'constructs';
import { ExistingCluster, Gpu, ObservabilityStack, RemoteWrite, TaintEffect } from '../../lib';
import { ragData } from '../shared/rag-data';

/**
 * Bring your own cluster: a platform team already runs EKS with GPU nodes and the NVIDIA GPU operator.
 * This stack creates no cluster: it finds it by name, describes its GPU pools by the labels, taints and
 * capacity their nodes carry, and adds GPU/LLM observability plus the data services a RAG workload needs
 * (documents in S3, pgvector on RDS, a Valkey cache), each granted to the workload's Pod Identity only.
 */
export class ExistingClusterStack extends TerraformStack {
  /** The documents, database, cache and metrics workspace, which outlive the add-ons. */
  public readonly dataStack: TerraformStack;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    const aws = ExampleCloud.aws('us-west-2');
    aws.setUp(this);
    this.dataStack = aws.dataStack(scope, id);
    // What the data stack's resources are named and placed after is declared there (it never reads this stack).
    const clusterName = new TerraformVariable(this.dataStack, 'cluster_name', {
      type: 'string',
      description: 'Name of the existing EKS cluster (the runner must be able to reach its API and hold cluster admin)',
    });

    const privateSubnets = new TerraformVariable(this.dataStack, 'private_subnet_ids', {
      type: 'list(string)',
      description: "Private subnets (two zones or more) of the cluster's VPC, for the database and the cache",
    });

    const cluster = ExistingCluster.fromEks(this, 'Shared', {
      clusterName: clusterName.stringValue,
      privateSubnetIds: privateSubnets.listValue,
      dataStack: this.dataStack,
      gpuOperatorNamespace: 'gpu-operator',
      acceleratorPools: [
        {
          name: 'h100',
          gpu: Gpu.H100_80GB,
          labels: { 'eks.amazonaws.com/nodegroup': 'h100' },
          taints: [{ key: 'nvidia.com/gpu', value: 'true', effect: TaintEffect.NO_SCHEDULE }],
          capacity: [{ name: 'nvidia.com/gpu', count: 8 }],
          maxNodes: 4,
        },
      ],
    });

    new ObservabilityStack(this, 'Observability', { cluster, remoteWrite: RemoteWrite.amazonManagedPrometheus() });

    // Documents in S3, pgvector on RDS and a Valkey cache, granted to the RAG API's Pod Identity only.
    ragData(this, cluster);
  }
}
