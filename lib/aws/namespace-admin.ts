import type { EksAccessEntry } from '@cdktf/provider-aws/lib/eks-access-entry';
import { ITerraformDependable, Lazy, Token } from 'cdktf';
import { Construct, IConstruct } from 'constructs';
import { NamespaceAdminGrant, NamespaceAdminOptions } from '../core/cluster';
import { lazyModule } from '../private/lazy';
import { reportProblems } from '../private/problems';

const eksAccessEntryLib = lazyModule<typeof import('@cdktf/provider-aws/lib/eks-access-entry')>('@cdktf/provider-aws/lib/eks-access-entry');

/** Props of EksNamespaceAdmin. */
export interface EksNamespaceAdminProps {
  /** The cloud cluster construct granting access: the principal gets one access entry per cluster. */
  readonly cluster: IConstruct;
  /** EKS cluster name (a reference to the cluster resource, so the entry waits for it). */
  readonly clusterName: string;
  /** IAM role ARN of the team (`arn:aws:iam::<account>:role/<name>`). */
  readonly principalArn: string;
  /** Namespace the team administers. */
  readonly namespace: string;
  /** Kubernetes group the principal is mapped to; a RoleBinding in the namespace names it. */
  readonly kubernetesGroup: string;
  /** Tags of the access entry. */
  readonly tags: { [key: string]: string };
  /**
   * What the entry waits for.
   * @default - nothing beyond the cluster name reference
   */
  readonly dependsOn?: ITerraformDependable[];
}

interface SharedEntry {
  readonly entry: EksAccessEntry;
  readonly groups: string[];
}

const entries = new WeakMap<IConstruct, Map<string, SharedEntry>>();

const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;

/**
 * The EKS side of a namespace admin: an access entry (API authentication mode) for the team's IAM role
 * with `kubernetes_groups`, and no access policy: Kubernetes RBAC (a RoleBinding in the namespace) decides
 * what the group may do, so the grant is scoped to the namespace. EKS takes one access entry per principal,
 * so a role that administers several namespaces gets one entry carrying each namespace's group.
 *
 * The role must not have an access entry made elsewhere (e.g. listed in `adminPrincipalArns`): EKS answers
 * 409 to a second one.
 */
export class EksNamespaceAdmin extends Construct {
  /** The access entry (shared by every namespace the principal administers). */
  public readonly accessEntry: EksAccessEntry;
  /** The group the principal's requests carry. */
  public readonly kubernetesGroup: string;
  /** What a RoleBinding for the group may wait for. */
  public readonly dependables: ITerraformDependable[];

  constructor(scope: Construct, id: string, props: EksNamespaceAdminProps) {
    super(scope, id);
    const arn = props.principalArn;
    if (!Token.isUnresolved(arn) && !ROLE_ARN.test(arn)) {
      reportProblems(this, [
        /:sts::|assumed-role/.test(arn)
          ? `adminGroup '${arn}' is a session ARN; EKS access entries take the role itself: arn:aws:iam::<account>:role/<name>`
          : `adminGroup '${arn}' is not an IAM role ARN; on EKS pass the team's role, e.g. arn:aws:iam::123456789012:role/search-admins`,
      ]);
    }
    this.kubernetesGroup = props.kubernetesGroup;
    const byPrincipal = entries.get(props.cluster) ?? new Map<string, SharedEntry>();
    entries.set(props.cluster, byPrincipal);
    let shared = byPrincipal.get(arn);
    if (!shared) {
      const groups: string[] = [];
      const entry = new (eksAccessEntryLib().EksAccessEntry)(this, 'Resource', {
        clusterName: props.clusterName,
        principalArn: arn,
        type: 'STANDARD',
        kubernetesGroups: Lazy.listValue({ produce: () => [...groups].sort() }),
        tags: props.tags,
        dependsOn: props.dependsOn,
      });
      shared = { entry, groups };
      byPrincipal.set(arn, shared);
    }
    if (!shared.groups.includes(props.kubernetesGroup)) shared.groups.push(props.kubernetesGroup);
    this.accessEntry = shared.entry;
    this.dependables = [shared.entry];
  }
}

/** `cluster.grantNamespaceAdmin` of both EKS cloud clusters: an EksNamespaceAdmin, as the contract returns it. */
export function grantEksNamespaceAdmin(
  cluster: IConstruct,
  clusterName: string,
  scope: Construct,
  id: string,
  o: NamespaceAdminOptions,
): NamespaceAdminGrant {
  const e = new EksNamespaceAdmin(scope, id, {
    cluster,
    clusterName,
    principalArn: o.principal,
    namespace: o.namespace,
    kubernetesGroup: o.kubernetesGroup,
    tags: o.tags,
  });
  return { kubernetesGroup: e.kubernetesGroup, dependables: e.dependables };
}
