import type { RoleAssignment } from '@cdktf/provider-azurerm/lib/role-assignment';
import { ITerraformDependable, Token } from 'cdktf';
import { Construct, IConstruct } from 'constructs';
import { NamespaceAdminGrant, NamespaceAdminOptions } from '../core/cluster';
import { lazyModule } from '../private/lazy';
import { reportProblems } from '../private/problems';

const roleAssignmentLib = lazyModule<typeof import('@cdktf/provider-azurerm/lib/role-assignment')>(
  '@cdktf/provider-azurerm/lib/role-assignment',
);

/** Props of AksNamespaceAdmin. */
export interface AksNamespaceAdminProps {
  /** The cloud cluster construct granting access: the group gets one Cluster User assignment per cluster. */
  readonly cluster: IConstruct;
  /** Resource id of the AKS cluster. */
  readonly clusterId: string;
  /** Object id of the team's Entra ID group. */
  readonly groupObjectId: string;
  /** Namespace the team administers (its rights there are Kubernetes RBAC's: no Azure role is scoped to it). */
  readonly namespace: string;
}

const GUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const userRoles = new WeakMap<IConstruct, Map<string, RoleAssignment>>();

/**
 * The AKS side of a namespace admin. With Entra ID authentication a group's object id is already a group
 * in the members' tokens, so the Kubernetes RoleBinding names it as it is (that is the group returned), and
 * Kubernetes RBAC decides what the group may do in the namespace: with Azure RBAC for Kubernetes
 * authorization on, the AKS webhook and Kubernetes RBAC both authorize, a request passing if either allows
 * it. The group therefore gets no namespace-scoped Azure data-plane role: *Azure Kubernetes Service RBAC
 * Admin* would allow what the tenant role withholds (NetworkPolicies, LimitRanges, binding any role),
 * and Kubernetes RBAC cannot take back what the webhook allows. Once per cluster it gets *Azure Kubernetes
 * Service Cluster User Role* so members can fetch a kubeconfig (no data-plane right).
 */
export class AksNamespaceAdmin extends Construct {
  /** The cluster user role assignment (shared by every namespace of the group). */
  public readonly clusterUser: RoleAssignment;
  /** The group the members' requests carry: the group's object id. */
  public readonly kubernetesGroup: string;
  /** The role assignments. */
  public readonly dependables: ITerraformDependable[];

  constructor(scope: Construct, id: string, props: AksNamespaceAdminProps) {
    super(scope, id);
    const group = props.groupObjectId;
    if (!Token.isUnresolved(group) && !GUID.test(group)) {
      reportProblems(this, [
        `adminGroup '${group}' is not an Entra ID object id; on AKS pass the team's group object id, e.g. 00000000-0000-0000-0000-000000000000 from 'az ad group show --group <name> --query id'`,
      ]);
    }
    this.kubernetesGroup = group;
    const ra = roleAssignmentLib().RoleAssignment;
    // Azure refuses a second identical assignment (409 RoleAssignmentExists): one per cluster and group.
    const byGroup = userRoles.get(props.cluster) ?? new Map<string, RoleAssignment>();
    userRoles.set(props.cluster, byGroup);
    let user = byGroup.get(group);
    if (!user) {
      user = new ra(this, 'ClusterUser', {
        scope: props.clusterId,
        roleDefinitionName: 'Azure Kubernetes Service Cluster User Role',
        principalId: group,
        principalType: 'Group',
      });
      byGroup.set(group, user);
    }
    this.clusterUser = user;
    this.dependables = [user];
  }
}

/** `cluster.grantNamespaceAdmin` of both AKS cloud clusters: an AksNamespaceAdmin, as the contract returns it. */
export function grantAksNamespaceAdmin(
  cluster: IConstruct,
  clusterId: string,
  scope: Construct,
  id: string,
  o: NamespaceAdminOptions,
): NamespaceAdminGrant {
  const a = new AksNamespaceAdmin(scope, id, { cluster, clusterId, groupObjectId: o.principal, namespace: o.namespace });
  return { kubernetesGroup: a.kubernetesGroup, dependables: a.dependables };
}
