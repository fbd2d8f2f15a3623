import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { AzurermProvider } from '@cdktf/provider-azurerm/lib/provider';
import { TerraformStack, TerraformVariable } from 'cdktf';
import { Construct } from 'constructs';
import { localDataStack, localState } from '../shared/data-stack';
import {
  Cloud,
  EndpointAccess,
  Gpu,
  GpuInferenceCluster,
  GpuNodePool,
  GpuQuota,
  GpuSharing,
  MigLayout,
  ObservabilityStack,
  PodSecurityLevel,
  Tenant,
} from '../../lib';

/** The deployer's egress CIDR, which the API allow-list admits. */
function deployerCidr(scope: Construct): string {
  return new TerraformVariable(scope, 'deployer_cidr', {
    type: 'string',
    description: 'Egress CIDR of the machine or CI runner that runs terraform apply, e.g. 198.51.100.7/32',
  }).stringValue;
}

/** A team's admin principal, from a variable: an IAM role ARN on EKS, an Entra group object id on AKS. */
function admins(scope: Construct, team: string, what: string): string {
  return new TerraformVariable(scope, `${team}_admins`, { type: 'string', description: `${what} of the ${team} team's admins` })
    .stringValue;
}

/**
 * Three teams share one EKS cluster through Kueue: H100s cut into 1g.10gb slices and whole L4s for
 * serving, spot A100s for training. Search serves and may borrow idle capacity; ads serves and trains;
 * research trains only, borrowing what the others leave idle. Their quotas together fit what the pools
 * give at maxNodes (checked at synth).
 *
 * Deploy: `cdktf deploy multi-tenant-aws --var deployer_cidr=<your egress IP>/32 --var search_admins=<role ARN> ...`.
 */
export class MultiTenantAwsStack extends TerraformStack {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    localState(this);
    new AwsProvider(this, 'aws', { region: 'us-east-1' });
    const cluster = new GpuInferenceCluster(this, 'Gpu', {
      cloud: Cloud.aws({ endpointAccess: EndpointAccess.publicAndPrivate([deployerCidr(this)]) }),
      clusterName: 'ai-shared',
      nodePools: [
        // p5.4xlarge: one H100 in seven 1g.10gb slices per node, 28 slices at 4 nodes.
        GpuNodePool.inference('h100', { gpu: Gpu.H100_80GB, mig: MigLayout.uniform('1g.10gb'), maxNodes: 4 }),
        GpuNodePool.inference('l4', { gpu: Gpu.L4, maxNodes: 6 }),
        GpuNodePool.training('train', { gpu: Gpu.A100_80GB, spot: true, maxNodes: 2 }),
      ],
    });
    new ObservabilityStack(this, 'Obs', { cluster, kueue: true });
    const sharing = new GpuSharing(this, 'Sharing', { cluster });
    new Tenant(this, 'Search', {
      cluster,
      sharing,
      name: 'search',
      quota: [GpuQuota.of(Gpu.H100_80GB, { migProfile: '1g.10gb', slices: 14 }), GpuQuota.of(Gpu.L4, { gpus: 3 })],
      borrowing: true,
      adminGroup: admins(this, 'search', 'IAM role ARN'),
      costCenter: 'cc-1001',
      // vLLM images run as root.
      podSecurity: PodSecurityLevel.BASELINE,
    });
    new Tenant(this, 'Ads', {
      cluster,
      sharing,
      name: 'ads',
      quota: [
        GpuQuota.of(Gpu.H100_80GB, { migProfile: '1g.10gb', slices: 7 }),
        GpuQuota.of(Gpu.L4, { gpus: 3 }),
        GpuQuota.of(Gpu.A100_80GB, { gpus: 8 }),
      ],
      adminGroup: admins(this, 'ads', 'IAM role ARN'),
      costCenter: 'cc-2002',
      podSecurity: PodSecurityLevel.BASELINE,
    });
    new Tenant(this, 'Research', {
      cluster,
      sharing,
      name: 'research',
      quota: [GpuQuota.of(Gpu.A100_80GB, { gpus: 8 })],
      borrowing: true,
      adminGroup: admins(this, 'research', 'IAM role ARN'),
      costCenter: 'cc-3003',
    });
  }
}

/**
 * The same three teams on AKS: A100s cut into 1g.10gb slices and T4s for serving, spot A100s for training.
 *
 * The resource group (which holds the retained metrics disks) and the VNet live in `multi-tenant-azure-data`,
 * deployed first: `cdktf destroy multi-tenant-azure` removes the cluster and keeps them.
 *
 * Deploy: `TF_VAR_deployer_cidr=<your egress IP>/32 TF_VAR_search_admins=<group object id> ... cdktf deploy
 * multi-tenant-azure-data multi-tenant-azure`.
 */
export class MultiTenantAzureStack extends TerraformStack {
  /** The resource group and the VNet, which outlive the cluster. */
  public readonly dataStack: TerraformStack;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    localState(this);
    // Storage accounts of the platform refuse shared keys: azurerm must not read them through the data plane.
    const features = [{ storage: [{ dataPlaneAvailable: false }] }];
    new AzurermProvider(this, 'azurerm', { features });
    this.dataStack = localDataStack(scope, `${id}-data`);
    new AzurermProvider(this.dataStack, 'azurerm', { features });
    const cluster = new GpuInferenceCluster(this, 'Gpu', {
      cloud: Cloud.azure({ location: 'eastus2', authorizedIpRanges: [deployerCidr(this)] }),
      clusterName: 'ai-shared-az',
      dataStack: this.dataStack,
      nodePools: [
        // Standard_NC24ads_A100_v4: one A100 in seven 1g.10gb slices per node, 28 slices at 4 nodes.
        GpuNodePool.inference('a100', { gpu: Gpu.A100_80GB, mig: MigLayout.uniform('1g.10gb'), maxNodes: 4 }),
        GpuNodePool.inference('t4', { gpu: Gpu.T4, maxNodes: 6 }),
        GpuNodePool.training('train', { gpu: Gpu.A100_80GB, spot: true, maxNodes: 2 }),
      ],
    });
    new ObservabilityStack(this, 'Obs', { cluster, kueue: true });
    const sharing = new GpuSharing(this, 'Sharing', { cluster });
    new Tenant(this, 'Search', {
      cluster,
      sharing,
      name: 'search',
      quota: [GpuQuota.of(Gpu.A100_80GB, { migProfile: '1g.10gb', slices: 14 }), GpuQuota.of(Gpu.T4, { gpus: 3 })],
      borrowing: true,
      adminGroup: admins(this, 'search', 'Entra ID group object id'),
      costCenter: 'cc-1001',
      podSecurity: PodSecurityLevel.BASELINE,
    });
    new Tenant(this, 'Ads', {
      cluster,
      sharing,
      name: 'ads',
      quota: [
        GpuQuota.of(Gpu.A100_80GB, { migProfile: '1g.10gb', slices: 7 }),
        GpuQuota.of(Gpu.T4, { gpus: 3 }),
        GpuQuota.of(Gpu.A100_80GB, { gpus: 8 }),
      ],
      adminGroup: admins(this, 'ads', 'Entra ID group object id'),
      costCenter: 'cc-2002',
      podSecurity: PodSecurityLevel.BASELINE,
    });
    new Tenant(this, 'Research', {
      cluster,
      sharing,
      name: 'research',
      quota: [GpuQuota.of(Gpu.A100_80GB, { gpus: 8 })],
      borrowing: true,
      adminGroup: admins(this, 'research', 'Entra ID group object id'),
      costCenter: 'cc-3003',
    });
  }
}
