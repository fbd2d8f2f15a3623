import { ITerraformDependable, Token } from 'cdktf';
import { Construct } from 'constructs';
import { ManifestsRelease } from '../addons/manifests';
import { IPlatformCluster } from '../core/cluster';
import { KUEUE_NAMESPACE } from './charts';

type Manifest = { [key: string]: any };

/** One RBAC rule (the rendered `rbac.authorization.k8s.io/v1` PolicyRule). */
export interface TenantRule {
  /** API groups ('' is the core group). */
  readonly apiGroups: string[];
  /** Resources, with subresources as `pods/exec`. */
  readonly resources: string[];
  /** Verbs. */
  readonly verbs: string[];
}

const READ = ['get', 'list', 'watch'];
const WRITE = ['create', 'delete', 'deletecollection', 'patch', 'update'];

/**
 * What a tenant admin may do in its namespace, on top of ClusterRole `view` (bound beside it, so reads
 * of the built-in objects and of CRDs that aggregate to `view` stay as upstream defines them).
 *
 * The write rules are the bootstrap `edit` role (kubernetes `plugin/pkg/auth/authorizer/rbac/bootstrappolicy`,
 * `system:aggregate-to-edit`) plus the `admin` additions (`roles`, `rolebindings`, `localsubjectaccessreviews`),
 * without `networkpolicies` in `networking.k8s.io` and `extensions`: the namespace's NetworkPolicies,
 * ResourceQuota and LimitRange belong to the platform (`view` reads them; `edit` never wrote quotas or
 * limits). Kueue's LocalQueues and Workloads are readable; writing them is Kueue's and the platform's.
 * RBAC forbids binding a role that holds more than the binder holds, so with this role a tenant cannot bind
 * `admin` or `edit` to anyone; the admission policy (`tenantGuardrailManifests`) stops the rest.
 */
export const TENANT_ADMIN_RULES: TenantRule[] = [
  { apiGroups: [''], resources: ['pods/attach', 'pods/proxy', 'pods/exec', 'pods/portforward', 'secrets', 'services/proxy'], verbs: READ },
  { apiGroups: [''], resources: ['serviceaccounts'], verbs: ['impersonate'] },
  { apiGroups: [''], resources: ['pods', 'pods/attach', 'pods/proxy', 'pods/exec', 'pods/portforward'], verbs: WRITE },
  { apiGroups: [''], resources: ['pods/eviction', 'serviceaccounts/token'], verbs: ['create'] },
  {
    apiGroups: [''],
    resources: [
      'replicationcontrollers',
      'replicationcontrollers/scale',
      'serviceaccounts',
      'services',
      'services/proxy',
      'persistentvolumeclaims',
      'configmaps',
      'secrets',
    ],
    verbs: WRITE,
  },
  {
    apiGroups: ['apps'],
    resources: [
      'statefulsets',
      'statefulsets/scale',
      'daemonsets',
      'deployments',
      'deployments/scale',
      'deployments/rollback',
      'replicasets',
      'replicasets/scale',
    ],
    verbs: WRITE,
  },
  { apiGroups: ['autoscaling'], resources: ['horizontalpodautoscalers'], verbs: WRITE },
  { apiGroups: ['batch'], resources: ['jobs', 'cronjobs'], verbs: WRITE },
  { apiGroups: ['policy'], resources: ['poddisruptionbudgets'], verbs: WRITE },
  { apiGroups: ['networking.k8s.io'], resources: ['ingresses'], verbs: WRITE },
  { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: [...READ, ...WRITE] },
  { apiGroups: ['authorization.k8s.io'], resources: ['localsubjectaccessreviews'], verbs: ['create'] },
  { apiGroups: ['rbac.authorization.k8s.io'], resources: ['roles', 'rolebindings'], verbs: [...READ, ...WRITE] },
  { apiGroups: ['kueue.x-k8s.io'], resources: ['localqueues', 'workloads'], verbs: READ },
];

/** Objects of a tenant namespace only the platform writes: the admission policy refuses them to the tenant. */
export const PLATFORM_OWNED = [
  { apiGroup: 'networking.k8s.io', resource: 'networkpolicies' },
  { apiGroup: '', resource: 'resourcequotas' },
  { apiGroup: '', resource: 'limitranges' },
  { apiGroup: 'kueue.x-k8s.io', resource: 'localqueues' },
];

const ESCALATING_VERBS = ['*', 'bind', 'escalate'];

/**
 * Problems of rules a user adds to the tenant admin role (`TenantProps.adminRules`): a wildcard would
 * include what the platform owns, a platform-owned resource must stay read-only for tenants, and `bind` or
 * `escalate` would let the team grant itself any role.
 */
export function validateAdminRules(rules: TenantRule[]): string[] {
  const out: string[] = [];
  const owned = [...PLATFORM_OWNED, { apiGroup: '', resource: 'namespaces' }, { apiGroup: 'extensions', resource: 'networkpolicies' }];
  const readOnly = new Set(['get', 'list', 'watch']);
  rules.forEach((r, i) => {
    const at = `adminRules[${i}]`;
    for (const [field, values] of [
      ['apiGroups', r.apiGroups],
      ['resources', r.resources],
      ['verbs', r.verbs],
    ] as const) {
      if (values.length === 0)
        out.push(
          `${at}.${field} [] is empty; list what the rule grants, e.g. ${field === 'verbs' ? "['get', 'list', 'create']" : field === 'apiGroups' ? "['keda.sh']" : "['scaledobjects']"}`,
        );
      const wild = values.filter((v) => !Token.isUnresolved(v) && v.includes('*'));
      if (wild.length && field !== 'verbs')
        out.push(
          `${at}.${field} '${wild[0]}' is a wildcard, which takes in the NetworkPolicies, quotas and limits the platform owns; name each ${field === 'apiGroups' ? 'API group' : 'resource'}`,
        );
    }
    const escalating = r.verbs.filter((v) => ESCALATING_VERBS.includes(v));
    if (escalating.length)
      out.push(`${at}.verbs '${escalating[0]}' lets the team grant itself more than its role; list the verbs, without bind or escalate`);
    const writes = r.verbs.filter((v) => !readOnly.has(v));
    const hit = owned.find((o) => r.apiGroups.includes(o.apiGroup) && r.resources.includes(o.resource));
    if (hit && writes.length)
      out.push(
        `${at} grants '${writes[0]}' on ${hit.apiGroup || 'core'}/${hit.resource}, which the platform owns in a tenant namespace; change them in the stack, or grant only get, list, watch`,
      );
  });
  return out;
}

/** Props of TenantGuardrails. */
export interface TenantGuardrailsProps {
  /** The cluster. */
  readonly cluster: IPlatformCluster;
  /** Tenant name (names the policy). */
  readonly name: string;
  /** The tenant's namespace. */
  readonly namespace: string;
  /**
   * Kubernetes group of the tenant's admins (the group its RoleBinding names).
   * @default - none: the namespace's service accounts are the only tenant identities
   */
  readonly adminGroup?: string;
  /** Labels of the policy objects. */
  readonly labels: { [key: string]: string };
  /** What the release waits for (Kueue's namespace, the tenant namespace and its policies). */
  readonly dependsOn: ITerraformDependable[];
}

/** A CEL string literal (single-quoted, escaped); Terraform tokens stay inside it and resolve at apply. */
function cel(s: string): string {
  return Token.isUnresolved(s) ? `'${s}'` : `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/**
 * The ValidatingAdmissionPolicy and its binding that keep a tenant inside its guardrails
 * (`admissionregistration.k8s.io/v1`, Kubernetes 1.30+).
 *
 * Who is a tenant: a request carrying the tenant's admin group, or any service account of the namespace
 * (`system:serviceaccounts:<ns>`: tokens a tenant can mint or mount). Everyone else, Terraform's deployer,
 * the namespace controller that empties a deleted namespace, Kueue, is not matched at all, so the policy
 * never stands in the way of an apply or a destroy, and no platform identity needs listing.
 *
 * What a tenant may not do in its namespace: create, change or delete NetworkPolicies, ResourceQuotas,
 * LimitRanges or LocalQueues; change or delete the Namespace (its Pod Security and tenant labels); bind
 * anyone but the namespace's service accounts and its own group to a role other than `view` (a
 * RoleBinding to an outside user would give that user the tenant's rights outside these rules).
 */
export function tenantGuardrailManifests(o: {
  name: string;
  namespace: string;
  adminGroup?: string;
  labels: { [key: string]: string };
}): Manifest[] {
  const name = `ai-platform-tenant-${o.name}`;
  const groups = [...(o.adminGroup !== undefined ? [o.adminGroup] : []), `system:serviceaccounts:${o.namespace}`];
  const groupList = `[${groups.map(cel).join(', ')}]`;
  const ns = cel(o.namespace);
  const owned = `[${PLATFORM_OWNED.map((p) => cel(p.resource)).join(', ')}]`;
  const rule = (apiGroup: string, resources: string[], operations: string[]) => ({
    apiGroups: [apiGroup],
    apiVersions: ['*'],
    resources,
    operations,
    scope: 'Namespaced',
  });
  const policy = {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingAdmissionPolicy',
    metadata: { name, labels: { ...o.labels } },
    spec: {
      failurePolicy: 'Fail',
      matchConstraints: {
        // The namespace's own name label: the API server sets it and nobody can change it.
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': o.namespace } },
        resourceRules: [
          ...PLATFORM_OWNED.map((p) => rule(p.apiGroup, [p.resource], ['CREATE', 'UPDATE', 'DELETE'])),
          { ...rule('', ['namespaces'], ['UPDATE', 'DELETE']), scope: 'Cluster' },
          rule('rbac.authorization.k8s.io', ['rolebindings'], ['CREATE', 'UPDATE']),
        ],
      },
      matchConditions: [
        {
          name: 'tenant-identity',
          expression: `has(request.userInfo.groups) && request.userInfo.groups.exists(g, g in ${groupList})`,
        },
      ],
      validations: [
        {
          expression: `!(request.resource.resource in ${owned})`,
          messageExpression: `'the ' + request.resource.resource + ' of tenant namespace ' + ${ns} + ' belong to the platform; ask the platform team to change them in the stack'`,
          reason: 'Forbidden',
        },
        {
          expression: `request.resource.resource != 'namespaces'`,
          message: `the namespace ${o.namespace} (its Pod Security and tenant labels) belongs to the platform; ask the platform team to change it in the stack`,
          reason: 'Forbidden',
        },
        {
          expression:
            `request.resource.resource != 'rolebindings' || ` +
            `(object.roleRef.kind == 'ClusterRole' && object.roleRef.name == 'view') || ` +
            `!has(object.subjects) || object.subjects.all(s, ` +
            `(s.kind == 'ServiceAccount' && has(s.namespace) && s.namespace == ${ns}) || ` +
            `(s.kind == 'Group' && s.name in ${groupList}))`,
          message: `RoleBindings of tenant namespace ${o.namespace} may name only its service accounts and the tenant's group, unless they grant ClusterRole view`,
          reason: 'Forbidden',
        },
      ],
    },
  };
  const binding = {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingAdmissionPolicyBinding',
    metadata: { name, labels: { ...o.labels } },
    spec: { policyName: name, validationActions: ['Deny'] },
  };
  return [policy, binding];
}

/**
 * The admission policy of one tenant (`tenantGuardrailManifests`), installed through the library's
 * manifests chart: a built-in API needs no CRD, and unlike `kubernetes_manifest` the plan does not need the
 * cluster, so the first apply creates cluster, namespace and policy in one pass. The release record lives
 * in Kueue's namespace with the tenant's other releases, where tenants cannot reach it.
 */
export class TenantGuardrails extends Construct {
  /** The release. */
  public readonly release: ManifestsRelease;
  /** The ValidatingAdmissionPolicy and its binding. */
  public readonly manifests: Manifest[];

  constructor(scope: Construct, id: string, props: TenantGuardrailsProps) {
    super(scope, id);
    this.manifests = tenantGuardrailManifests(props);
    this.release = new ManifestsRelease(this, 'Policy', {
      cluster: props.cluster,
      releaseName: `tenant-${props.name}-guardrails`,
      namespace: KUEUE_NAMESPACE,
      manifests: this.manifests,
      dependsOn: props.dependsOn,
    });
  }
}
