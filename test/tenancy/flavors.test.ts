import { TerraformStack } from 'cdktf';
import { ExistingCluster, Gpu, GpuNodePool, IAcceleratorCluster, TaintEffect } from '../../lib';
import { DEFAULT_FLAVOR, planFlavors, resourceGroups } from '../../lib/tenancy/flavors';
import { GpuSharing } from '../../lib/tenancy/kueue';
import { GpuQuota } from '../../lib/tenancy/quota';
import { Tenant } from '../../lib/tenancy/tenant';
import { crdProblems } from '../crd-schema';
import { awsStack, azureStack, problemLines } from '../helpers';
import { KUEUE_SCHEMAS, aksCluster, eksCluster, existingCluster, expectToleratesExactly } from './fixtures';

function flavorManifests(sharing: GpuSharing): any[] {
  return sharing.manifests.filter((m) => m.kind === 'ResourceFlavor' && m.metadata.name !== DEFAULT_FLAVOR);
}

/** Every pool's flavors carry exactly the pool's labels and taints, and cover what its nodes advertise. */
function expectFlavorsMatchPools(cluster: IAcceleratorCluster, sharing: GpuSharing): void {
  const manifests = flavorManifests(sharing);
  for (const pool of cluster.acceleratorPools) {
    const advertised = pool.capacity.filter((c) => c.count > 0).map((c) => c.name);
    const mine = sharing.flavors.filter((f) => f.pool === pool.name);
    expect(mine.flatMap((f) => f.resources.map((r) => r.name)).sort()).toEqual([...advertised].sort());
    for (const f of mine) {
      const m = manifests.find((x) => x.metadata.name === f.name)!;
      expect(m.spec.nodeLabels).toEqual(pool.labels);
      const taints = (m.spec.nodeTaints ?? []).map((t: any) => `${t.key}=${t.value}:${t.effect}`);
      expect(taints).toEqual(pool.taints.map((t) => `${t.key}=${t.value}:${t.effect}`));
      expectToleratesExactly(m, pool.taints);
      expect(crdProblems(KUEUE_SCHEMAS.ResourceFlavor, m)).toEqual([]);
      expect(Object.keys(m.spec.nodeLabels).length).toBeLessThanOrEqual(8);
      expect((m.spec.nodeTaints ?? []).length).toBeLessThanOrEqual(8);
    }
  }
  expect(manifests.map((m) => m.metadata.name).sort()).toEqual(sharing.flavors.map((f) => f.name).sort());
}

describe('flavors derived from the pools', () => {
  test('EKS: one flavor per pool with its labels and taints; MIG (single strategy) advertised as nvidia.com/gpu', () => {
    const stack = awsStack();
    const cluster = eksCluster(stack);
    const sharing = new GpuSharing(stack, 'Sharing', { cluster });
    expectFlavorsMatchPools(cluster, sharing);
    expect(sharing.flavors.map((f) => f.name)).toEqual(['llm', 'l4', 'shared', 'train', 'inf2']);
    const llm = sharing.flavors.find((f) => f.name === 'llm')!;
    expect(llm.migProfile).toBe('1g.10gb');
    expect(llm.resources).toEqual([{ name: 'nvidia.com/gpu', perNode: 7 }]);
    const train = flavorManifests(sharing).find((m) => m.metadata.name === 'train')!;
    expect(train.spec.nodeTaints.map((t: any) => t.key)).toEqual(['nvidia.com/gpu', 'ai-platform.dev/spot']);
    // The spot taint is tolerated by the flavor: a tenant with quota on it gets jobs admitted there.
    expect(train.spec.tolerations).toEqual([
      { key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' },
      { key: 'ai-platform.dev/spot', operator: 'Exists', effect: 'NoSchedule' },
    ]);
    const inf2 = sharing.flavors.find((f) => f.name === 'inf2')!;
    expect(inf2.resources.map((r) => r.name)).toEqual(['aws.amazon.com/neuron', 'aws.amazon.com/neuroncore']);
    expect(problemLines(stack)).toEqual([]);
  });

  test('AKS: the mixed strategy gives one flavor per MIG profile, with the spot label and taint AKS adds', () => {
    const stack = azureStack();
    const cluster = aksCluster(stack);
    const sharing = new GpuSharing(stack, 'Sharing', { cluster });
    expectFlavorsMatchPools(cluster, sharing);
    expect(sharing.flavors.map((f) => f.name)).toEqual(['mixed-3g.40gb', 'mixed-2g.20gb', 'mixed-1g.10gb', 't4', 'train']);
    expect(sharing.flavors.find((f) => f.name === 'mixed-1g.10gb')!.resources).toEqual([{ name: 'nvidia.com/mig-1g.10gb', perNode: 2 }]);
    const train = flavorManifests(sharing).find((m) => m.metadata.name === 'train')!;
    expect(train.spec.nodeLabels['kubernetes.azure.com/scalesetpriority']).toBe('spot');
    expect(train.spec.nodeTaints.map((t: any) => t.key)).toContain('kubernetes.azure.com/scalesetpriority');
    expect(train.spec.tolerations.map((t: any) => t.key)).toEqual([
      'nvidia.com/gpu',
      'ai-platform.dev/spot',
      'kubernetes.azure.com/scalesetpriority',
    ]);
    // MIG profile flavors tolerate their pool's taints too.
    for (const name of ['mixed-3g.40gb', 'mixed-2g.20gb', 'mixed-1g.10gb'])
      expect(flavorManifests(sharing).find((m) => m.metadata.name === name)!.spec.tolerations).toEqual([
        { key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' },
      ]);
    expect(problemLines(stack)).toEqual([]);
  });

  test('ExistingCluster: the described labels and taints, one flavor per advertised MIG profile', () => {
    const stack = awsStack();
    const cluster = existingCluster(stack);
    const sharing = new GpuSharing(stack, 'Sharing', { cluster });
    expectFlavorsMatchPools(cluster, sharing);
    expect(sharing.flavors.map((f) => f.name)).toEqual(['h100-1g.10gb', 'h100-3g.40gb', 'a10g']);
    const h100 = flavorManifests(sharing).find((m) => m.metadata.name === 'h100-1g.10gb')!;
    expect(h100.spec.nodeTaints).toEqual([
      { key: 'nvidia.com/gpu', value: 'true', effect: 'NoSchedule' },
      { key: 'team', value: 'ml', effect: 'NoExecute' },
    ]);
    expect(h100.spec.tolerations).toEqual([
      { key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' },
      { key: 'team', operator: 'Exists', effect: 'NoExecute' },
    ]);
    expect(flavorManifests(sharing).find((m) => m.metadata.name === 'a10g')!.spec.nodeTaints).toBeUndefined();
  });

  test("spot is the queue's choice: listed with quota on it or with borrowing, never otherwise", () => {
    const stack = awsStack();
    const cluster = eksCluster(stack);
    const sharing = new GpuSharing(stack, 'Sharing', { cluster });
    const listed = (t: Tenant) =>
      t.manifests.find((m) => m.kind === 'ClusterQueue')!.spec.resourceGroups.flatMap((g: any) => g.flavors.map((f: any) => f.name));
    const l4 = [GpuQuota.of(Gpu.L4, { gpus: 1 })];
    expect(listed(new Tenant(stack, 'A', { cluster, sharing, name: 'a', quota: l4 }))).not.toContain('train');
    expect(listed(new Tenant(stack, 'B', { cluster, sharing, name: 'b', quota: l4, borrowing: true }))).toContain('train');
    expect(listed(new Tenant(stack, 'C', { cluster, sharing, name: 'c', quota: [GpuQuota.of(Gpu.A100_80GB, { gpus: 1 })] }))).toContain(
      'train',
    );
  });

  test('resource groups: flavors sharing a resource share a group, each listing every resource of it', () => {
    const stack = awsStack();
    const flavors = planFlavors(eksCluster(stack));
    const groups = resourceGroups(flavors);
    expect(groups.map((g) => g.coveredResources)).toEqual([['nvidia.com/gpu'], ['aws.amazon.com/neuron', 'aws.amazon.com/neuroncore']]);
    expect(groups[0].flavors.map((f) => f.name)).toEqual(['llm', 'l4', 'shared', 'train']);
  });

  test('a pool with more labels or taints than a ResourceFlavor takes is reported at synth', () => {
    const stack: TerraformStack = awsStack();
    const labels = Object.fromEntries([...Array(6)].map((_, i) => [`team.example.com/l${i}`, 'x']));
    const cluster = eksCluster(stack, [GpuNodePool.inference('busy', { gpu: Gpu.L4, maxNodes: 2, labels })]);
    new GpuSharing(stack, 'Sharing', { cluster });
    expect(problemLines(stack)).toEqual([
      "test/Sharing: cluster.acceleratorPools[busy].labels 11 labels exceed the 8 a Kueue ResourceFlavor takes as nodeLabels; remove extra labels from the pool (the platform's own are at most 7)",
    ]);
  });

  test('ExistingCluster pools with too many taints, or names Kueue refuses, are reported', () => {
    const stack = awsStack();
    const cluster = ExistingCluster.fromEks(stack, 'Shared', {
      clusterName: 'c',
      storageClassName: 'gp3',
      acceleratorPools: [
        {
          name: 'Big_Pool',
          labels: { pool: 'big' },
          taints: [...Array(9)].map((_, i) => ({ key: `t${i}`, value: 'x', effect: TaintEffect.NO_SCHEDULE })),
          capacity: [{ name: 'nvidia.com/gpu', count: 8 }],
          maxNodes: 1,
        },
      ],
    });
    new GpuSharing(stack, 'Sharing', { cluster });
    expect(problemLines(stack)).toEqual([
      "test/Sharing: cluster.acceleratorPools[Big_Pool].name 'Big_Pool' cannot name a Kueue ResourceFlavor ('Big_Pool'); give the pool a lower-case DNS name, e.g. 'h100'",
      'test/Sharing: cluster.acceleratorPools[Big_Pool].taints 9 taints exceed the 8 a Kueue ResourceFlavor takes as nodeTaints; taint the pool with at most 8',
    ]);
  });
});
