import { ITerraformDependable } from 'cdktf';
import { Construct, IConstruct } from 'constructs';
import { sameStack } from '../private/cluster-access';
import { Duration } from '../core/duration';
import { lazyModule } from '../private/lazy';
import { waitAfter } from '../private/time';

const dataAzurermClientConfigLib = lazyModule<typeof import('@cdktf/provider-azurerm/lib/data-azurerm-client-config')>(
  '@cdktf/provider-azurerm/lib/data-azurerm-client-config',
);
const roleAssignmentLib = lazyModule<typeof import('@cdktf/provider-azurerm/lib/role-assignment')>(
  '@cdktf/provider-azurerm/lib/role-assignment',
);

/**
 * Where AKS's CSI drivers put volumes that must outlive the cluster, and the access they need there.
 * StorageClasses with reclaim Retain name the group in `parameters.resourceGroup`.
 */
export interface IRetainedVolumeAccess {
  /** The resource group that outlives the cluster (the cluster's own, not the node resource group). */
  readonly resourceGroupName: string;
  /**
   * Lets the cluster's control-plane identity create volumes in the group (once per cluster); returns what
   * StorageClasses created in `scope`'s stack wait for.
   */
  grant(scope: IConstruct): ITerraformDependable[];
}

/** A plan-time check of a grant's principal: a Terraform condition and the message when it is false. */
export interface PrincipalCheck {
  /** Terraform expression that must be true, e.g. `${try(...) == "SystemAssigned"}`. */
  readonly condition: string;
  /** What plan prints when it is false: what is wrong and the fix. */
  readonly errorMessage: string;
}

/** Props of RetainedVolumeAccess. */
export interface RetainedVolumeAccessProps {
  /** The resource group that outlives the cluster. */
  readonly resourceGroupName: string;
  /** Principal (object) id of the cluster's control-plane identity, which the Azure Disk and Azure Files CSI drivers act as. */
  readonly clusterPrincipalId: string;
  /**
   * A plan-time check that `clusterPrincipalId` is real (a precondition of the grant).
   * @default - none
   */
  readonly principalCheck?: PrincipalCheck;
  /**
   * How long StorageClasses wait after the grant: Azure applies a role assignment within minutes, and a
   * volume provisioned before then is refused (the driver retries, but a chart waiting for its claim may
   * time out first).
   * @default Duration.minutes(5)
   */
  readonly propagationDelay?: Duration;
}

/**
 * AKS deletes the node resource group (MC_*), and every disk and file share in it, with the cluster,
 * whatever a StorageClass's reclaim policy says. Retained volumes therefore go to the cluster's own resource
 * group (`parameters.resourceGroup`), which AKS leaves alone. The managed Azure Disk and Azure Files CSI
 * drivers run in the control plane as the cluster identity, which AKS makes Contributor of the node resource
 * group only: it gets Contributor on this one group too (what the drivers' documentation asks for a group
 * other than the node resource group), scoped to the group, created with the first StorageClass that needs it.
 * https://learn.microsoft.com/azure/aks/use-managed-identity#summary-of-managed-identities-used-by-aks
 */
export class RetainedVolumeAccess extends Construct implements IRetainedVolumeAccess {
  public readonly resourceGroupName: string;
  private readonly principalId: string;
  private readonly principalCheck?: PrincipalCheck;
  private readonly propagationDelay: Duration;
  private granted?: ITerraformDependable[];

  constructor(scope: Construct, id: string, props: RetainedVolumeAccessProps) {
    super(scope, id);
    this.resourceGroupName = props.resourceGroupName;
    this.principalId = props.clusterPrincipalId;
    this.principalCheck = props.principalCheck;
    this.propagationDelay = props.propagationDelay ?? Duration.minutes(5);
  }

  public grant(scope: IConstruct): ITerraformDependable[] {
    if (!this.granted) {
      const client = new (dataAzurermClientConfigLib().DataAzurermClientConfig)(this, 'Client', {});
      const assignment = new (roleAssignmentLib().RoleAssignment)(this, 'Contributor', {
        scope: `/subscriptions/${client.subscriptionId}/resourceGroups/${this.resourceGroupName}`,
        roleDefinitionName: 'Contributor',
        principalId: this.principalId,
        principalType: 'ServicePrincipal',
        description: 'AKS CSI drivers: retained disks and file shares outside the node resource group',
        lifecycle: this.principalCheck ? { precondition: [this.principalCheck] } : undefined,
      });
      const applied = waitAfter(this, 'Propagation', this.propagationDelay, [assignment], { assignment: assignment.id });
      this.granted = [assignment, applied];
    }
    return sameStack(scope, this.granted);
  }
}
