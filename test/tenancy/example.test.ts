import { PlatformLabels } from '../../lib';
import { toYaml } from '../../lib/private/yaml';
import { DEFAULT_FLAVOR } from '../../lib/tenancy/flavors';
import { Tenant } from '../../lib/tenancy/tenant';
import { crdProblems } from '../crd-schema';
import { KUEUE_SCHEMAS, expectToleratesExactly, ofType, tolerates, MULTI_TENANT_EXAMPLES } from './fixtures';

describe.each(MULTI_TENANT_EXAMPLES)('%s', (_name, example) => {
  const { stack, doc, sharing } = example();
  const tenants = stack.node.children.filter((c): c is Tenant => c instanceof Tenant);

  test('three tenants in one cohort, every Kueue object within its CRD, no kubernetes_manifest', () => {
    expect(tenants.map((t) => t.name)).toEqual(['search', 'ads', 'research']);
    expect(sharing.tenantNames).toEqual(['search', 'ads', 'research']);
    for (const m of [...sharing.manifests, ...tenants.flatMap((t) => t.manifests)])
      expect(crdProblems(KUEUE_SCHEMAS[m.kind], m)).toEqual([]);
    expect(doc.resource.kubernetes_manifest).toBeUndefined();
    expect(ofType(doc, 'kubernetes_namespace_v1').filter((n) => n.metadata.labels?.['ai-platform.dev/tenant']).length).toBe(3);
  });

  test("every accelerator flavor (MIG profiles included) tolerates all of its pool's taints, as synthesized", () => {
    const objects = ofType(doc, 'helm_release').find((r) => r.name === 'kueue-platform-objects');
    expect(objects.values[0]).toBe(toYaml({ manifests: sharing.manifests }));
    const flavors = sharing.manifests.filter((m) => m.kind === 'ResourceFlavor' && m.metadata.name !== DEFAULT_FLAVOR);
    expect(flavors.length).toBe(sharing.flavors.length);
    const spot = [];
    for (const m of flavors) {
      const pool = sharing.cluster.acceleratorPools.find((p) => p.name === m.metadata.labels['ai-platform.dev/pool'])!;
      expect((m.spec.nodeTaints ?? []).length).toBe(pool.taints.length);
      expectToleratesExactly(m, pool.taints);
      if (pool.taints.some((t) => t.key === PlatformLabels.SPOT_TAINT)) spot.push(m.metadata.name);
    }
    expect(spot).toEqual(['train']);
  });

  test('pods admitted on the cpu/memory flavor can run on the pool for ordinary workloads, and on no accelerator pool', () => {
    const def = sharing.manifests.find((m) => m.kind === 'ResourceFlavor' && m.metadata.name === DEFAULT_FLAVOR)!;
    // No node labels: Kueue merges them into GPU pods' nodeSelector too (their cpu/memory is charged here).
    expect(Object.keys(def.spec).filter((k) => k !== 'tolerations')).toEqual([]);
    const tolerations: any[] = def.spec.tolerations ?? [];
    // The nodes ordinary pods land on: EKS's untainted system group, AKS's untainted general pool.
    const eks = ofType(doc, 'aws_eks_node_group').find((g) => g.labels['ai-platform.dev/role'] === 'system');
    const general = ofType(doc, 'azurerm_kubernetes_cluster_node_pool').find((p) => p.node_labels?.['ai-platform.dev/role'] === 'general');
    expect(eks ?? general).toBeDefined();
    const taints = eks
      ? (eks.taint ?? []).map((t: any) => ({
          key: t.key,
          value: t.value,
          effect: { NO_SCHEDULE: 'NoSchedule', NO_EXECUTE: 'NoExecute' }[t.effect as string]!,
        }))
      : (general.node_taints ?? []).map((t: string) => {
          const [kv, effect] = t.split(':');
          const [key, value] = kv.split('=');
          return { key, value, effect };
        });
    expect(taints.filter((x: any) => !tolerations.some((t) => tolerates(t, x)))).toEqual([]);
    for (const pool of sharing.cluster.acceleratorPools)
      expect(pool.taints.some((x) => !tolerations.some((t) => tolerates(t, x)))).toBe(true);
  });
});
