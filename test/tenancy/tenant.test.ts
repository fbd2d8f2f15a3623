import { TerraformStack, TerraformVariable, Testing } from 'cdktf';
import { Gpu, PodSecurityLevel } from '../../lib';
import { GpuSharing } from '../../lib/tenancy/kueue';
import { GpuQuota } from '../../lib/tenancy/quota';
import { Tenant } from '../../lib/tenancy/tenant';
import { awsStack, azureStack, problemLines, synthJson } from '../helpers';
import { aksCluster, eksCluster, ofType } from './fixtures';

/** Whether a label selector matches a label set (matchLabels and matchExpressions, as Kubernetes evaluates them). */
function selects(selector: any, labels: { [key: string]: string }): boolean {
  const ml = selector.match_labels ?? {};
  if (!Object.entries(ml).every(([k, v]) => labels[k] === v)) return false;
  return (selector.match_expressions ?? []).every((e: any) => {
    const has = e.key in labels;
    switch (e.operator) {
      case 'In':
        return has && e.values.includes(labels[e.key]);
      case 'NotIn':
        return !has || !e.values.includes(labels[e.key]);
      case 'Exists':
        return has;
      case 'DoesNotExist':
        return !has;
      default:
        throw new Error(e.operator);
    }
  });
}

/**
 * Whether the policies of namespace `target` admit some pod of namespace `from` (whatever labels that
 * pod carries: a tenant controls its own pod labels).
 */
function admits(policies: any[], target: string, from: { [key: string]: string }): boolean {
  return policies
    .filter((p) => p.metadata.namespace === target)
    .some((p) =>
      (p.spec.ingress ?? []).some((rule: any) => {
        const peers = rule.from ?? [];
        if (peers.length === 0) return true; // an ingress rule without `from` admits every source
        return peers.some((peer: any) => {
          if (peer.ip_block) return true; // pod IPs could fall in it
          if (!peer.namespace_selector) return from['kubernetes.io/metadata.name'] === target; // podSelector alone: own namespace
          return selects(peer.namespace_selector, from);
        });
      }),
    );
}

describe('Tenant isolation and quotas', () => {
  const stack = awsStack();
  const cluster = eksCluster(stack);
  const sharing = new GpuSharing(stack, 'Sharing', { cluster });
  const search = new Tenant(stack, 'Search', {
    cluster,
    sharing,
    name: 'search',
    quota: [GpuQuota.of(Gpu.H100_80GB, { migProfile: '1g.10gb', slices: 14 }), GpuQuota.of(Gpu.L4, { gpus: 4 })],
    borrowing: true,
    adminGroup: 'arn:aws:iam::123456789012:role/search-admins',
    costCenter: 'cc-1001',
    podSecurity: PodSecurityLevel.BASELINE,
  });
  const ads = new Tenant(stack, 'Ads', {
    cluster,
    sharing,
    name: 'ads',
    quota: [GpuQuota.of(Gpu.L4, { gpus: 2 }), GpuQuota.of(Gpu.A100_80GB, { gpus: 8 })],
    adminGroup: 'arn:aws:iam::123456789012:role/search-admins',
  });
  const research = new Tenant(stack, 'Research', { cluster, sharing, name: 'research', quota: [GpuQuota.of(Gpu.A100_80GB, { gpus: 4 })] });
  const doc = synthJson(stack);
  const namespaces = ofType(doc, 'kubernetes_namespace_v1');
  const policies = ofType(doc, 'kubernetes_network_policy_v1');
  const labelsOf = (name: string) => ({
    ...namespaces.find((n) => n.metadata.name === name).metadata.labels,
    'kubernetes.io/metadata.name': name,
  });
  const tenantNames = ['search', 'ads', 'research'];

  test("a tenant's policies admit no other tenant's namespace, and no platform namespace but Prometheus", () => {
    for (const target of tenantNames) {
      // Ingress policies here; the egress ones (default-deny-egress and its allows) in test/addons/egress.test.ts.
      const own = policies.filter((p) => p.metadata.namespace === target && p.spec.policy_types.includes('Ingress'));
      expect(own.map((p) => p.metadata.name).sort()).toEqual(['allow-monitoring-scrape', 'allow-same-namespace', 'default-deny-ingress']);
      for (const p of own) expect(p.spec.policy_types).toEqual(['Ingress']);
      expect(policies.filter((p) => p.metadata.namespace === target && !p.spec.policy_types.includes('Ingress')).length).toBeGreaterThan(0);
      expect(own.find((p) => p.metadata.name === 'default-deny-ingress').spec.ingress).toBeUndefined();
      for (const other of tenantNames.filter((t) => t !== target)) expect(admits(policies, target, labelsOf(other))).toBe(false);
      expect(admits(policies, target, labelsOf(target))).toBe(true);
      // Other platform namespaces (Kueue, the GPU operator) are not admitted either.
      expect(admits(policies, target, labelsOf('kueue-system'))).toBe(false);
      expect(admits(policies, target, { 'kubernetes.io/metadata.name': 'monitoring', 'app.kubernetes.io/part-of': 'ai-platform' })).toBe(
        true,
      );
      const scrape = own.find((p) => p.metadata.name === 'allow-monitoring-scrape').spec.ingress[0].from[0];
      expect(scrape).toEqual({
        namespace_selector: { match_labels: { 'kubernetes.io/metadata.name': 'monitoring' } },
        pod_selector: { match_labels: { 'app.kubernetes.io/name': 'prometheus' } },
      });
    }
  });

  test('tenant namespaces are not platform namespaces (platform policies admit platform namespaces)', () => {
    for (const t of tenantNames) {
      const labels = labelsOf(t);
      expect(labels['app.kubernetes.io/part-of']).toBeUndefined();
      expect(labels['ai-platform.dev/tenant']).toBe(t);
      expect(labels['pod-security.kubernetes.io/audit']).toBe('restricted');
    }
    // Platform namespaces admit each other by that label, not tenants (webhook ports aside: the API server
    // calls them, and a policy cannot tell it from a pod).
    const platformPolicies = policies.filter((p) => p.metadata.name === 'allow-same-namespace-and-platform');
    expect(platformPolicies.length).toBeGreaterThan(0);
    for (const p of platformPolicies) for (const t of tenantNames) expect(admits([p], p.metadata.namespace, labelsOf(t))).toBe(false);
    expect(labelsOf('search')['pod-security.kubernetes.io/enforce']).toBe('baseline');
    expect(labelsOf('ads')['pod-security.kubernetes.io/enforce']).toBe('restricted');
  });

  test('ResourceQuota: requests.-prefixed accelerator keys, the listed pools at maxNodes (Kueue holds the quota), 0 elsewhere', () => {
    const quotas = ofType(doc, 'kubernetes_resource_quota_v1');
    for (const q of quotas) for (const k of Object.keys(q.spec.hard)) expect(k).toMatch(/^requests\./);
    const hard = (ns: string) => quotas.find((q) => q.metadata.namespace === ns).spec.hard;
    // ads lists L4 and A100: 6 L4 + 16 A100 at maxNodes. A ceiling at the nominal quota would count pods
    // Kueue holds and could stop a job it admitted from creating its pods; no Neuron.
    expect(hard('ads')).toEqual({
      'requests.nvidia.com/gpu': '22',
      'requests.aws.amazon.com/neuron': '0',
      'requests.aws.amazon.com/neuroncore': '0',
    });
    expect(hard('research')).toEqual({
      'requests.nvidia.com/gpu': '16',
      'requests.aws.amazon.com/neuron': '0',
      'requests.aws.amazon.com/neuroncore': '0',
    });
    // search borrows: every flavor at maxNodes (28 slices + 6 L4 + 8 L40S shares + 16 A100; 2 Inferentia2, 4 cores).
    expect(hard('search')).toEqual({
      'requests.nvidia.com/gpu': '58',
      'requests.aws.amazon.com/neuron': '2',
      'requests.aws.amazon.com/neuroncore': '4',
    });
    expect(search.resourceQuota).toEqual(hard('search'));
    const limits = ofType(doc, 'kubernetes_limit_range_v1').find((l) => l.metadata.namespace === 'ads');
    // Default requests only: a default limit would refuse containers requesting more.
    expect(limits.spec.limit[0]).toEqual({ type: 'Container', default_request: { cpu: '100m', memory: '256Mi' } });
    // The namespace goes before Kueue on destroy (its pods carry Kueue finalizers).
    const kueueId = Object.entries(doc.resource.helm_release).find(([, r]: any) => r.name === 'kueue')![0];
    expect(namespaces.find((n) => n.metadata.name === 'ads').depends_on).toContain(`helm_release.${kueueId}`);
  });

  test('cost-attribution labels on every Kubernetes object of the tenant, tags on its cloud identity', () => {
    const k8sTypes = Object.keys(doc.resource).filter((t) => t.startsWith('kubernetes_'));
    const ofSearch = k8sTypes
      .flatMap((t) => ofType(doc, t))
      .filter((r) => r.metadata?.namespace === 'search' || r.metadata?.name === 'search');
    expect(ofSearch.length).toBeGreaterThanOrEqual(7);
    for (const r of ofSearch)
      expect(r.metadata.labels).toMatchObject({ 'ai-platform.dev/tenant': 'search', 'ai-platform.dev/cost-center': 'cc-1001' });
    for (const m of search.manifests)
      expect(m.metadata.labels).toMatchObject({ 'ai-platform.dev/tenant': 'search', 'ai-platform.dev/cost-center': 'cc-1001' });
    const role = ofType(doc, 'aws_iam_role').find((r) => r.name === 'ai-shared-tenant-search');
    expect(role.tags).toEqual({
      'managed-by': 'cdktf-ai-platform',
      'ai-platform-cluster': 'ai-shared',
      'ai-platform-tenant': 'search',
      'cost-center': 'cc-1001',
    });
    const assoc = ofType(doc, 'aws_eks_pod_identity_association').find((a) => a.namespace === 'search');
    expect(assoc).toMatchObject({ service_account: 'workload', tags: { 'ai-platform-tenant': 'search', 'cost-center': 'cc-1001' } });
    // Other identities keep their tags.
    expect(ofType(doc, 'aws_iam_role').find((r) => r.name === 'ai-shared-cluster').tags['ai-platform-tenant']).toBeUndefined();
    expect(search.identity.namespace).toBe('search');
    const sa = ofType(doc, 'kubernetes_service_account_v1').find((s) => s.metadata.namespace === 'search');
    expect(sa).toMatchObject({ metadata: { name: 'workload' }, automount_service_account_token: false });
  });

  test('admin group: one EKS access entry per role with each namespace group, bound to the tenant role in each namespace only', () => {
    const entries = ofType(doc, 'aws_eks_access_entry').filter((e) => e.principal_arn === 'arn:aws:iam::123456789012:role/search-admins');
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      type: 'STANDARD',
      kubernetes_groups: ['ai-platform:tenant:ads:admins', 'ai-platform:tenant:search:admins'],
    });
    // No access policy: Kubernetes RBAC decides, per namespace.
    expect(ofType(doc, 'aws_eks_access_policy_association').filter((a) => a.principal_arn.includes('search-admins'))).toEqual([]);
    const bindings = ofType(doc, 'kubernetes_role_binding_v1').filter((b) => b.metadata.name === 'tenant-admins');
    expect(bindings.map((b) => [b.metadata.namespace, b.subject[0].name, b.role_ref.name]).sort()).toEqual([
      ['ads', 'ai-platform:tenant:ads:admins', 'ai-platform:tenant-admin:ads'],
      ['search', 'ai-platform:tenant:search:admins', 'ai-platform:tenant-admin:search'],
    ]);
    expect(ofType(doc, 'kubernetes_cluster_role_binding_v1').filter((b) => JSON.stringify(b).includes('tenant'))).toEqual([]);
    expect(research.admin).toBeUndefined();
    expect(ads.localQueueName).toBe('default');
  });
});

describe('Tenant on AKS', () => {
  test('the Entra group is the Kubernetes group; no Azure data-plane role, one Cluster User role', () => {
    const stack = azureStack();
    const cluster = aksCluster(stack);
    const sharing = new GpuSharing(stack, 'Sharing', { cluster });
    const group = '7d3c1a52-5c1e-4c1f-9a55-2f8f0f0c9a11';
    for (const name of ['search', 'ads'])
      new Tenant(stack, name, { cluster, sharing, name, quota: [GpuQuota.of(Gpu.T4, { gpus: 1 })], adminGroup: group, costCenter: 'cc-9' });
    const doc = synthJson(stack);
    const ras = ofType(doc, 'azurerm_role_assignment').filter((r) => r.principal_id === group);
    expect(ras.map((r) => [r.role_definition_name, r.scope.replace(/^\$\{[^}]+\}/, '<cluster>')]).sort()).toEqual([
      ['Azure Kubernetes Service Cluster User Role', '<cluster>'],
    ]);
    for (const r of ras) expect(r.principal_type).toBe('Group');
    const bindings = ofType(doc, 'kubernetes_role_binding_v1').filter((b) => b.metadata.name === 'tenant-admins');
    for (const b of bindings) expect(b.subject).toEqual([{ api_group: 'rbac.authorization.k8s.io', kind: 'Group', name: group }]);
    const identity = ofType(doc, 'azurerm_user_assigned_identity').find((i) => i.name === 'ai-shared-az-tenant-search');
    expect(identity.tags).toMatchObject({ 'ai-platform-tenant': 'search', 'cost-center': 'cc-9' });
    expect(
      ofType(doc, 'azurerm_federated_identity_credential').find((c) => c.subject === 'system:serviceaccount:search:workload').tags,
    ).toBeUndefined();
  });

  test('every cluster maps the principal itself: on AKS the Entra group id is the group', () => {
    const stack = azureStack();
    const cluster = aksCluster(stack, false);
    const sharing = new GpuSharing(stack, 'Sharing', { cluster });
    const t = new Tenant(stack, 'Search', {
      cluster,
      sharing,
      name: 'search',
      quota: [],
      adminGroup: '7d3c1a52-5c1e-4c1f-9a55-2f8f0f0c9a11',
    });
    expect(t.admin!.kubernetesGroup).toBe('7d3c1a52-5c1e-4c1f-9a55-2f8f0f0c9a11');
    expect(t.admin!.grant.dependables.length).toBeGreaterThan(0);
    Testing.synth(stack, true);
    expect(t.admin!.node.metadata.filter((m) => m.type === '@cdktf/warn')).toEqual([]);
  });
});

describe('Tenant validation', () => {
  function tenantProblems(make: (stack: TerraformStack) => void): string[] {
    const stack = awsStack();
    make(stack);
    return problemLines(stack);
  }

  test('names, cost center, Pod Security, cohort, quotas of CPU and memory, principal format', () => {
    const lines = tenantProblems((stack) => {
      const cluster = eksCluster(stack);
      const sharing = new GpuSharing(stack, 'Sharing', { cluster });
      new Tenant(stack, 'A', {
        cluster,
        sharing,
        name: 'Search_Team',
        quota: [],
        borrowing: true,
        joinCohort: false,
        costCenter: 'cost center 1',
        podSecurity: PodSecurityLevel.PRIVILEGED,
        cpuCores: 0,
        memoryGib: 1.5,
        monitoringNamespace: 'Monitoring',
        adminGroup: 'arn:aws:sts::123456789012:assumed-role/admins/me',
      });
      new Tenant(stack, 'B', { cluster, sharing, name: 'kube-system', quota: [] });
      new Tenant(stack, 'C', { cluster, sharing, name: 'ads', quota: [] });
      new Tenant(stack, 'D', { cluster, sharing, name: 'ads', quota: [] });
    });
    expect(lines).toEqual([
      "test/A: name 'Search_Team' is not a DNS-1123 label of at most 40 characters; use lower-case letters, digits and '-', e.g. 'search'",
      'test/A: borrowing true needs a cohort to borrow from, and joinCohort is false; remove joinCohort: false or borrowing: true',
      "test/A: podSecurity 'privileged' lets a tenant's pods reach the node; use PodSecurityLevel.BASELINE (images that run as root) or RESTRICTED",
      "test/A: costCenter 'cost center 1' is not a Kubernetes label value; use 1-63 letters, digits, '-', '_' or '.', starting and ending alphanumeric",
      "test/A: monitoringNamespace 'Monitoring' is not a DNS-1123 label; pass ObservabilityStack's namespace, e.g. 'monitoring'",
      'test/A: cpuCores 0 is not a whole number > 0; e.g. 256',
      'test/A: memoryGib 1.5 is not a whole number > 0; e.g. 1024',
      "test/A/Admins/Cloud: adminGroup 'arn:aws:sts::123456789012:assumed-role/admins/me' is a session ARN; EKS access entries take the role itself: arn:aws:iam::<account>:role/<name>",
      "test/B: name 'kube-system' is a system or platform namespace; give the team its own name, e.g. 'kube-system-team'",
      "test/D: name 'ads' is already a tenant of test/Sharing; give every tenant its own name",
      // Where the name lands: one IAM role name twice.
      "test/D/tenant-ads: roleName 'ai-shared-tenant-ads' is also the IAM role of test/C/tenant-ads, and role names are unique in an account; bind with ids that differ within the first 64 characters of '<cluster>-<id>'",
    ]);
  });

  test('quota inputs: both gpus and slices, whole numbers, MIG profile on that GPU, offered by a pool, unique', () => {
    const lines = tenantProblems((stack) => {
      const cluster = eksCluster(stack);
      const sharing = new GpuSharing(stack, 'Sharing', { cluster });
      new Tenant(stack, 'T', {
        cluster,
        sharing,
        name: 'search',
        quota: [
          GpuQuota.of(Gpu.H100_80GB, { gpus: 2, migProfile: '1g.10gb', slices: 7 }),
          GpuQuota.of(Gpu.L4, { gpus: 0 }),
          GpuQuota.of(Gpu.H100_80GB, { migProfile: '2g.10gb', slices: 3 }),
          GpuQuota.of(Gpu.L4, { migProfile: '1g.10gb', slices: 1 }),
          GpuQuota.of(Gpu.H100_80GB, { migProfile: '3g.40gb', slices: 2 }),
          GpuQuota.of(Gpu.H200_141GB, { gpus: 8 }),
          GpuQuota.of(Gpu.L4, { gpus: 1 }),
          GpuQuota.of(Gpu.L4, { gpus: 1, pool: 'l4' }),
          GpuQuota.of(Gpu.A100_80GB, {}),
          GpuQuota.of(Gpu.A100_80GB, { gpus: 2.5 }),
        ],
      });
    });
    const offers =
      'llm (H100_80GB MIG 1g.10gb: nvidia.com/gpu); l4 (L4: nvidia.com/gpu); shared (L40S: nvidia.com/gpu); train (A100_80GB: nvidia.com/gpu); inf2 (INFERENTIA2: aws.amazon.com/neuron, aws.amazon.com/neuroncore)';
    expect(lines).toEqual([
      'test/T: quota[0].gpus 2 cannot be combined with migProfile/slices; a quota is of whole GPUs or of MIG slices: use two GpuQuota.of(...) entries',
      'test/T: quota[1].gpus 0 is not a whole number > 0; give the number of whole accelerators, e.g. 4',
      "test/T: quota[2].migProfile '2g.10gb' is not offered by NVIDIA H100 80GB; allowed: 1g.10gb, 1g.10gb+me, 1g.20gb, 2g.20gb, 3g.40gb, 4g.40gb, 7g.80gb",
      "test/T: quota[3].migProfile '1g.10gb' cannot be used: NVIDIA L4 does not support MIG; use { gpus: n }",
      `test/T: quota[4] H100_80GB 3g.40gb is offered by no pool of the cluster; it offers ${offers}: quote one of those, or add a pool`,
      `test/T: quota[5] H200_141GB is offered by no pool of the cluster; it offers ${offers}: quote one of those, or add a pool`,
      "test/T: quota[7] L4 repeats flavor 'l4' of an earlier quota; merge them into one GpuQuota",
      "test/T: quota[8].gpus undefined gives no quota; pass { gpus: n } or { migProfile: '<profile>', slices: n }",
      'test/T: quota[9].gpus 2.5 is not a whole number > 0; give the number of whole accelerators, e.g. 4',
    ]);
  });

  test('a GpuSharing of another cluster and an IAM principal that is no role are reported', () => {
    const lines = tenantProblems((stack) => {
      const cluster = eksCluster(stack);
      const other = eksCluster(new TerraformStack(stack.node.root, 'other'));
      const sharing = new GpuSharing(stack, 'Sharing', { cluster: other });
      new Tenant(stack, 'T', { cluster, sharing, name: 'search', quota: [], adminGroup: 'search-platform-admins' });
    });
    expect(lines).toEqual([
      'test/T: sharing test/Sharing belongs to cluster other/Gpu, not test/Gpu; pass the GpuSharing of this cluster',
      "test/T/Admins/Cloud: adminGroup 'search-platform-admins' is not an IAM role ARN; on EKS pass the team's role, e.g. arn:aws:iam::123456789012:role/search-admins",
    ]);
  });

  test('an Entra principal that is no object id is reported', () => {
    const stack = azureStack();
    const cluster = aksCluster(stack);
    const sharing = new GpuSharing(stack, 'Sharing', { cluster });
    new Tenant(stack, 'T', { cluster, sharing, name: 'search', quota: [], adminGroup: 'search-platform-admins' });
    expect(problemLines(stack)).toEqual([
      "test/T/Admins/Cloud: adminGroup 'search-platform-admins' is not an Entra ID object id; on AKS pass the team's group object id, e.g. 00000000-0000-0000-0000-000000000000 from 'az ad group show --group <name> --query id'",
    ]);
  });

  test('values from variables are not rejected', () => {
    const stack = awsStack();
    const cluster = eksCluster(stack);
    const sharing = new GpuSharing(stack, 'Sharing', { cluster });
    const v = (id: string) => new TerraformVariable(stack, id, { type: 'string' }).stringValue;
    new Tenant(stack, 'T', { cluster, sharing, name: 'search', quota: [], adminGroup: v('role'), costCenter: v('cc') });
    expect(problemLines(stack)).toEqual([]);
  });
});
