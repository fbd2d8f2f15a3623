// One benchmark scenario in its own process: prints {loadMs, synthMs, resources, peakRssMiB} as JSON.
// 'reference' is every example stack (the app `npx cdktf synth` builds); 'rag' the two RAG examples; a number N is one EKS cluster
// with N accelerator pools cycling through MIG, time-sliced, spot training and Neuron pools.
// 'floor' DIR is what cdktf itself costs for the reference platform: it loads the provider modules the
// reference run loaded and builds the same stacks, providers, resources and data sources from the
// reference run's output with cdktf's own TerraformResource/TerraformProvider/TerraformDataSource, each
// returning its synthesized attributes as they are (no library code, no provider-class setters or tokens).
// A 'reference' run with BENCH_KEEP=DIR writes that output and the module list to DIR.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const t0 = process.hrtime.bigint();
/* eslint-disable @typescript-eslint/no-require-imports */
const { App, LocalBackend, TerraformStack } = require('cdktf');
const arg = process.argv[2];
const floorDir = arg === 'floor' ? process.argv[3] : undefined;
const floorModules: string[] = floorDir ? JSON.parse(fs.readFileSync(path.join(floorDir, 'modules.json'), 'utf8')) : [];
floorModules.forEach((m) => require(m));
const { AwsProvider } = require('@cdktf/provider-aws/lib/provider');
const lib = floorDir ? undefined : require('../lib');
const t1 = process.hrtime.bigint();

const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdktf-bench-'));
const app = new App({ outdir, stackTraces: false }); // as examples/main.ts
if (floorDir) {
  buildFloor(floorDir);
} else if (arg === 'reference') {
  const { AwsGpuClusterStack } = require('../examples/aws-gpu-cluster/stack');
  const { MinimalStack } = require('../examples/minimal/stack');
  const { AzureGpuClusterStack } = require('../examples/azure-gpu-cluster/stack');
  const { MultiCloudAwsStack, MultiCloudAzureStack } = require('../examples/multi-cloud/stack');
  const { PrivateClusterStacks } = require('../examples/private-cluster/stack');
  new AwsGpuClusterStack(app, 'aws-gpu-cluster');
  new MinimalStack(app, 'minimal');
  new AzureGpuClusterStack(app, 'azure-gpu-cluster');
  new MultiCloudAwsStack(app, 'multi-cloud-aws');
  new MultiCloudAzureStack(app, 'multi-cloud-azure');
  new PrivateClusterStacks(app, 'private-cluster');
  const { ExistingClusterStack } = require('../examples/existing-cluster/stack');
  const { RagAwsStack } = require('../examples/rag-aws/stack');
  const { RagAzureStack } = require('../examples/rag-azure/stack');
  new ExistingClusterStack(app, 'existing-cluster');
  new RagAwsStack(app, 'rag-aws');
  new RagAzureStack(app, 'rag-azure');
  const { FeatureStoreAwsStack, FeatureStoreAzureStack } = require('../examples/feature-store/stack');
  new FeatureStoreAwsStack(app, 'feature-store-aws');
  new FeatureStoreAzureStack(app, 'feature-store-azure');
  const { MultiTenantAwsStack, MultiTenantAzureStack } = require('../examples/multi-tenant/stack');
  new MultiTenantAwsStack(app, 'multi-tenant-aws');
  new MultiTenantAzureStack(app, 'multi-tenant-azure');
} else if (arg === 'rag') {
  const { RagAwsStack } = require('../examples/rag-aws/stack');
  const { RagAzureStack } = require('../examples/rag-azure/stack');
  new RagAwsStack(app, 'rag-aws');
  new RagAzureStack(app, 'rag-azure');
} else {
  const n = Number(arg);
  const stack = new TerraformStack(app, `scaled-${n}`);
  new LocalBackend(stack, { path: 'scaled.tfstate' });
  new AwsProvider(stack, 'aws', { region: 'us-east-1' });
  const shapes = [
    (i: number) => lib.GpuNodePool.inference(`mig-${i}`, { gpu: lib.Gpu.H100_80GB, mig: lib.MigLayout.uniform('1g.10gb'), maxNodes: 4 }),
    (i: number) => lib.GpuNodePool.inference(`ts-${i}`, { gpu: lib.Gpu.L4, timeSlicing: 4, maxNodes: 4 }),
    (i: number) => lib.GpuNodePool.training(`train-${i}`, { gpu: lib.Gpu.A100_80GB, spot: true, maxNodes: 8 }),
    (i: number) => lib.GpuNodePool.neuron(`inf-${i}`, { instanceType: 'inf2.8xlarge', maxNodes: 2 }),
  ];
  const pools = Array.from({ length: n }, (_, i) => shapes[i % shapes.length](i));
  const cloud = lib.Cloud.aws({ endpointAccess: lib.EndpointAccess.publicAndPrivate(['198.51.100.7/32']) });
  new lib.GpuInferenceCluster(stack, 'Gpu', { cloud, clusterName: 'bench', nodePools: pools });
}
app.synth();
const t2 = process.hrtime.bigint();

let resources = 0;
for (const dir of fs.readdirSync(path.join(outdir, 'stacks'))) {
  const doc = JSON.parse(fs.readFileSync(path.join(outdir, 'stacks', dir, 'cdk.tf.json'), 'utf8'));
  for (const t of Object.values(doc.resource ?? {})) resources += Object.keys(t as object).length;
}
const keep = arg === 'reference' ? process.env.BENCH_KEEP : undefined;
if (keep) {
  fs.cpSync(path.join(outdir, 'stacks'), path.join(keep, 'stacks'), { recursive: true });
  const providerModules = Object.keys(require.cache).filter((m) => m.includes(`${path.sep}@cdktf${path.sep}provider-`));
  fs.writeFileSync(path.join(keep, 'modules.json'), JSON.stringify(providerModules));
}
fs.rmSync(outdir, { recursive: true, force: true });
const usage = process.resourceUsage();
const peakRssMiB = Math.round(usage.maxRSS / 1024);
// CPU time of the whole process (all threads, the garbage collector's too): steadier than wall time on a busy machine.
const cpuMs = ((usage.userCPUTime + usage.systemCPUTime) / 1000) | 0;
console.log(JSON.stringify({ loadMs: (Number(t1 - t0) / 1e6) | 0, synthMs: (Number(t2 - t1) / 1e6) | 0, cpuMs, resources, peakRssMiB }));

/** The reference platform's stacks rebuilt from its synthesized output with cdktf's own element classes. */
function buildFloor(dir: string): void {
  const { TerraformDataSource, TerraformProvider, TerraformResource } = require('cdktf');
  type Attrs = Record<string, unknown>;
  const raw = (Base: any) =>
    class extends Base {
      constructor(
        scope: unknown,
        id: string,
        type: string,
        private readonly attrs: Attrs,
      ) {
        super(scope, id, { terraformResourceType: type });
      }
      protected synthesizeAttributes(): Attrs {
        return this.attrs;
      }
    };
  const [RawResource, RawData, RawProvider] = [raw(TerraformResource), raw(TerraformDataSource), raw(TerraformProvider)];
  for (const name of fs.readdirSync(path.join(dir, 'stacks'))) {
    const doc = JSON.parse(fs.readFileSync(path.join(dir, 'stacks', name, 'cdk.tf.json'), 'utf8'));
    const stack = new TerraformStack(app, name);
    for (const [type, configs] of Object.entries(doc.provider ?? {}))
      (configs as Attrs[]).forEach((c, i) => new RawProvider(stack, `${type}-${i}`, type, c));
    for (const [kind, Element] of [
      ['resource', RawResource],
      ['data', RawData],
    ] as const)
      for (const [type, byName] of Object.entries(doc[kind] ?? {}))
        for (const [id, attrs] of Object.entries(byName as Record<string, Attrs>)) new Element(stack, id, type, attrs);
  }
}
