import { lazyModule } from '../private/lazy';
import type { RoleAssignment } from '@cdktf/provider-azurerm/lib/role-assignment';
import type { FederatedIdentityCredential } from '@cdktf/provider-azurerm/lib/federated-identity-credential';
import type { UserAssignedIdentity } from '@cdktf/provider-azurerm/lib/user-assigned-identity';
import { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import { CloudProvider, IWorkloadIdentity } from '../core/cluster';
import { reportProblems } from '../private/problems';
import { K8sName, isToken, shown, validateK8sName } from '../private/validation';

const federatedIdentityCredentialLib = lazyModule<typeof import('@cdktf/provider-azurerm/lib/federated-identity-credential')>(
  '@cdktf/provider-azurerm/lib/federated-identity-credential',
);
const roleAssignmentLib = lazyModule<typeof import('@cdktf/provider-azurerm/lib/role-assignment')>(
  '@cdktf/provider-azurerm/lib/role-assignment',
);
const userAssignedIdentityLib = lazyModule<typeof import('@cdktf/provider-azurerm/lib/user-assigned-identity')>(
  '@cdktf/provider-azurerm/lib/user-assigned-identity',
);

/** Options of a federated workload identity. */
export interface FederatedWorkloadIdentityProps {
  /** Identity name. */
  readonly identityName: string;
  /** Resource group. */
  readonly resourceGroupName: string;
  /** Location. */
  readonly location: string;
  /** The cluster's OIDC issuer URL. */
  readonly oidcIssuerUrl: string;
  /** Namespace of the service account. */
  readonly namespace: string;
  /** Service account name. */
  readonly serviceAccountName: string;
  /** Tags. */
  readonly tags: { [key: string]: string };
}

/**
 * A Kubernetes service account federated with a user-assigned managed identity (Entra workload identity):
 * pods exchange their projected token for an Entra token, no secret is stored anywhere.
 */
export class FederatedWorkloadIdentity extends Construct implements IWorkloadIdentity {
  public readonly cloudProvider = CloudProvider.AZURE;
  /** The managed identity. */
  public readonly identity: UserAssignedIdentity;
  /** The federated credential trusting the service account. */
  public readonly credential: FederatedIdentityCredential;
  public readonly namespace: string;
  public readonly serviceAccountName: string;
  public readonly principal: string;
  public readonly serviceAccountAnnotations: { [key: string]: string };
  public readonly podLabels: { [key: string]: string } = { 'azure.workload.identity/use': 'true' };
  public readonly dependables: ITerraformDependable[];
  private grants = 0;

  constructor(scope: Construct, id: string, props: FederatedWorkloadIdentityProps) {
    super(scope, id);
    reportProblems(this, [
      ...validateK8sName('namespace', props.namespace, K8sName.LABEL, 'serving'),
      ...validateK8sName('serviceAccountName', props.serviceAccountName, K8sName.SUBDOMAIN, 'model-server'),
      ...(!isToken(props.identityName) && !/^[A-Za-z0-9][A-Za-z0-9_-]{2,127}$/.test(props.identityName)
        ? [
            `identityName ${shown(props.identityName)} (the cluster name and the binding's id) is not a managed identity name; use 3-128 letters, digits, '-' or '_', starting alphanumeric: bind with an id of letters, digits and '-'`,
          ]
        : []),
    ]);
    this.namespace = props.namespace;
    this.serviceAccountName = props.serviceAccountName;
    this.identity = new (userAssignedIdentityLib().UserAssignedIdentity)(this, 'Identity', {
      name: props.identityName,
      resourceGroupName: props.resourceGroupName,
      location: props.location,
      tags: props.tags,
    });
    this.credential = new (federatedIdentityCredentialLib().FederatedIdentityCredential)(this, 'Credential', {
      // One credential per identity: the name needs to be valid, not unique (3-120 of [A-Za-z0-9_-]).
      name: credentialName(props.namespace, props.serviceAccountName),
      resourceGroupName: props.resourceGroupName,
      parentId: this.identity.id,
      issuer: props.oidcIssuerUrl,
      subject: `system:serviceaccount:${props.namespace}:${props.serviceAccountName}`,
      audience: ['api://AzureADTokenExchange'],
    });
    this.principal = this.identity.clientId;
    this.serviceAccountAnnotations = { 'azure.workload.identity/client-id': this.identity.clientId };
    this.dependables = [this.credential];
  }

  /**
   * Assigns an Azure RBAC role on `scope` (a resource id) to the identity; pods using it wait for the
   * assignment.
   */
  public assignRole(scope: string, roleDefinitionName: string): RoleAssignment {
    const ra = new (roleAssignmentLib().RoleAssignment)(this, `Grant${this.grants++}`, {
      scope,
      roleDefinitionName,
      principalId: this.identity.principalId,
      principalType: 'ServicePrincipal',
    });
    this.dependables.push(ra);
    return ra;
  }
}

/** The federated credential's name from the service account it trusts; literal parts made Azure-valid. */
function credentialName(namespace: string, serviceAccountName: string): string {
  const raw = `${namespace}-${serviceAccountName}`;
  if (isToken(namespace) || isToken(serviceAccountName)) return raw;
  return raw
    .replace(/[^A-Za-z0-9_-]/g, '-')
    .slice(0, 120)
    .padEnd(3, '-');
}

/** The managed identity name of cluster `clusterName`'s identity `id`: a literal trimmed to Azure's 128 characters. */
export function federatedIdentityName(clusterName: string, id: string): string {
  const name = `${clusterName}-${id}`;
  return isToken(clusterName) ? name : name.slice(0, 128);
}
