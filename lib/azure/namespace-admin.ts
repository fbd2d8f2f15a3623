import type { RoleAssignment } from '@cdktf/provider-azurerm/lib/role-assignment';
import { ITerraformDependable, Token } from 'cdktf';
import { Construct, IConstruct } from 'constructs';
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
  /** Namespace the team administers. */
  readonly namespace: string;
}

const GUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const userRoles = new WeakMap<IConstruct, Map<string, RoleAssignment>>();

/**
 * The AKS side of a namespace admin. With Entra ID authentication a group's object id is already a group
 * in the members' tokens, so the Kubernetes RoleBinding names it as it is (that is the group returned).
 * Because library clusters authorize Entra principals with Azure RBAC, the group also gets *Azure
 * Kubernetes Service RBAC Admin* scoped to the namespace (`<cluster id>/namespaces/<ns>`) and, once per
 * cluster, *Azure Kubernetes Service Cluster User Role* so members can fetch a kubeconfig.
 */
export class AksNamespaceAdmin extends Construct {
  /** The namespace-scoped data-plane role assignment. */
  public readonly namespaceAdmin: RoleAssignment;
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
    this.namespaceAdmin = new ra(this, 'Resource', {
      scope: `${props.clusterId}/namespaces/${props.namespace}`,
      roleDefinitionName: 'Azure Kubernetes Service RBAC Admin',
      principalId: group,
      principalType: 'Group',
    });
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
    this.dependables = [this.namespaceAdmin, user];
  }
}
