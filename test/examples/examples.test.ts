import { App } from 'cdktf';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { AwsGpuClusterStack } from '../../examples/aws-gpu-cluster/stack';
import { AzureGpuClusterStack } from '../../examples/azure-gpu-cluster/stack';
import { ExistingClusterStack } from '../../examples/existing-cluster/stack';
import { FeatureStoreAwsStack, FeatureStoreAzureStack } from '../../examples/feature-store/stack';
import { KarpenterGpuStack } from '../../examples/karpenter-gpu/stack';
import { MinimalStack } from '../../examples/minimal/stack';
import { MultiCloudAwsStack, MultiCloudAzureStack } from '../../examples/multi-cloud/stack';
import { MultiTenantAwsStack, MultiTenantAzureStack } from '../../examples/multi-tenant/stack';
import { PrivateClusterStacks } from '../../examples/private-cluster/stack';
import { RagAwsStack } from '../../examples/rag-aws/stack';
import { RagAzureStack } from '../../examples/rag-azure/stack';

/**
 * The synthesized stack as an object a reviewer can read in a diff: Helm values (YAML) become arrays of
 * lines, JSON documents in strings (Grafana dashboards in ConfigMaps, IAM policies) become objects.
 */
function readable(synth: string): unknown {
  const doc = JSON.parse(synth);
  for (const [type, byName] of Object.entries<{ [name: string]: any }>(doc.resource ?? {})) {
    for (const r of Object.values(byName)) {
      if (type === 'helm_release' && Array.isArray(r.values)) {
        r.values = r.values.map((v: unknown) => (typeof v === 'string' ? v.split('\n') : v));
      }
      if (r.data && typeof r.data === 'object') {
        for (const [key, v] of Object.entries(r.data)) if (key.endsWith('.json')) r.data[key] = parseJsonOr(v);
      }
      if (typeof r.policy === 'string') r.policy = parseJsonOr(r.policy);
    }
  }
  return doc;
}

/** JSON text as an object; anything else (e.g. a Terraform expression) as it is. */
function parseJsonOr(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  try {
    return JSON.parse(v);
  } catch {
    return v;
  }
}

/**
 * Every stack an example makes (its data stack too), synthesized as a whole app: cross-stack references
 * (remote state, outputs) only exist in a whole-app synth.
 */
function synthApp(make: (app: App) => unknown): { [stack: string]: unknown } {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'example-'));
  const app = new App({ outdir });
  make(app);
  app.synth();
  const stacks = fs.readdirSync(path.join(outdir, 'stacks')).sort();
  const out = Object.fromEntries(stacks.map((s) => [s, readable(fs.readFileSync(path.join(outdir, 'stacks', s, 'cdk.tf.json'), 'utf8'))]));
  fs.rmSync(outdir, { recursive: true, force: true });
  return out;
}

// One snapshot per example scenario: a reviewer sees every change to the Terraform users get.
describe.each([
  ['aws-gpu-cluster', (app: App) => new AwsGpuClusterStack(app, 'aws-gpu-cluster')],
  ['minimal', (app: App) => new MinimalStack(app, 'minimal')],
  ['karpenter-gpu', (app: App) => new KarpenterGpuStack(app, 'karpenter-gpu')],
  ['azure-gpu-cluster', (app: App) => new AzureGpuClusterStack(app, 'azure-gpu-cluster')],
  ['multi-cloud-aws', (app: App) => new MultiCloudAwsStack(app, 'multi-cloud-aws')],
  ['multi-cloud-azure', (app: App) => new MultiCloudAzureStack(app, 'multi-cloud-azure')],
  ['existing-cluster', (app: App) => new ExistingClusterStack(app, 'existing-cluster')],
  ['rag-aws', (app: App) => new RagAwsStack(app, 'rag-aws')],
  ['rag-azure', (app: App) => new RagAzureStack(app, 'rag-azure')],
  ['feature-store-aws', (app: App) => new FeatureStoreAwsStack(app, 'feature-store-aws')],
  ['feature-store-azure', (app: App) => new FeatureStoreAzureStack(app, 'feature-store-azure')],
  ['multi-tenant-aws', (app: App) => new MultiTenantAwsStack(app, 'multi-tenant-aws')],
  ['multi-tenant-azure', (app: App) => new MultiTenantAzureStack(app, 'multi-tenant-azure')],
  ['private-cluster', (app: App) => new PrivateClusterStacks(app, 'private-cluster')],
])('example %s', (_name, make) => {
  test('matches its snapshot (every stack it makes)', () => {
    expect(synthApp(make)).toMatchSnapshot();
  });
});

test('two synths are byte-identical and hold no absolute path, manifest included', () => {
  const run = () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'det-'));
    // As examples/main.ts and the README set it: no creation stack traces (absolute paths) in manifest.json.
    const app = new App({ outdir, stackTraces: false });
    new AwsGpuClusterStack(app, 'aws-gpu-cluster');
    new FeatureStoreAzureStack(app, 'feature-store-azure'); // warns: an annotation in manifest.json
    new MinimalStack(app, 'minimal');
    new AzureGpuClusterStack(app, 'azure-gpu-cluster');
    new PrivateClusterStacks(app, 'private-cluster');
    app.synth();
    const files = fs
      .readdirSync(outdir, { recursive: true, encoding: 'utf8' })
      .filter((f) => fs.statSync(path.join(outdir, f)).isFile())
      .sort();
    expect(files).toContain('manifest.json');
    const out = files.map((f) => `${f}\n${fs.readFileSync(path.join(outdir, f), 'utf8')}`).join('\n');
    expect(out).toContain('terraform_remote_state'); // the split examples' cross-stack references are in
    fs.rmSync(outdir, { recursive: true, force: true });
    return { out, outdir };
  };
  const a = run();
  const b = run();
  expect(a.out).toEqual(b.out);
  for (const p of [process.cwd(), a.outdir, b.outdir]) expect(a.out).not.toContain(p);
});
