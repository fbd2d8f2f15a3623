import { execFileSync } from 'child_process';
import * as path from 'path';
import { TerraformVariable } from 'cdktf';
import { ExistingCluster, Gpu, KubernetesVersion } from '../../lib';
import { GpuSharing } from '../../lib/tenancy/kueue';
import { GpuQuota } from '../../lib/tenancy/quota';
import { Tenant } from '../../lib/tenancy/tenant';
import { toYaml } from '../../lib/private/yaml';
import { awsStack, azureStack, problemLines, synthJson } from '../helpers';
import { aksCluster, eksCluster, ofType } from './fixtures';

const EKS_GROUP = 'ai-platform:tenant:search:admins';
const ENTRA_GROUP = '7d3c1a52-5c1e-4c1f-9a55-2f8f0f0c9a11';
const WRITE = ['create', 'update', 'patch', 'delete', 'deletecollection'];

const made = new Map<string, Tenant>();

function eksDoc(): any {
  const stack = awsStack();
  const cluster = eksCluster(stack);
  const sharing = new GpuSharing(stack, 'Sharing', { cluster });
  const search = new Tenant(stack, 'Search', {
    cluster,
    sharing,
    name: 'search',
    quota: [GpuQuota.of(Gpu.L4, { gpus: 2 })],
    adminGroup: 'arn:aws:iam::123456789012:role/search-admins',
  });
  const ads = new Tenant(stack, 'Ads', { cluster, sharing, name: 'ads', quota: [GpuQuota.of(Gpu.L4, { gpus: 1 })] });
  made.set('search', search);
  made.set('ads', ads);
  return synthJson(stack);
}

/** The objects a tenant's guardrails release installs (checked to be what the release renders). */
function guardrails(doc: any, tenant: string): any[] {
  const release = ofType(doc, 'helm_release').find((r) => r.name === `tenant-${tenant}-guardrails`);
  expect(release).toMatchObject({ namespace: 'kueue-system', chart: expect.stringMatching(/^\.\/assets\//) });
  const manifests = made.get(tenant)!.guardrails.manifests;
  expect(release.values).toEqual([toYaml({ manifests })]);
  return manifests;
}

// ---- RBAC: what the tenant group is granted, walked rule by rule ----

type Rule = { api_groups: string[]; resources: string[]; verbs: string[] };

/** Rules the tenant group holds in `namespace`: its RoleBindings' ClusterRoles (`view` as read-only everywhere). */
function tenantRules(doc: any, namespace: string, group: string): { roles: string[]; rules: Rule[] } {
  const bindings = ofType(doc, 'kubernetes_role_binding_v1').filter(
    (b) => b.metadata.namespace === namespace && b.subject.some((s: any) => s.kind === 'Group' && s.name === group),
  );
  const roles = bindings.map((b) => b.role_ref.name).sort();
  const rules: Rule[] = [];
  for (const b of bindings) {
    expect(b.role_ref.kind).toBe('ClusterRole');
    if (b.role_ref.name === 'view') {
      // The bootstrap `view` role (and whatever aggregates to it) grants read verbs only.
      rules.push({ api_groups: ['*'], resources: ['*'], verbs: ['get', 'list', 'watch'] });
      continue;
    }
    const role = ofType(doc, 'kubernetes_cluster_role_v1').find((r) => r.metadata.name === b.role_ref.name);
    expect(role).toBeDefined();
    rules.push(...role.rule);
  }
  return { roles, rules };
}

function can(rules: Rule[], apiGroup: string, resource: string, verb: string): boolean {
  return rules.some(
    (r) =>
      (r.api_groups.includes(apiGroup) || r.api_groups.includes('*')) &&
      (r.resources.includes(resource) || r.resources.includes('*')) &&
      (r.verbs.includes(verb) || r.verbs.includes('*')),
  );
}

describe('Tenant admin role', () => {
  const doc = eksDoc();
  const { roles, rules } = tenantRules(doc, 'search', EKS_GROUP);

  test('the group is bound to view and its own ClusterRole, never admin or edit, and nothing cluster-wide', () => {
    expect(roles).toEqual(['ai-platform:tenant-admin:search', 'view']);
    const all = ofType(doc, 'kubernetes_role_binding_v1').flatMap((b) =>
      b.subject.some((s: any) => s.name === EKS_GROUP) ? [b.role_ref.name] : [],
    );
    expect(all).not.toContain('admin');
    expect(all).not.toContain('edit');
    expect(ofType(doc, 'kubernetes_cluster_role_binding_v1').filter((b) => JSON.stringify(b).includes(EKS_GROUP))).toEqual([]);
    // The role carries no wildcard and no escalation verbs.
    for (const r of rules.filter((x) => x.verbs.some((v) => v !== 'get' && v !== 'list' && v !== 'watch'))) {
      expect(r.api_groups).not.toContain('*');
      expect(r.resources).not.toContain('*');
      expect(r.verbs).not.toEqual(expect.arrayContaining(['escalate']));
      expect(r.verbs).not.toEqual(expect.arrayContaining(['bind']));
    }
  });

  test.each([
    ['networking.k8s.io', 'networkpolicies'],
    ['extensions', 'networkpolicies'],
    ['', 'resourcequotas'],
    ['', 'limitranges'],
    ['', 'namespaces'],
    ['kueue.x-k8s.io', 'localqueues'],
    ['kueue.x-k8s.io', 'clusterqueues'],
  ])('cannot write %s/%s, can read it', (group, resource) => {
    for (const verb of WRITE) expect([verb, can(rules, group, resource, verb)]).toEqual([verb, false]);
    expect(can(rules, group, resource, 'get')).toBe(true);
  });

  test.each([
    ['apps', 'deployments'],
    ['apps', 'statefulsets'],
    ['batch', 'jobs'],
    ['', 'pods'],
    ['', 'pods/exec'],
    ['', 'services'],
    ['', 'secrets'],
    ['', 'configmaps'],
    ['', 'persistentvolumeclaims'],
    ['', 'serviceaccounts'],
    ['autoscaling', 'horizontalpodautoscalers'],
    ['networking.k8s.io', 'ingresses'],
    ['rbac.authorization.k8s.io', 'rolebindings'],
  ])('manages its workloads: %s/%s', (group, resource) => {
    for (const verb of ['create', 'update', 'delete']) expect([verb, can(rules, group, resource, verb)]).toEqual([verb, true]);
  });

  test('the policy is installed before the group gets a right', () => {
    const release = Object.entries(doc.resource.helm_release).find(([, r]: [string, any]) => r.name === 'tenant-search-guardrails')![0];
    for (const b of ofType(doc, 'kubernetes_role_binding_v1').filter((x) => x.metadata.namespace === 'search'))
      expect(b.depends_on).toContain(`helm_release.${release}`);
  });
});

// ---- Admission: the policy evaluated against sample requests ----

interface Req {
  operation: 'CREATE' | 'UPDATE' | 'DELETE';
  group: string;
  resource: string;
  namespace: string;
  name: string;
  user: { username: string; groups?: string[] };
  object?: any;
  /** Labels of the request's namespace (the namespace object's own for a namespace). */
  nsLabels: { [k: string]: string };
}

const TENANT_ADMIN = { username: 'alice', groups: [EKS_GROUP, 'system:authenticated'] };
const TENANT_SA = {
  username: 'system:serviceaccount:search:workload',
  groups: ['system:serviceaccounts', 'system:serviceaccounts:search', 'system:authenticated'],
};
const DEPLOYER = { username: 'arn:aws:sts::123456789012:assumed-role/deployer/terraform', groups: ['system:authenticated'] };
const NS_CONTROLLER = {
  username: 'system:serviceaccount:kube-system:namespace-controller',
  groups: ['system:serviceaccounts', 'system:serviceaccounts:kube-system', 'system:authenticated'],
};
const SEARCH_NS = { 'kubernetes.io/metadata.name': 'search', 'ai-platform.dev/tenant': 'search' };
const ADS_NS = { 'kubernetes.io/metadata.name': 'ads', 'ai-platform.dev/tenant': 'ads' };

function celBatch(items: { expression: string; vars: any }[]): ({ value: any } | { error: string })[] {
  const out = execFileSync(process.execPath, [path.join(__dirname, 'cel-eval.mjs')], { input: JSON.stringify(items) });
  return JSON.parse(out.toString());
}

/** Whether a policy's matchConstraints select the request (resource rules and namespace selector). */
function matches(policy: any, r: Req): boolean {
  const mc = policy.spec.matchConstraints;
  const rule = mc.resourceRules.some(
    (x: any) => x.apiGroups.includes(r.group) && x.resources.includes(r.resource) && x.operations.includes(r.operation),
  );
  const sel = mc.namespaceSelector?.matchLabels ?? {};
  return rule && Object.entries(sel).every(([k, v]) => r.nsLabels[k] === v);
}

/** Runs requests through a policy as the API server does: match, matchConditions, then every validation. */
function admit(policy: any, reqs: Req[]): { matched: boolean; allowed: boolean; messages: string[] }[] {
  const items: { expression: string; vars: any }[] = [];
  const plan = reqs.map((r) => {
    const vars = {
      request: {
        operation: r.operation,
        namespace: r.namespace,
        name: r.name,
        resource: { group: r.group, version: 'v1', resource: r.resource },
        userInfo: r.user,
      },
      object: r.object ?? null,
      oldObject: null,
    };
    if (!matches(policy, r)) return undefined;
    const conds = policy.spec.matchConditions.map((c: any) => items.push({ expression: c.expression, vars }) - 1);
    const vals = policy.spec.validations.map((v: any) => ({
      at: items.push({ expression: v.expression, vars }) - 1,
      msg: v.messageExpression ? items.push({ expression: v.messageExpression, vars }) - 1 : undefined,
      message: v.message,
    }));
    return { conds, vals };
  });
  const results = celBatch(items);
  const value = (i: number) => {
    const res = results[i];
    if ('error' in res) throw new Error(`CEL error in ${items[i].expression}: ${res.error}`);
    return res.value;
  };
  return plan.map((p) => {
    if (!p || !p.conds.every((i: number) => value(i) === true)) return { matched: false, allowed: true, messages: [] };
    const failed = p.vals.filter((v: any) => value(v.at) !== true);
    return {
      matched: true,
      allowed: failed.length === 0,
      messages: failed.map((v: any) => (v.msg !== undefined ? value(v.msg) : v.message)),
    };
  });
}

const np = (operation: Req['operation'], user: Req['user'], ns = 'search', labels = SEARCH_NS): Req => ({
  operation,
  group: 'networking.k8s.io',
  resource: 'networkpolicies',
  namespace: ns,
  name: 'default-deny-ingress',
  user,
  nsLabels: labels,
  object: operation === 'DELETE' ? undefined : { spec: { podSelector: {}, ingress: [{}] } },
});

const rb = (user: Req['user'], subjects: any[], roleRef = { kind: 'ClusterRole', name: 'ai-platform:tenant-admin:search' }): Req => ({
  operation: 'CREATE',
  group: 'rbac.authorization.k8s.io',
  resource: 'rolebindings',
  namespace: 'search',
  name: 'grant',
  user,
  nsLabels: SEARCH_NS,
  object: { roleRef: { apiGroup: 'rbac.authorization.k8s.io', ...roleRef }, subjects },
});

describe('Tenant admission policy', () => {
  const doc = eksDoc();
  const [policy, binding] = guardrails(doc, 'search');

  test('a v1 policy, failing closed, bound with Deny, selecting the namespace by its immutable name label', () => {
    expect(policy).toMatchObject({
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingAdmissionPolicy',
      metadata: { name: 'ai-platform-tenant-search' },
      spec: {
        failurePolicy: 'Fail',
        matchConstraints: { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'search' } } },
      },
    });
    expect(binding).toEqual({
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingAdmissionPolicyBinding',
      metadata: { name: 'ai-platform-tenant-search', labels: expect.any(Object) },
      spec: { policyName: 'ai-platform-tenant-search', validationActions: ['Deny'] },
    });
    const rules = policy.spec.matchConstraints.resourceRules.map((r: any) => [r.apiGroups[0], r.resources[0], r.operations.join(',')]);
    expect(rules).toEqual([
      ['networking.k8s.io', 'networkpolicies', 'CREATE,UPDATE,DELETE'],
      ['', 'resourcequotas', 'CREATE,UPDATE,DELETE'],
      ['', 'limitranges', 'CREATE,UPDATE,DELETE'],
      ['kueue.x-k8s.io', 'localqueues', 'CREATE,UPDATE,DELETE'],
      ['', 'namespaces', 'UPDATE,DELETE'],
      ['rbac.authorization.k8s.io', 'rolebindings', 'CREATE,UPDATE'],
    ]);
    // A tenant without adminGroup: its service accounts are still held to the rules.
    const [adsPolicy] = guardrails(doc, 'ads');
    expect(adsPolicy.spec.matchConditions[0].expression).toContain("'system:serviceaccounts:ads'");
    expect(adsPolicy.spec.matchConditions[0].expression).not.toContain('ai-platform:tenant:');
  });

  test('the tenant admin and its service accounts cannot delete, weaken or add NetworkPolicies, quotas, limits, queues', () => {
    const reqs: Req[] = [
      np('DELETE', TENANT_ADMIN),
      np('UPDATE', TENANT_ADMIN),
      np('CREATE', TENANT_ADMIN),
      np('DELETE', TENANT_SA),
      { ...np('UPDATE', TENANT_ADMIN), group: '', resource: 'resourcequotas', name: 'accelerators' },
      { ...np('DELETE', TENANT_ADMIN), group: '', resource: 'limitranges', name: 'defaults' },
      { ...np('DELETE', TENANT_SA), group: 'kueue.x-k8s.io', resource: 'localqueues', name: 'default' },
      { ...np('CREATE', TENANT_ADMIN), group: 'kueue.x-k8s.io', resource: 'localqueues', name: 'other' },
    ];
    const out = admit(policy, reqs);
    for (const [i, o] of out.entries()) {
      expect([i, o.matched, o.allowed]).toEqual([i, true, false]);
      expect(o.messages).toEqual([
        expect.stringMatching(
          /^the (networkpolicies|resourcequotas|limitranges|localqueues) of tenant namespace search belong to the platform/,
        ),
      ]);
    }
  });

  test('the tenant cannot change or delete its namespace (Pod Security labels)', () => {
    const labels = { ...SEARCH_NS, 'pod-security.kubernetes.io/enforce': 'privileged' };
    const out = admit(policy, [
      {
        operation: 'UPDATE',
        group: '',
        resource: 'namespaces',
        namespace: 'search',
        name: 'search',
        user: TENANT_ADMIN,
        nsLabels: labels,
        object: { metadata: { labels } },
      },
      { operation: 'DELETE', group: '', resource: 'namespaces', namespace: 'search', name: 'search', user: TENANT_SA, nsLabels: SEARCH_NS },
    ]);
    for (const o of out) {
      expect(o.allowed).toBe(false);
      expect(o.messages).toEqual([
        expect.stringMatching(/namespace search \(its Pod Security and tenant labels\) belongs to the platform/),
      ]);
    }
  });

  test('the platform is never matched: Terraform applies and destroys, the namespace controller empties the namespace', () => {
    const out = admit(policy, [
      np('DELETE', DEPLOYER),
      np('CREATE', DEPLOYER),
      { ...np('DELETE', NS_CONTROLLER), group: '', resource: 'resourcequotas' },
      {
        operation: 'UPDATE',
        group: '',
        resource: 'namespaces',
        namespace: 'search',
        name: 'search',
        user: DEPLOYER,
        nsLabels: SEARCH_NS,
        object: {},
      },
      rb(DEPLOYER, [{ kind: 'Group', name: EKS_GROUP, apiGroup: 'rbac.authorization.k8s.io' }]),
      // A requester without groups (none in practice) is not matched, rather than failing the condition.
      np('DELETE', { username: 'nobody' }),
    ]);
    for (const o of out) expect(o).toEqual({ matched: false, allowed: true, messages: [] });
  });

  test("another tenant's namespace and workload objects are outside this policy", () => {
    const out = admit(policy, [
      np('DELETE', TENANT_ADMIN, 'ads', ADS_NS),
      { ...np('CREATE', TENANT_ADMIN), group: 'apps', resource: 'deployments' },
      { ...np('DELETE', TENANT_SA), group: 'batch', resource: 'jobs' },
    ]);
    for (const o of out) expect(o.matched).toBe(false);
  });

  test('RoleBindings the tenant writes name only its service accounts and group, unless they grant view', () => {
    const sa = (ns: string) => ({ kind: 'ServiceAccount', name: 'runner', namespace: ns });
    const out = admit(policy, [
      rb(TENANT_ADMIN, [sa('search')]),
      rb(TENANT_ADMIN, [{ kind: 'Group', name: EKS_GROUP, apiGroup: 'rbac.authorization.k8s.io' }]),
      rb(TENANT_ADMIN, [{ kind: 'User', name: 'bob', apiGroup: 'rbac.authorization.k8s.io' }], { kind: 'ClusterRole', name: 'view' }),
      rb(TENANT_ADMIN, [{ kind: 'User', name: 'mallory', apiGroup: 'rbac.authorization.k8s.io' }]),
      rb(TENANT_ADMIN, [sa('ads')]),
      rb(TENANT_ADMIN, [{ kind: 'Group', name: 'system:serviceaccounts', apiGroup: 'rbac.authorization.k8s.io' }]),
      rb(TENANT_SA, [sa('search'), { kind: 'User', name: 'mallory', apiGroup: 'rbac.authorization.k8s.io' }], {
        kind: 'Role',
        name: 'mine',
      }),
    ]);
    expect(out.map((o) => o.allowed)).toEqual([true, true, true, false, false, false, false]);
    expect(out[3].messages).toEqual([
      "RoleBindings of tenant namespace search may name only its service accounts and the tenant's group, unless they grant ClusterRole view",
    ]);
  });
});

describe('Tenant guardrails on AKS', () => {
  test('the Entra group is held to the policy; no namespace-scoped Azure data-plane role widens the tenant role', () => {
    const stack = azureStack();
    const cluster = aksCluster(stack);
    const sharing = new GpuSharing(stack, 'Sharing', { cluster });
    made.set(
      'search',
      new Tenant(stack, 'Search', { cluster, sharing, name: 'search', quota: [GpuQuota.of(Gpu.T4, { gpus: 1 })], adminGroup: ENTRA_GROUP }),
    );
    const doc = synthJson(stack);
    const ras = ofType(doc, 'azurerm_role_assignment').filter((r) => r.principal_id === ENTRA_GROUP);
    expect(ras.map((r) => r.role_definition_name)).toEqual(['Azure Kubernetes Service Cluster User Role']);
    expect(tenantRules(doc, 'search', ENTRA_GROUP).roles).toEqual(['ai-platform:tenant-admin:search', 'view']);
    const [policy] = guardrails(doc, 'search');
    const admin = { username: 'alice@example.com', groups: [ENTRA_GROUP, 'system:authenticated'] };
    const [del] = admit(policy, [np('DELETE', admin)]);
    expect(del.allowed).toBe(false);
  });
});

describe('Tenant guardrails validation', () => {
  function existing(stack: any, version: KubernetesVersion): ExistingCluster {
    return ExistingCluster.fromEks(stack, 'Shared', {
      clusterName: 'platform-prod',
      storageClassName: 'gp3',
      kubernetesVersion: version,
      acceleratorPools: [
        {
          name: 'a10g',
          gpu: Gpu.A10G,
          labels: { 'eks.amazonaws.com/nodegroup': 'a10g' },
          capacity: [{ name: 'nvidia.com/gpu', count: 4 }],
          maxNodes: 5,
        },
      ],
    });
  }

  test('a cluster older than Kubernetes 1.30 has no ValidatingAdmissionPolicy v1', () => {
    const stack = awsStack();
    const cluster = existing(stack, KubernetesVersion.of('1.29'));
    const sharing = new GpuSharing(stack, 'Sharing', { cluster });
    new Tenant(stack, 'Search', { cluster, sharing, name: 'search', quota: [] });
    expect(problemLines(stack)).toEqual([
      "test/Search: cluster kubernetesVersion '1.29' has no ValidatingAdmissionPolicy v1, which keeps tenants off their NetworkPolicies and quotas; use Kubernetes 1.30 or newer (KubernetesVersion.DEFAULT)",
    ]);
  });

  test.each(['1.30', 'token'])('Kubernetes %s passes', (v) => {
    const stack = awsStack();
    const version =
      v === 'token' ? KubernetesVersion.of(new TerraformVariable(stack, 'k8s', { type: 'string' }).stringValue) : KubernetesVersion.of(v);
    const cluster = existing(stack, version);
    const sharing = new GpuSharing(stack, 'Sharing', { cluster });
    new Tenant(stack, 'Search', { cluster, sharing, name: 'search', quota: [] });
    expect(problemLines(stack)).toEqual([]);
  });
});

describe('Tenant adminRules', () => {
  const keda = {
    apiGroups: ['keda.sh'],
    resources: ['scaledobjects'],
    verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'],
  };

  test('extra rules join the tenant role; the platform objects stay read-only', () => {
    const stack = awsStack();
    const cluster = eksCluster(stack);
    const sharing = new GpuSharing(stack, 'Sharing', { cluster });
    new Tenant(stack, 'Search', {
      cluster,
      sharing,
      name: 'search',
      quota: [],
      adminGroup: 'arn:aws:iam::123456789012:role/search-admins',
      adminRules: [keda, { apiGroups: ['networking.k8s.io'], resources: ['networkpolicies'], verbs: ['get', 'list'] }],
    });
    const { rules } = tenantRules(synthJson(stack), 'search', EKS_GROUP);
    expect(can(rules, 'keda.sh', 'scaledobjects', 'create')).toBe(true);
    for (const verb of WRITE) expect(can(rules, 'networking.k8s.io', 'networkpolicies', verb)).toBe(false);
  });

  test('wildcards, escalation, writes on platform objects and rules without an admin group are refused', () => {
    const stack = awsStack();
    const cluster = eksCluster(stack);
    const sharing = new GpuSharing(stack, 'Sharing', { cluster });
    new Tenant(stack, 'A', {
      cluster,
      sharing,
      name: 'a',
      quota: [],
      adminGroup: 'arn:aws:iam::123456789012:role/a-admins',
      adminRules: [
        keda,
        { apiGroups: ['*'], resources: ['*'], verbs: ['get'] },
        { apiGroups: ['rbac.authorization.k8s.io'], resources: ['clusterroles'], verbs: ['bind'] },
        { apiGroups: [''], resources: ['resourcequotas', 'configmaps'], verbs: ['get', 'patch'] },
        { apiGroups: ['kueue.x-k8s.io'], resources: [], verbs: ['*'] },
      ],
    });
    new Tenant(stack, 'B', { cluster, sharing, name: 'b', quota: [], adminRules: [keda] });
    expect(problemLines(stack)).toEqual([
      "test/A: adminRules[1].apiGroups '*' is a wildcard, which takes in the NetworkPolicies, quotas and limits the platform owns; name each API group",
      "test/A: adminRules[1].resources '*' is a wildcard, which takes in the NetworkPolicies, quotas and limits the platform owns; name each resource",
      "test/A: adminRules[2].verbs 'bind' lets the team grant itself more than its role; list the verbs, without bind or escalate",
      "test/A: adminRules[3] grants 'patch' on core/resourcequotas, which the platform owns in a tenant namespace; change them in the stack, or grant only get, list, watch",
      "test/A: adminRules[4].resources [] is empty; list what the rule grants, e.g. ['scaledobjects']",
      "test/A: adminRules[4].verbs '*' lets the team grant itself more than its role; list the verbs, without bind or escalate",
      "test/B: adminRules (1) grant nobody: adminGroup is unset; pass the team's adminGroup, or drop adminRules",
    ]);
  });
});
