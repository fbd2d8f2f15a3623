import { TerraformStack, TerraformVariable } from 'cdktf';
import { Construct } from 'constructs';
import { deployerCidr, ExampleCloud } from '../shared/cloud';
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

/** What the multi-tenant example needs from a cloud. */
export interface MultiTenantCloud {
  readonly cloud: ExampleCloud;
  /** Whether the cluster's network and retained disks live in a data stack `<id>-data`. */
  readonly dataStack: boolean;
  /** The cluster's cloud, its API open to the deployer's CIDR. */
  readonly clusterCloud: (deployerCidr: string) => Cloud;
  readonly clusterName: string;
  /** The MIG-partitioned serving pool first, then whole GPUs for serving, then spot A100s for training. */
  readonly nodePools: GpuNodePool[];
  /** The GPU cut into 1g.10gb slices, and the one served whole. */
  readonly slicedGpu: Gpu;
  readonly wholeGpu: Gpu;
  /** What a team's admin principal is: an IAM role ARN on EKS, an Entra group object id on AKS. */
  readonly adminPrincipal: string;
}

/** A team's admin principal, from a variable. */
function admins(scope: Construct, team: string, what: string): string {
  return new TerraformVariable(scope, `${team}_admins`, { type: 'string', description: `${what} of the ${team} team's admins` })
    .stringValue;
}

/**
 * Three teams share one cluster through Kueue. Search serves and may borrow idle capacity; ads serves and
 * trains; research trains only, borrowing what the others leave idle. Their quotas together fit what the
 * pools give at maxNodes (checked at synth).
 */
export class MultiTenantStack extends TerraformStack {
  /** The resource group and the VNet, which outlive the cluster (Azure). */
  public readonly dataStack?: TerraformStack;

  constructor(scope: Construct, id: string, on: MultiTenantCloud) {
    super(scope, id);
    on.cloud.setUp(this);
    this.dataStack = on.dataStack ? on.cloud.dataStack(scope, id) : undefined;
    const cluster = new GpuInferenceCluster(this, 'Gpu', {
      cloud: on.clusterCloud(deployerCidr(this)),
      clusterName: on.clusterName,
      dataStack: this.dataStack,
      nodePools: on.nodePools,
    });
    const observability = new ObservabilityStack(this, 'Obs', { cluster, kueue: true });
    const sharing = new GpuSharing(this, 'Sharing', { cluster });
    const search = new Tenant(this, 'Search', {
      cluster,
      sharing,
      name: 'search',
      quota: [GpuQuota.of(on.slicedGpu, { migProfile: '1g.10gb', slices: 14 }), GpuQuota.of(on.wholeGpu, { gpus: 3 })],
      borrowing: true,
      adminGroup: admins(this, 'search', on.adminPrincipal),
      costCenter: 'cc-1001',
      // vLLM images run as root.
      podSecurity: PodSecurityLevel.BASELINE,
      // Warned when the month projected from the last 7 days passes 80 % of it.
      gpuBudget: { monthlyUsd: 20000, alertAtPercent: 80 },
    });
    observability.addAlertRules('Budgets', 'ai-platform.budgets', search.budgetAlerts());
    new Tenant(this, 'Ads', {
      cluster,
      sharing,
      name: 'ads',
      quota: [
        GpuQuota.of(on.slicedGpu, { migProfile: '1g.10gb', slices: 7 }),
        GpuQuota.of(on.wholeGpu, { gpus: 3 }),
        GpuQuota.of(Gpu.A100_80GB, { gpus: 8 }),
      ],
      adminGroup: admins(this, 'ads', on.adminPrincipal),
      costCenter: 'cc-2002',
      podSecurity: PodSecurityLevel.BASELINE,
    });
    new Tenant(this, 'Research', {
      cluster,
      sharing,
      name: 'research',
      quota: [GpuQuota.of(Gpu.A100_80GB, { gpus: 8 })],
      borrowing: true,
      adminGroup: admins(this, 'research', on.adminPrincipal),
      costCenter: 'cc-3003',
    });
  }
}

/**
 * The three teams on EKS: H100s cut into 1g.10gb slices and whole L4s for serving, spot A100s for training.
 *
 * Deploy: `cdktf deploy multi-tenant-aws --var deployer_cidr=<your egress IP>/32 --var search_admins=<role ARN> ...`.
 */
export class MultiTenantAwsStack extends MultiTenantStack {
  constructor(scope: Construct, id: string) {
    super(scope, id, {
      cloud: ExampleCloud.aws('us-east-1'),
      dataStack: false,
      clusterCloud: (cidr) => Cloud.aws({ endpointAccess: EndpointAccess.publicAndPrivate([cidr]) }),
      clusterName: 'ai-shared',
      nodePools: [
        // p5.4xlarge: one H100 in seven 1g.10gb slices per node, 28 slices at 4 nodes.
        GpuNodePool.inference('h100', { gpu: Gpu.H100_80GB, mig: MigLayout.uniform('1g.10gb'), maxNodes: 4 }),
        GpuNodePool.inference('l4', { gpu: Gpu.L4, maxNodes: 6 }),
        GpuNodePool.training('train', { gpu: Gpu.A100_80GB, spot: true, maxNodes: 2 }),
      ],
      slicedGpu: Gpu.H100_80GB,
      wholeGpu: Gpu.L4,
      adminPrincipal: 'IAM role ARN',
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
export class MultiTenantAzureStack extends MultiTenantStack {
  constructor(scope: Construct, id: string) {
    super(scope, id, {
      cloud: ExampleCloud.azure(),
      dataStack: true,
      clusterCloud: (cidr) => Cloud.azure({ location: 'eastus2', authorizedIpRanges: [cidr] }),
      clusterName: 'ai-shared-az',
      nodePools: [
        // Standard_NC24ads_A100_v4: one A100 in seven 1g.10gb slices per node, 28 slices at 4 nodes.
        GpuNodePool.inference('a100', { gpu: Gpu.A100_80GB, mig: MigLayout.uniform('1g.10gb'), maxNodes: 4 }),
        GpuNodePool.inference('t4', { gpu: Gpu.T4, maxNodes: 6 }),
        GpuNodePool.training('train', { gpu: Gpu.A100_80GB, spot: true, maxNodes: 2 }),
      ],
      slicedGpu: Gpu.A100_80GB,
      wholeGpu: Gpu.T4,
      adminPrincipal: 'Entra ID group object id',
    });
  }
}
