import { App, Testing } from 'cdktf';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { MultiTenantAwsStack } from '../../examples/multi-tenant/stack';
import { RagAwsStack } from '../../examples/rag-aws/stack';
import {
  CapacityReservation,
  Cloud,
  EndpointAccess,
  Gpu,
  GpuInferenceCluster,
  GpuNodePool,
  MigLayout,
  PlatformReport,
  PoolPricing,
  PriceCatalog,
} from '../../lib';
import { renderPlatformReportMarkdown } from '../../lib/cost/report-markdown';
import { awsStack, problemLines, synthJson } from '../helpers';

function cluster(stack: any, pools: GpuNodePool[]): GpuInferenceCluster {
  return new GpuInferenceCluster(stack, 'Gpu', {
    cloud: Cloud.aws({ endpointAccess: EndpointAccess.publicAndPrivate(['203.0.113.0/24']) }),
    clusterName: 'ai-prod',
    nodePools: pools,
  });
}

const referencePools = () => [
  GpuNodePool.inference('llm', { gpu: Gpu.H100_80GB, mig: MigLayout.uniform('1g.10gb'), minNodes: 1, maxNodes: 4 }),
  GpuNodePool.inference('small', { gpu: Gpu.L4, timeSlicing: 4, maxNodes: 6 }),
  GpuNodePool.training('train', { gpu: Gpu.A100_80GB, spot: true, maxNodes: 2 }),
  GpuNodePool.neuron('inf2', { instanceType: 'inf2.24xlarge', maxNodes: 3 }),
];

describe('platform report numbers', () => {
  const stack = awsStack();
  cluster(stack, referencePools());
  const synthesized = synthJson(stack);
  const report = PlatformReport.of(stack).render();
  const pools = report.clusters.Gpu.pools;
  const groups: any[] = Object.values(synthesized.resource.aws_eks_node_group);
  const group = (name: string) => groups.find((g) => g.node_group_name === name);

  test.each(['llm', 'small', 'train', 'inf2'])(
    '%s: instance type, nodes and accelerators at max match the synthesized node group',
    (name) => {
      const g = group(name);
      const p = pools[name];
      expect(p.instanceType).toBe(g.instance_types[0]);
      expect(p.nodes).toEqual({ min: g.scaling_config.min_size, max: g.scaling_config.max_size });
      const perNode = Gpu.forAwsInstanceType(g.instance_types[0])!.awsOffering(g.instance_types[0])!.acceleratorCount;
      expect(p.perNode.accelerators).toBe(perNode);
      expect(p.atMaxNodes.accelerators).toBe(perNode * g.scaling_config.max_size);
    },
  );

  test('MIG slices come from the layout, shares from time-slicing, Neuron cores from the chip', () => {
    const slicesPerGpu = MigLayout.uniform('1g.10gb')
      .slicesPerGpu(Gpu.H100_80GB)
      .reduce((n, s) => n + s.count, 0);
    expect(pools.llm.perNode.migSlices).toBe(slicesPerGpu * pools.llm.perNode.accelerators);
    expect(pools.llm.atMaxNodes.migSlices).toBe(slicesPerGpu * pools.llm.atMaxNodes.accelerators);
    expect(pools.small.atMaxNodes.timeSlicedShares).toBe(4 * pools.small.atMaxNodes.accelerators);
    expect(pools.inf2.perNode.neuronCores).toBe(Gpu.INFERENTIA2.neuronCoresPerDevice * pools.inf2.perNode.accelerators);
    expect(pools.inf2.atMaxNodes.resources['aws.amazon.com/neuroncore']).toBe(pools.inf2.atMaxNodes.neuronCores);
  });

  test('prices at min and max nodes from the catalog, spot as a ceiling, totals add up', () => {
    const list = PriceCatalog.DEFAULT.onDemand('aws', 'p5.4xlarge')!;
    expect(pools.llm.price).toMatchObject({
      basis: 'list',
      perNodeHourly: list.hourlyPricePerNode,
      atMinHourly: list.hourlyPricePerNode,
      atMaxHourly: 4 * list.hourlyPricePerNode,
      asOf: list.asOf,
      region: 'us-east-1',
    });
    expect(pools.llm.price.note).toMatch(/region unknown at synth/);
    expect(pools.train.market).toBe('spot');
    expect(pools.train.price.basis).toBe('spot-varies');
    expect(pools.train.price.note).toMatch(/spot price varies/);
    const sum = Object.values<any>(pools).reduce((n, p) => n + p.price.atMaxHourly, 0);
    expect(report.totals.hourlyAtMax).toEqual({ known: Math.round(sum * 1e6) / 1e6, unknownItems: 0 });
    expect(report.totals.accelerators.known).toBe(Object.values<any>(pools).reduce((n, p) => n + p.atMaxNodes.accelerators, 0));
  });
});

test('a pool of several instance types: the ceiling at max nodes is its dearest type, not the one it prefers', () => {
  const stack = awsStack();
  cluster(stack, [GpuNodePool.training('mixed', { gpu: Gpu.L4, instanceTypes: ['g6.xlarge', 'g6.4xlarge', 'g6.2xlarge'], maxNodes: 3 })]);
  const pool = PlatformReport.of(stack).render().clusters.Gpu.pools.mixed;
  const price = (t: string) => PriceCatalog.DEFAULT.onDemand('aws', t)!.hourlyPricePerNode;
  // Expected spend prices the preferred (first) type; the ceiling assumes every node is the dearest one.
  expect(pool.price.perNodeHourly).toBe(price('g6.xlarge'));
  expect(pool.price.atMaxInstanceType).toBe('g6.4xlarge');
  expect(pool.price.atMaxPerNodeHourly).toBe(price('g6.4xlarge'));
  expect(pool.price.atMaxHourly).toBeCloseTo(3 * price('g6.4xlarge'), 6);
  expect(renderPlatformReportMarkdown(PlatformReport.of(stack).render())).toContain('(as g6.4xlarge)');
});

describe('pricing overrides and unknown prices', () => {
  test('reserved and negotiated rates replace the list price; a spot discount estimates; a size without a price is unknown', () => {
    const stack = awsStack();
    cluster(stack, [
      GpuNodePool.inference('ri', {
        gpu: Gpu.L4,
        maxNodes: 2,
        pricing: PoolPricing.reserved({ hourlyPricePerNode: 0.5, source: 'RI 1y' }),
      }),
      GpuNodePool.inference('edp', {
        gpu: Gpu.L4,
        maxNodes: 2,
        pricing: PoolPricing.negotiated({ hourlyPricePerNode: 0.7, source: 'EDP' }),
      }),
      GpuNodePool.training('spot', {
        gpu: Gpu.L4,
        spot: true,
        maxNodes: 1,
        pricing: PoolPricing.expectedSpotDiscount(0.6, 'spot advisor, 2026-11'),
      }),
      GpuNodePool.training('h200', { gpu: Gpu.H200_141GB, instanceTypes: ['p5e.48xlarge'], maxNodes: 1 }),
    ]);
    const pools = PlatformReport.of(stack).render().clusters.Gpu.pools;
    expect(pools.ri).toMatchObject({ market: 'reserved', price: { basis: 'override', atMaxHourly: 1, source: 'RI 1y' } });
    expect(pools.edp).toMatchObject({ market: 'on-demand', price: { basis: 'override', atMaxHourly: 1.4 } });
    const g6 = PriceCatalog.DEFAULT.onDemand('aws', pools.spot.instanceType)!.hourlyPricePerNode;
    expect(pools.spot.price).toMatchObject({ basis: 'spot-estimate', perNodeHourly: Math.round(g6 * 0.4 * 1e6) / 1e6 });
    expect(pools.h200.price).toMatchObject({ basis: 'unknown', perNodeHourly: 'unknown', atMaxHourly: 'unknown' });
    const report = PlatformReport.of(stack).render();
    expect(report.totals.hourlyAtMax.unknownItems).toBe(1);
  });

  test('a pool on reserved capacity without its own price is at list, labelled as such', () => {
    const stack = awsStack();
    cluster(stack, [
      GpuNodePool.training('block', {
        gpu: Gpu.H100_80GB,
        maxNodes: 2,
        capacityReservation: CapacityReservation.ec2CapacityBlock('cr-0123456789abcdef0', {
          availabilityZone: 'us-east-1a',
          instanceType: 'p5.48xlarge',
        }),
      }),
    ]);
    const pools = PlatformReport.of(stack).render().clusters.Gpu.pools;
    const list = PriceCatalog.DEFAULT.onDemand('aws', 'p5.48xlarge')!.hourlyPricePerNode;
    expect(pools.block).toMatchObject({ market: 'reserved', price: { basis: 'reserved-at-list', perNodeHourly: list } });
    expect(pools.block.price.note).toContain('PoolPricing.reserved');
  });

  test('markdown totals name the accelerator pools and say unknown when no pool has a price', () => {
    const stack = awsStack();
    cluster(stack, [GpuNodePool.training('h200', { gpu: Gpu.H200_141GB, instanceTypes: ['p5e.48xlarge'], minNodes: 1, maxNodes: 2 })]);
    const md = renderPlatformReportMarkdown(PlatformReport.of(stack).render());
    expect(md).toContain('## Totals of the accelerator pools');
    expect(md).toContain('- per hour at max nodes: unknown\n');
    expect(md).toContain('- per month at max nodes: unknown\n');
    expect(md).toContain('- accelerators at max nodes: 16\n');
    expect(md).not.toContain('$0.00');

    const mixed = awsStack();
    cluster(mixed, [
      GpuNodePool.training('h200', { gpu: Gpu.H200_141GB, instanceTypes: ['p5e.48xlarge'], maxNodes: 1 }),
      GpuNodePool.inference('l4', { gpu: Gpu.L4, instanceType: 'g6.xlarge', maxNodes: 1 }),
    ]);
    expect(renderPlatformReportMarkdown(PlatformReport.of(mixed).render())).toContain(
      '- per hour at max nodes: $0.80 (+ 1 pool(s) unknown)\n',
    );
  });

  test('Azure prices are per location, with the reference location for others', () => {
    expect(PriceCatalog.DEFAULT.onDemand('azure', 'Standard_NC24ads_A100_v4', 'eastus')).toMatchObject({ hourlyPricePerNode: 3.673 });
    expect(PriceCatalog.DEFAULT.onDemand('azure', 'Standard_NC24ads_A100_v4', 'westeurope')!.note).toMatch(
      /no price sheet for westeurope; eastus/,
    );
    expect(PriceCatalog.DEFAULT.onDemand('azure', 'Standard_ND96isr_H200_v5', 'eastus')).toBeUndefined();
  });

  test('Azure multi-GPU sizes are priced as whole VMs: the same price per GPU within an NC family', () => {
    const price = (size: string) => PriceCatalog.DEFAULT.onDemand('azure', size, 'eastus')!.hourlyPricePerNode;
    expect(price('Standard_NC48ads_A100_v4')).toBe(7.346);
    expect(price('Standard_NC96ads_A100_v4')).toBe(14.692);
    expect(price('Standard_NC80adis_H100_v5')).toBe(13.96);
    for (const gpu of [Gpu.A100_80GB, Gpu.H100_NVL_94GB]) {
      const nc = gpu.azureVmSizes.filter((o) => o.instanceType.startsWith('Standard_NC'));
      const perGpu = nc.map((o) => Math.round((price(o.instanceType) / o.acceleratorCount) * 1000) / 1000);
      expect(new Set(perGpu).size).toBe(1);
    }
    // The sizes the Azure examples use record a price.
    expect(price('Standard_ND96amsr_A100_v4')).toBe(32.77);
    expect(price('Standard_NC4as_T4_v3')).toBe(0.526);
  });

  test('every GPU, Neuron and default system size of the library has a price or is left out on purpose', () => {
    const offered = Gpu.all().flatMap((g) => [
      ...g.awsInstanceTypes.map((o) => ['aws', o.instanceType]),
      ...g.azureVmSizes.map((o) => ['azure', o.instanceType]),
    ]);
    const unpriced = offered.filter(([cloud, type]) => PriceCatalog.DEFAULT.onDemand(cloud, type) === undefined);
    // Left out on purpose: p5e.48xlarge (Capacity Blocks only), trn2 (no on-demand list price in the source)
    // and the H200 VM size (no eastus price when the sheet was collected).
    expect(unpriced.sort()).toEqual([
      ['aws', 'p5e.48xlarge'],
      ['aws', 'trn2.3xlarge'],
      ['aws', 'trn2.48xlarge'],
      ['azure', 'Standard_ND96isr_H200_v5'],
    ]);
    expect(PriceCatalog.DEFAULT.onDemand('aws', 'm6i.xlarge')).toBeDefined();
  });

  test('bad pricing is reported with the pool, the value and the fix', () => {
    const stack = awsStack();
    cluster(stack, [
      GpuNodePool.inference('a', { gpu: Gpu.L4, maxNodes: 1, pricing: PoolPricing.negotiated({ hourlyPricePerNode: -1, source: '' }) }),
      GpuNodePool.inference('b', { gpu: Gpu.L4, maxNodes: 1, pricing: PoolPricing.expectedSpotDiscount(1.5, 'x') }),
    ]);
    expect(problemLines(stack)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/nodePools\[a\]\.pricing\.hourlyPricePerNode -1 is not a price; give the hourly price of one node, >= 0/),
        expect.stringMatching(/nodePools\[a\]\.pricing\.source '' is empty; say where the price comes from/),
        expect.stringMatching(/nodePools\[b\]\.pricing\.spotDiscount 1\.5 is not a fraction in \(0, 1\)/),
        expect.stringMatching(/nodePools\[b\]\.pricing spotDiscount on a pool without spot: true is never applied/),
      ]),
    );
  });
});

describe('served models and tenants', () => {
  test('RagStack models: memory plan, replicas and units at max replicas', () => {
    const app = Testing.app();
    const rag = new RagAwsStack(app, 'rag-aws');
    const report = PlatformReport.of(rag).render();
    const [c] = Object.values<any>(report.clusters);
    expect(c.servedModels.length).toBeGreaterThanOrEqual(2);
    for (const m of c.servedModels) {
      expect(m.unitsAtMaxReplicas).toBe(m.unitsPerReplica * m.replicas.max);
      expect(c.pools[m.pool].atMaxNodes.resources[m.resource]).toBeGreaterThanOrEqual(m.unitsPerReplica);
      expect(m.memoryPlan.explanation).toContain(m.servedName);
    }
  });

  test('tenants: nominal quotas at most what the pools provide at max nodes', () => {
    const app = Testing.app();
    const stack = new MultiTenantAwsStack(app, 'mt');
    const c = Object.values<any>(PlatformReport.of(stack).render().clusters)[0];
    expect(Object.keys(c.tenants.byTenant).sort()).toEqual(['ads', 'research', 'search']);
    expect(c.tenants.byTenant.search.monthlyBudget).toBe(20000);
    for (const [key, v] of Object.entries<any>(c.tenants.quotaVsCapacity)) {
      const [pool, ...res] = key.split('/');
      expect(v.capacityAtMaxNodes).toBe(c.pools[pool].atMaxNodes.resources[res.join('/')]);
      expect(v.fits).toBe(true);
      expect(v.nominalQuota).toBeLessThanOrEqual(v.capacityAtMaxNodes);
    }
  });
});

describe('report files', () => {
  function synthTo(outdir: string): string {
    const app = new App({ outdir, skipValidation: false });
    const stack = awsStack('gpu', undefined, app);
    cluster(stack, referencePools());
    awsStack('no-gpu', undefined, app);
    app.synth();
    return path.join(outdir, 'stacks');
  }

  test('written beside cdk.tf.json of stacks with accelerator pools only, deterministic, no absolute paths', () => {
    const a = synthTo(fs.mkdtempSync(path.join(os.tmpdir(), 'report-a-')));
    const b = synthTo(fs.mkdtempSync(path.join(os.tmpdir(), 'report-b-')));
    expect(fs.readdirSync(path.join(a, 'gpu')).sort()).toEqual(['cdk.tf.json', 'platform-report.json', 'platform-report.md']);
    expect(fs.readdirSync(path.join(a, 'no-gpu'))).toEqual(['cdk.tf.json']);
    for (const f of ['platform-report.json', 'platform-report.md']) {
      const text = fs.readFileSync(path.join(a, 'gpu', f), 'utf8');
      expect(text).toBe(fs.readFileSync(path.join(b, 'gpu', f), 'utf8'));
      expect(text).not.toContain(os.tmpdir());
      expect(text).not.toContain(process.cwd());
    }
    const json = fs.readFileSync(path.join(a, 'gpu', 'platform-report.json'), 'utf8');
    const keysSorted = (v: any): boolean =>
      Array.isArray(v)
        ? v.every(keysSorted)
        : v === null || typeof v !== 'object'
          ? true
          : JSON.stringify(Object.keys(v)) === JSON.stringify(Object.keys(v).sort()) && Object.values(v).every(keysSorted);
    expect(keysSorted(JSON.parse(json))).toBe(true);
    expect(fs.readFileSync(path.join(a, 'gpu', 'platform-report.md'), 'utf8')).toMatch(
      /\| llm \| p5\.4xlarge \| H100_80GB \| on-demand \| 1-4 \|/,
    );
  });
});
