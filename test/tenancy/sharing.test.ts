import { Cloud, ExistingCluster, Gpu, GpuInferenceCluster, GpuNodePool, PlatformPriorityClasses } from '../../lib';
import { ordinaryPodTolerations } from '../../lib/tenancy/flavors';
import { KUEUE_NAMESPACE, TenancyCharts } from '../../lib/tenancy/charts';
import { KUEUE_FRAMEWORKS, WORKLOAD_PRIORITIES } from '../../lib/tenancy/manifests';
import { GpuSharing } from '../../lib/tenancy/kueue';
import { GpuQuota } from '../../lib/tenancy/quota';
import { Tenant } from '../../lib/tenancy/tenant';
import { crdProblems } from '../crd-schema';
import { awsStack, azureStack, problemLines, synthJson } from '../helpers';
import { KUEUE_SCHEMAS, aksCluster, eksCluster, ofType } from './fixtures';

describe('GpuSharing', () => {
  const stack = awsStack();
  const cluster = eksCluster(stack);
  const sharing = new GpuSharing(stack, 'Sharing', { cluster });
  const tenants = [
    new Tenant(stack, 'Search', {
      cluster,
      sharing,
      name: 'search',
      quota: [GpuQuota.of(Gpu.H100_80GB, { migProfile: '1g.10gb', slices: 14 }), GpuQuota.of(Gpu.L4, { gpus: 4 })],
      borrowing: true,
    }),
    new Tenant(stack, 'Research', { cluster, sharing, name: 'research', quota: [GpuQuota.of(Gpu.A100_80GB, { gpus: 8 })] }),
    new Tenant(stack, 'Edge', { cluster, sharing, name: 'edge', quota: [GpuQuota.of(Gpu.INFERENTIA2, { gpus: 2 })], joinCohort: false }),
  ];
  const doc = synthJson(stack);
  const releases = ofType(doc, 'helm_release');
  const kueue = releases.find((r) => r.name === 'kueue');

  test('Kueue from the pinned OCI chart, in its own restricted namespace, on the system pool', () => {
    expect(TenancyCharts.KUEUE).toEqual({ chart: 'kueue', repository: 'oci://registry.k8s.io/kueue/charts', version: '0.19.2' });
    expect([kueue.chart, kueue.repository, kueue.version, kueue.namespace]).toEqual([
      'kueue',
      'oci://registry.k8s.io/kueue/charts',
      '0.19.2',
      KUEUE_NAMESPACE,
    ]);
    const values: string = kueue.values[0];
    expect(values).toContain('nodeSelector:\n    ai-platform.dev/role: system');
    expect(values).toContain('repository: registry.k8s.io/kueue/kueue\n      tag: v0.19.2\n      pullPolicy: IfNotPresent');
    expect(values).toContain('enablePrometheus: false');
    const ns = ofType(doc, 'kubernetes_namespace_v1').find((n) => n.metadata.name === KUEUE_NAMESPACE);
    expect(ns.metadata.labels['pod-security.kubernetes.io/enforce']).toBe('restricted');
    // The API server reaches the webhooks and the visibility API.
    const ports = ofType(doc, 'kubernetes_network_policy_v1')
      .filter((p) => p.metadata.namespace === KUEUE_NAMESPACE && p.metadata.name.startsWith('allow-port-'))
      .map((p) => p.spec.ingress[0].ports[0].port);
    expect(ports).toEqual(['9443', '8082']);
  });

  test('webhooks and management limited to tenant namespaces, fair sharing and quota metrics on', () => {
    const c = sharing.configuration;
    expect(c.apiVersion).toBe('config.kueue.x-k8s.io/v1beta2');
    expect(c.managedJobsNamespaceSelector).toEqual({ matchExpressions: [{ key: 'ai-platform.dev/tenant', operator: 'Exists' }] });
    expect(c.fairSharing).toEqual({ preemptionStrategies: ['LessThanOrEqualToFinalShare', 'LessThanInitialShare'] });
    expect(c.metrics.enableClusterQueueResources).toBe(true);
    expect(c.integrations.frameworks).toEqual(KUEUE_FRAMEWORKS);
    for (const f of [
      'batch/job',
      'jobset.x-k8s.io/jobset',
      'ray.io/rayjob',
      'ray.io/raycluster',
      'kubeflow.org/pytorchjob',
      'pod',
      'deployment',
      'statefulset',
    ])
      expect(c.integrations.frameworks).toContain(f);
    // Rendered into the chart value the chart reads its webhook namespaceSelector from.
    expect(kueue.values[0]).toContain(
      'managedJobsNamespaceSelector:\n      matchExpressions:\n        - key: ai-platform.dev/tenant\n          operator: Exists',
    );
    // No tenant namespace is a system or platform namespace.
    const labelled = ofType(doc, 'kubernetes_namespace_v1').filter((n) => n.metadata.labels?.['ai-platform.dev/tenant']);
    expect(labelled.map((n) => n.metadata.name).sort()).toEqual(['edge', 'research', 'search']);
  });

  test('every Kueue object matches the pinned v1beta2 CRDs', () => {
    const all = [...sharing.manifests, ...tenants.flatMap((t) => t.manifests)];
    expect(new Set(all.map((m) => m.kind))).toEqual(
      new Set(['ResourceFlavor', 'Cohort', 'WorkloadPriorityClass', 'ClusterQueue', 'LocalQueue']),
    );
    for (const m of all) {
      expect(m.apiVersion).toBe('kueue.x-k8s.io/v1beta2');
      expect([m.kind, m.metadata.name, crdProblems(KUEUE_SCHEMAS[m.kind], m)]).toEqual([m.kind, m.metadata.name, []]);
    }
    // The check bites: v1beta2 WorkloadPriorityClass has no `priority`, ClusterQueue no `cohort` (v1beta1's name).
    const wpc = all.find((m) => m.kind === 'WorkloadPriorityClass')!;
    expect(crdProblems(KUEUE_SCHEMAS.WorkloadPriorityClass, { ...wpc, priority: 1 })).toEqual(['.priority: not a field of the CRD']);
    const cq0 = all.find((m) => m.kind === 'ClusterQueue')!;
    expect(crdProblems(KUEUE_SCHEMAS.ClusterQueue, { ...cq0, spec: { ...cq0.spec, cohort: 'x' } })).toEqual([
      '.spec.cohort: not a field of the CRD',
    ]);
    for (const cq of all.filter((m) => m.kind === 'ClusterQueue')) {
      expect(cq.spec.resourceGroups.length).toBeLessThanOrEqual(16);
      for (const g of cq.spec.resourceGroups)
        for (const f of g.flavors) expect(f.resources.map((r: any) => r.name)).toEqual(g.coveredResources);
      const covered = cq.spec.resourceGroups.flatMap((g: any) => g.coveredResources);
      expect(new Set(covered).size).toBe(covered.length);
    }
  });

  test('Kueue objects go through Helm after Kueue; no kubernetes_manifest', () => {
    expect(doc.resource.kubernetes_manifest).toBeUndefined();
    const kueueId = Object.entries(doc.resource.helm_release).find(([, r]: any) => r.name === 'kueue')![0];
    const objects = releases.filter((r) => r.name === 'kueue-platform-objects' || r.name.startsWith('tenant-'));
    // Per tenant: the ClusterQueue before its namespace, the LocalQueue after it (destroy empties the queue first),
    // and the admission policy of its guardrails.
    expect(objects.map((r) => r.name).sort()).toEqual([
      'kueue-platform-objects',
      'tenant-edge',
      'tenant-edge-guardrails',
      'tenant-edge-queue',
      'tenant-research',
      'tenant-research-guardrails',
      'tenant-research-queue',
      'tenant-search',
      'tenant-search-guardrails',
      'tenant-search-queue',
    ]);
    const ns = Object.entries(doc.resource.kubernetes_namespace_v1).find(([, n]: any) => n.metadata.name === 'search')!;
    const queueId = Object.entries(doc.resource.helm_release).find(([, r]: any) => r.name === 'tenant-search-queue')![0];
    expect((ns[1] as any).depends_on).toContain(`helm_release.${queueId}`);
    for (const r of objects) {
      expect(r.depends_on).toContain(`helm_release.${kueueId}`);
      expect(r.chart).toMatch(/^\.\/assets\/ai-platform-manifests-chart\/[0-9A-F]{32}$/);
      expect(r.namespace).toBe(KUEUE_NAMESPACE);
    }
  });

  test('WorkloadPriorityClasses match the platform PriorityClasses', () => {
    const pcs = ofType(doc, 'kubernetes_priority_class_v1').map((p) => ({ name: p.metadata.name, value: p.value }));
    expect(pcs.map((p) => p.name).sort()).toEqual([PlatformPriorityClasses.INFERENCE, PlatformPriorityClasses.TRAINING].sort());
    const wpcs = sharing.manifests
      .filter((m) => m.kind === 'WorkloadPriorityClass')
      .map((m) => ({ name: m.metadata.name, value: m.value }));
    expect(wpcs).toEqual(WORKLOAD_PRIORITIES.map((p) => ({ name: p.name, value: p.value })));
    expect([...wpcs].sort((a, b) => a.name.localeCompare(b.name))).toEqual([...pcs].sort((a, b) => a.name.localeCompare(b.name)));
  });

  test('a ClusterQueue per tenant in one cohort, preemption favouring higher priority, BestEffortFIFO', () => {
    const [search, research, edge] = tenants.map((t) => t.manifests.find((m) => m.kind === 'ClusterQueue')!);
    for (const cq of [search, research]) expect(cq.spec.cohortName).toBe('ai-platform');
    expect(edge.spec.cohortName).toBeUndefined();
    for (const cq of [search, research, edge]) {
      expect(cq.spec.queueingStrategy).toBe('BestEffortFIFO');
      expect(cq.spec.preemption).toEqual({ reclaimWithinCohort: 'Any', withinClusterQueue: 'LowerPriority' });
      expect(cq.spec.namespaceSelector).toEqual({ matchLabels: { 'kubernetes.io/metadata.name': cq.metadata.name } });
    }
    const gpu = (cq: any, flavor: string) =>
      cq.spec.resourceGroups
        .flatMap((g: any) => g.flavors)
        .find((f: any) => f.name === flavor)
        ?.resources.find((r: any) => r.name === 'nvidia.com/gpu');
    // Search borrows: it lists every flavor, with no borrowing limit; its inference quota is not lent.
    expect(gpu(search, 'llm')).toEqual({ name: 'nvidia.com/gpu', nominalQuota: 14, lendingLimit: 0 });
    expect(gpu(search, 'l4')).toEqual({ name: 'nvidia.com/gpu', nominalQuota: 4, lendingLimit: 0 });
    expect(gpu(search, 'train')).toEqual({ name: 'nvidia.com/gpu', nominalQuota: 0 });
    // Research does not borrow; its training quota is lent (no lending limit).
    expect(gpu(research, 'train')).toEqual({ name: 'nvidia.com/gpu', nominalQuota: 8, borrowingLimit: 0 });
    expect(gpu(research, 'llm')).toBeUndefined();
    // Outside the cohort: no limits at all (Kueue requires none without a cohort); Neuron devices and cores.
    const inf2 = edge.spec.resourceGroups.flatMap((g: any) => g.flavors).find((f: any) => f.name === 'inf2');
    expect(inf2.resources).toEqual([
      { name: 'aws.amazon.com/neuron', nominalQuota: 2 },
      { name: 'aws.amazon.com/neuroncore', nominalQuota: 4 },
    ]);
    // cpu and memory on the label-less default flavor.
    expect(search.spec.resourceGroups[0]).toEqual({
      coveredResources: ['cpu', 'memory'],
      flavors: [
        {
          name: 'default-flavor',
          resources: [
            { name: 'cpu', nominalQuota: 256 },
            { name: 'memory', nominalQuota: '1024Gi' },
          ],
        },
      ],
    });
    const lq = tenants[0].manifests.find((m) => m.kind === 'LocalQueue')!;
    expect(lq).toMatchObject({ metadata: { name: 'default', namespace: 'search' }, spec: { clusterQueue: 'search' } });
  });
});

describe('the cpu/memory flavor', () => {
  const defaultFlavor = (sharing: GpuSharing) =>
    sharing.manifests.find((m) => m.kind === 'ResourceFlavor' && m.metadata.name === 'default-flavor')!;

  test('AKS: CPU-only pods go to the untainted general pool, so the flavor needs no toleration', () => {
    const stack = azureStack();
    const sharing = new GpuSharing(stack, 'Sharing', { cluster: aksCluster(stack) });
    expect(defaultFlavor(sharing).spec).toEqual({});
    expect(ordinaryPodTolerations(sharing.cluster)).toEqual(sharing.cluster.workloadTolerations);
  });

  test('AKS without a general pool: the flavor tolerates the CriticalAddonsOnly taint of the system pool', () => {
    const stack = azureStack();
    const cluster = new GpuInferenceCluster(stack, 'Gpu', {
      cloud: Cloud.azure({ location: 'eastus2', authorizedIpRanges: ['203.0.113.0/24'], generalMaxNodes: 0 }),
      clusterName: 'no-general',
      nodePools: [GpuNodePool.inference('t4', { gpu: Gpu.T4, maxNodes: 2 })],
    });
    const sharing = new GpuSharing(stack, 'Sharing', { cluster });
    expect(defaultFlavor(sharing).spec).toEqual({ tolerations: [{ key: 'CriticalAddonsOnly', operator: 'Exists' }] });
  });

  test('EKS: the system pool is untainted, the flavor needs nothing', () => {
    const stack = awsStack();
    const sharing = new GpuSharing(stack, 'Sharing', { cluster: eksCluster(stack) });
    expect(defaultFlavor(sharing).spec).toEqual({});
  });

  test('more workload tolerations than a ResourceFlavor takes are reported', () => {
    const stack = awsStack();
    const cluster = ExistingCluster.fromEks(stack, 'Shared', {
      clusterName: 'c',
      storageClassName: 'gp3',
      workloadTolerations: [...Array(9)].map((_, i) => ({ key: `t${i}`, operator: 'Exists' })),
      acceleratorPools: [
        { name: 'a10g', gpu: Gpu.A10G, labels: { pool: 'a10g' }, capacity: [{ name: 'nvidia.com/gpu', count: 1 }], maxNodes: 1 },
      ],
    });
    new GpuSharing(stack, 'Sharing', { cluster });
    expect(problemLines(stack)).toEqual([
      "test/Sharing: cluster.workloadTolerations 9 tolerations exceed the 8 a Kueue ResourceFlavor takes; the cpu/memory flavor carries them so tenants' CPU-only pods can run there: tolerate at most 8 taints",
    ]);
  });
});

describe('capacity check at synth', () => {
  test('quotas above what the pools give at maxNodes fail, naming tenants, flavor, total and capacity', () => {
    const stack = awsStack();
    const cluster = eksCluster(stack);
    const sharing = new GpuSharing(stack, 'Sharing', { cluster });
    const slices = (n: number) => [GpuQuota.of(Gpu.H100_80GB, { migProfile: '1g.10gb', slices: n })];
    new Tenant(stack, 'A', { cluster, sharing, name: 'search', quota: slices(20) });
    new Tenant(stack, 'B', { cluster, sharing, name: 'ads', quota: [...slices(10), GpuQuota.of(Gpu.L4, { gpus: 6 })] });
    expect(problemLines(stack)).toEqual([
      "test/Sharing: tenants' quotas of nvidia.com/gpu on flavor 'llm' total 30 (search 20, ads 10), more than pool 'llm' provides at maxNodes: 28 (7 per node x 4 nodes); lower the quotas or raise the pool's maxNodes",
    ]);
  });

  test('MIG slices per profile are checked under the mixed strategy', () => {
    const stack = azureStack();
    const cluster = aksCluster(stack);
    const sharing = new GpuSharing(stack, 'Sharing', { cluster });
    new Tenant(stack, 'A', { cluster, sharing, name: 'a', quota: [GpuQuota.of(Gpu.A100_80GB, { migProfile: '1g.10gb', slices: 3 })] });
    new Tenant(stack, 'B', { cluster, sharing, name: 'b', quota: [GpuQuota.of(Gpu.A100_80GB, { migProfile: '1g.10gb', slices: 2 })] });
    expect(problemLines(stack)).toEqual([
      "test/Sharing: tenants' quotas of nvidia.com/mig-1g.10gb on flavor 'mixed-1g.10gb' total 5 (a 3, b 2), more than pool 'mixed' provides at maxNodes: 4 (2 per node x 2 nodes); lower the quotas or raise the pool's maxNodes",
    ]);
  });

  test('a second GpuSharing on one cluster, a bad cohort name and replicas are reported', () => {
    const stack = awsStack();
    const cluster = eksCluster(stack);
    new GpuSharing(stack, 'Sharing', { cluster });
    new GpuSharing(stack, 'Again', { cluster, cohortName: 'AI Platform', replicas: 0 });
    expect(problemLines(stack)).toEqual([
      'test/Again: cluster test/Gpu already has a GpuSharing (test/Sharing); Kueue runs once per cluster: pass that one to every Tenant',
      "test/Again: cohortName 'AI Platform' is not a DNS-1123 label; use lower-case letters, digits and '-', e.g. 'ai-platform'",
      'test/Again: replicas 0 is not a whole number of 1-5; use 2 so the webhooks stay up while one replica restarts',
    ]);
  });

  test('a chart version override moves the image tag with it', () => {
    const stack = awsStack();
    new GpuSharing(stack, 'Sharing', { cluster: eksCluster(stack), chart: { version: '0.19.3' } });
    const kueue = ofType(synthJson(stack), 'helm_release').find((r) => r.name === 'kueue');
    expect(kueue.version).toBe('0.19.3');
    expect(kueue.values[0]).toContain('tag: v0.19.3');
  });
});
