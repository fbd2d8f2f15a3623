import { ClusterRoleV1 } from '@cdktf/provider-kubernetes/lib/cluster-role-v1';
import { RoleBindingV1 } from '@cdktf/provider-kubernetes/lib/role-binding-v1';
import { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import { IPlatformCluster, NamespaceAdminGrant } from '../core/cluster';
import { TENANT_ADMIN_RULES, TenantRule } from './guardrails';

export type { NamespaceAdminGrant, NamespaceAdminOptions } from '../core/cluster';

/** Props of NamespaceAdmin. */
export interface NamespaceAdminProps {
  /** The cluster. */
  readonly cluster: IPlatformCluster;
  /** The namespace. */
  readonly namespace: string;
  /** The team's principal: an IAM role ARN on EKS, an Entra group object id on AKS. */
  readonly principal: string;
  /** Kubernetes group name for clouds that map principals to groups (EKS), e.g. `ai-platform:search:admins`. */
  readonly kubernetesGroup: string;
  /** Labels of the RoleBinding. */
  readonly labels: { [key: string]: string };
  /** Tags for cloud resources. */
  readonly tags: { [key: string]: string };
  /** What the RoleBinding waits for (the namespace). */
  readonly dependsOn: ITerraformDependable[];
  /**
   * Rules added to the tenant admin role, e.g. writing the custom resources of an operator the team uses
   * (`validateAdminRules` checks them).
   * @default - none
   */
  readonly extraRules?: TenantRule[];
}

/**
 * Namespace-scoped admin rights for a team, the same on every cloud: the cluster maps the team's cloud
 * principal to a Kubernetes group (its own business: an EKS access entry, AKS Entra groups), and
 * RoleBindings in the namespace give that group ClusterRole `view` and a ClusterRole of its own
 * (`ai-platform:tenant-admin:<namespace>`, `TENANT_ADMIN_RULES`): the built-in `admin` without writing
 * NetworkPolicies (which `admin` allows), ResourceQuotas and LimitRanges (which it never did). The role
 * is cluster-scoped so the team cannot edit it; one per namespace so each tenant's life cycle is its own.
 */
export class NamespaceAdmin extends Construct {
  /** The RoleBinding to the tenant admin ClusterRole. */
  public readonly roleBinding: RoleBindingV1;
  /** The RoleBinding to ClusterRole `view`. */
  public readonly viewBinding: RoleBindingV1;
  /** The tenant admin ClusterRole. */
  public readonly clusterRole: ClusterRoleV1;
  /** The Kubernetes group bound. */
  public readonly kubernetesGroup: string;
  /** The cloud side (access entry, role assignments). */
  public readonly grant: NamespaceAdminGrant;

  constructor(scope: Construct, id: string, props: NamespaceAdminProps) {
    super(scope, id);
    const cluster = props.cluster;
    this.grant = cluster.grantNamespaceAdmin(this, 'Cloud', {
      namespace: props.namespace,
      principal: props.principal,
      kubernetesGroup: props.kubernetesGroup,
      tags: props.tags,
    });
    this.kubernetesGroup = this.grant.kubernetesGroup;
    const provider = cluster.providers(this).kubernetes;
    const roleName = `ai-platform:tenant-admin:${props.namespace}`;
    this.clusterRole = new ClusterRoleV1(this, 'Role', {
      provider,
      metadata: { name: roleName, labels: { ...props.labels } },
      rule: [...TENANT_ADMIN_RULES, ...(props.extraRules ?? [])].map((r) => ({
        apiGroups: [...r.apiGroups],
        resources: [...r.resources],
        verbs: [...r.verbs],
      })),
      dependsOn: props.dependsOn,
    });
    const bind = (id2: string, name: string, role: string, dependsOn: ITerraformDependable[]) =>
      new RoleBindingV1(this, id2, {
        provider,
        metadata: { name, namespace: props.namespace, labels: { ...props.labels } },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
        subject: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: this.kubernetesGroup }],
        dependsOn,
      });
    this.roleBinding = bind('Resource', 'tenant-admins', roleName, [...props.dependsOn, this.clusterRole]);
    this.viewBinding = bind('View', 'tenant-admins-view', 'view', props.dependsOn);
  }
}
