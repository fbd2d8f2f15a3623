import { TerraformStack, TerraformVariable } from 'cdktf';
import { Construct } from 'constructs';
import {
  CapacityReservation,
  Cloud,
  Duration,
  Gpu,
  GpuInferenceCluster,
  GpuNodePool,
  MigLayout,
  ObservabilityStack,
  RemoteWrite,
} from '../../lib';
import { deployerCidr, ExampleCloud } from '../shared/cloud';
import { ragData } from '../shared/rag-data';

/**
 * The reference platform on AKS: A100 serving cut into 1g slices, H100 NVL cut into 3g slices (both through
 * the GPU operator's MIG manager), time-shared T4s and a spot A100 training pool.
 *
 * The resource group, the VNet, the metrics workspace and the RAG data live in `azure-gpu-cluster-data`,
 * deployed first: `cdktf destroy azure-gpu-cluster` tears the GPU compute down and keeps them.
 *
 * Deploy: `TF_VAR_deployer_cidr=<your egress IP>/32 cdktf deploy azure-gpu-cluster-data azure-gpu-cluster`.
 */
export class AzureGpuClusterStack extends TerraformStack {
  public readonly cluster: GpuInferenceCluster;
  /** The resource group, network and retained data, which outlive the cluster. */
  public readonly dataStack: TerraformStack;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    const azure = ExampleCloud.azure();
    azure.setUp(this);
    this.dataStack = azure.dataStack(scope, id);
    const cidr = deployerCidr(this);
    const adminGroups = new TerraformVariable(this, 'admin_group_object_ids', {
      type: 'list(string)',
      default: [],
      description: 'Entra ID group object ids given cluster admin',
    });

    // Reserved VMs bought outside Terraform: a capacity reservation group holding Standard_NC24ads_A100_v4.
    const reservationGroup = new TerraformVariable(this, 'capacity_reservation_group_id', {
      type: 'string',
      description: 'Resource id of the capacity reservation group the reserved serving pool runs on',
    });

    this.cluster = new GpuInferenceCluster(this, 'Gpu', {
      cloud: Cloud.azure({
        location: 'eastus2',
        authorizedIpRanges: [cidr],
        adminGroupObjectIds: adminGroups.listValue,
      }),
      clusterName: 'ai-prod-az',
      dataStack: this.dataStack,
      outputs: true, // cluster name, API endpoint, kubeconfig command
      nodePools: [
        GpuNodePool.inference('llm', { gpu: Gpu.A100_80GB, mig: MigLayout.uniform('1g.10gb'), maxNodes: 4 }),
        // Uniform layouts keep the cluster on the single MIG strategy, the one AKS's autoscaler can scale
        // from zero (mixed layouts need fixed-size pools on AKS).
        GpuNodePool.inference('nvl', { gpu: Gpu.H100_NVL_94GB, mig: MigLayout.uniform('3g.47gb'), maxNodes: 2 }),
        GpuNodePool.inference('small', { gpu: Gpu.T4, timeSlicing: 4, maxNodes: 6 }),
        GpuNodePool.training('train', { gpu: Gpu.A100_80GB, spot: true, maxNodes: 8 }),
        // Paid for whether used or not: keep one node up, grow into the rest of the reservation.
        GpuNodePool.inference('reserved', {
          gpu: Gpu.A100_80GB,
          minNodes: 1,
          maxNodes: 2,
          capacityReservation: CapacityReservation.azureGroup(reservationGroup.stringValue, { vmSize: 'Standard_NC24ads_A100_v4' }),
        }),
      ],
    });
    // The same monitoring as on AWS, through the same cluster contract; long-term metrics go to Azure
    // Monitor managed Prometheus (in the cluster's resource group and location) with the Prometheus pods'
    // workload identity.
    new ObservabilityStack(this, 'Obs', {
      cluster: this.cluster,
      retention: Duration.days(15),
      remoteWrite: RemoteWrite.azureMonitor(),
      outputs: true, // Grafana's in-cluster URL
    });
    // Documents in a private storage account, pgvector on PostgreSQL Flexible Server and Azure Managed
    // Redis, each behind a private endpoint in the cluster's VNet and granted to one workload identity.
    ragData(this, this.cluster);
  }
}
