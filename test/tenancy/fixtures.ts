import { App, TerraformStack, Testing } from 'cdktf';
import { Construct } from 'constructs';
import { MultiTenantAwsStack, MultiTenantAzureStack } from '../../examples/multi-tenant/stack';
import { GpuSharing } from '../../lib/tenancy/kueue';
import * as fs from 'fs';
import * as path from 'path';
import { Cloud, EndpointAccess, ExistingCluster, Gpu, GpuInferenceCluster, GpuNodePool, MigLayout, TaintEffect } from '../../lib';

/** Vendored v1beta2 schemas of the Kueue objects the tenancy constructs write, by kind. */
export const KUEUE_SCHEMAS: { [kind: string]: any } = Object.fromEntries(
  ['ResourceFlavor', 'ClusterQueue', 'LocalQueue', 'WorkloadPriorityClass', 'Cohort'].map((kind) => [
    kind,
    JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'kueue', `${kind}.json`), 'utf8')).schema,
  ]),
);

/** A GpuInferenceCluster: it maps principals to Kubernetes groups itself (grantNamespaceAdmin on the contract). */
export class WiredCluster extends GpuInferenceCluster {}

/** Pools with a uniform MIG pool (single strategy), whole L4s, time-sliced L4s and spot A100s. */
export function awsPools(): GpuNodePool[] {
  return [
    GpuNodePool.inference('llm', { gpu: Gpu.H100_80GB, mig: MigLayout.uniform('1g.10gb'), maxNodes: 4 }),
    GpuNodePool.inference('l4', { gpu: Gpu.L4, maxNodes: 6 }),
    GpuNodePool.inference('shared', { gpu: Gpu.L40S, timeSlicing: 4, maxNodes: 2 }),
    GpuNodePool.training('train', { gpu: Gpu.A100_80GB, spot: true, maxNodes: 2 }),
    GpuNodePool.neuron('inf2', { instanceType: 'inf2.8xlarge', maxNodes: 2 }),
  ];
}

/** An EKS cluster (wired unless `wired` is false). */
export function eksCluster(scope: Construct, pools: GpuNodePool[] = awsPools(), wired = true): GpuInferenceCluster {
  const props = {
    cloud: Cloud.aws({ endpointAccess: EndpointAccess.publicAndPrivate(['203.0.113.0/24']) }),
    clusterName: 'ai-shared',
    nodePools: pools,
  };
  return wired ? new WiredCluster(scope, 'Gpu', props) : new GpuInferenceCluster(scope, 'Gpu', props);
}

/** An AKS cluster with a mixed MIG layout (mixed strategy: one flavor per profile) and spot training. */
export function aksCluster(scope: Construct, wired = true): GpuInferenceCluster {
  const props = {
    cloud: Cloud.azure({ location: 'eastus2', authorizedIpRanges: ['203.0.113.0/24'] }),
    clusterName: 'ai-shared-az',
    nodePools: [
      GpuNodePool.inference('mixed', {
        gpu: Gpu.A100_80GB,
        mig: MigLayout.mixed([
          { profile: '3g.40gb', count: 1 },
          { profile: '2g.20gb', count: 1 },
          { profile: '1g.10gb', count: 2 },
        ]),
        minNodes: 2,
        maxNodes: 2,
      }),
      GpuNodePool.inference('t4', { gpu: Gpu.T4, maxNodes: 4 }),
      GpuNodePool.training('train', { gpu: Gpu.A100_80GB, spot: true, maxNodes: 2 }),
    ],
  };
  return wired ? new WiredCluster(scope, 'Gpu', props) : new GpuInferenceCluster(scope, 'Gpu', props);
}

/** An existing EKS cluster whose H100 pool advertises MIG slices per profile. */
export function existingCluster(scope: Construct): ExistingCluster {
  return ExistingCluster.fromEks(scope, 'Shared', {
    clusterName: 'platform-prod',
    storageClassName: 'gp3',
    acceleratorPools: [
      {
        name: 'h100',
        gpu: Gpu.H100_80GB,
        labels: { 'eks.amazonaws.com/nodegroup': 'h100', 'nvidia.com/gpu.product': 'NVIDIA-H100-80GB-HBM3' },
        taints: [
          { key: 'nvidia.com/gpu', value: 'true', effect: TaintEffect.NO_SCHEDULE },
          { key: 'team', value: 'ml', effect: TaintEffect.NO_EXECUTE },
        ],
        capacity: [
          { name: 'nvidia.com/mig-1g.10gb', count: 14 },
          { name: 'nvidia.com/mig-3g.40gb', count: 4 },
        ],
        maxNodes: 3,
      },
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

/** Resources of one type in a synthesized stack. */
export function ofType(doc: any, type: string): any[] {
  return Object.values((doc.resource && doc.resource[type]) || {});
}

/** Kubernetes' toleration matching (a toleration without effect matches every effect). */
export function tolerates(
  t: { key?: string; operator?: string; value?: string; effect?: string },
  taint: { key: string; value: string; effect: string },
): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.operator === 'Exists') return t.key === undefined || t.key === '' || t.key === taint.key;
  return t.key === taint.key && (t.value ?? '') === taint.value;
}

/** A flavor tolerates every taint of its pool, and nothing the pool does not carry. */
export function expectToleratesExactly(m: any, taints: { key: string; value: string; effect: string }[]): void {
  const tolerations: any[] = m.spec.tolerations ?? [];
  expect([m.metadata.name, taints.filter((x) => !tolerations.some((t) => tolerates(t, x)))]).toEqual([m.metadata.name, []]);
  expect([m.metadata.name, tolerations.filter((t) => !taints.some((x) => tolerates(t, x)))]).toEqual([m.metadata.name, []]);
  expect(tolerations.length).toBeLessThanOrEqual(8);
}

/** One multi-tenant example stack, synthesized, with its GpuSharing. */
export interface MultiTenantExample {
  readonly stack: TerraformStack;
  readonly doc: any;
  readonly sharing: GpuSharing;
}

/** The multi-tenant example on each cloud, synthesized with a pinned today, for `describe.each`. */
export const MULTI_TENANT_EXAMPLES: [string, () => MultiTenantExample][] = [
  ['multi-tenant-aws', () => multiTenantExample((app) => new MultiTenantAwsStack(app, 'multi-tenant-aws'))],
  ['multi-tenant-azure', () => multiTenantExample((app) => new MultiTenantAzureStack(app, 'multi-tenant-azure'))],
];

function multiTenantExample(make: (app: App) => TerraformStack): MultiTenantExample {
  const stack = make(Testing.app({ context: { 'ai-platform:today': '2026-11-15' } }));
  const doc = JSON.parse(Testing.synth(stack, true));
  return { stack, doc, sharing: stack.node.findChild('Sharing') as GpuSharing };
}
