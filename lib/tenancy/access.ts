import { RoleBindingV1 } from '@cdktf/provider-kubernetes/lib/role-binding-v1';
import { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import { IPlatformCluster, NamespaceAdminGrant } from '../core/cluster';

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
}

/**
 * Namespace-scoped admin rights for a team, the same on every cloud: the cluster maps the team's cloud
 * principal to a Kubernetes group (its own business: an EKS access entry, AKS Entra groups), and a
 * RoleBinding in the namespace gives that group the built-in `admin` ClusterRole (which aggregates
 * Kueue's LocalQueue and Workload viewer roles, not the right to create queues).
 */
export class NamespaceAdmin extends Construct {
  /** The RoleBinding. */
  public readonly roleBinding: RoleBindingV1;
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
    this.roleBinding = new RoleBindingV1(this, 'Resource', {
      provider: cluster.providers(this).kubernetes,
      metadata: { name: 'tenant-admins', namespace: props.namespace, labels: { ...props.labels } },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'admin' },
      subject: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: this.kubernetesGroup }],
      dependsOn: props.dependsOn,
    });
  }
}
