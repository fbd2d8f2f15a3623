import { AzurermProvider } from '@cdktf/provider-azurerm/lib/provider';
import { LocalBackend, TerraformOutput, TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import { Cloud, Duration, Gpu, GpuInferenceCluster, GpuNodePool, KubernetesVersion, MigLayout, ObservabilityStack, RemoteWrite } from '../../lib';

/**
 * The reference platform on AKS: A100 serving cut by AKS into 1g slices, an H100 NVL pool with a mixed MIG
 * layout through the GPU operator, time-shared T4s and a spot A100 training pool.
 */
export class AzureGpuClusterStack extends TerraformStack {
  public readonly cluster: GpuInferenceCluster;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    new LocalBackend(this, { path: `${id}.tfstate` });
    new AzurermProvider(this, 'azurerm', { features: [{}] });

    this.cluster = new GpuInferenceCluster(this, 'Gpu', {
      cloud: Cloud.azure({
        location: 'eastus2',
        // CI runners reach the API from this range; omit it for a private cluster.
        authorizedIpRanges: ['203.0.113.0/24'],
        adminGroupObjectIds: ['00000000-0000-0000-0000-000000000001'],
      }),
      clusterName: 'ai-prod-az',
      kubernetesVersion: KubernetesVersion.V1_33,
      nodePools: [
        GpuNodePool.inference('llm', { gpu: Gpu.A100_80GB, mig: MigLayout.uniform('1g.10gb'), maxNodes: 4 }),
        GpuNodePool.inference('nvl', {
          gpu: Gpu.H100_NVL_94GB,
          mig: MigLayout.mixed([{ profile: '3g.47gb', count: 1 }, { profile: '2g.24gb', count: 1 }, { profile: '1g.12gb', count: 2 }]),
          maxNodes: 2,
        }),
        GpuNodePool.inference('small', { gpu: Gpu.T4, timeSlicing: 4, maxNodes: 6 }),
        GpuNodePool.training('train', { gpu: Gpu.A100_80GB, spot: true, maxNodes: 8 }),
      ],
    });
    // The same monitoring as on AWS, through the same cluster contract; long-term metrics go to Azure
    // Monitor managed Prometheus with the Prometheus pods' workload identity.
    new ObservabilityStack(this, 'Obs', {
      cluster: this.cluster,
      retention: Duration.days(15),
      remoteWrite: RemoteWrite.azureMonitor({ location: 'eastus2', resourceGroupName: 'ai-prod-az-rg' }),
    });

    new TerraformOutput(this, 'cluster_name', { value: this.cluster.clusterName });
  }
}
