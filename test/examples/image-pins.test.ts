import { App } from 'cdktf';
import { Construct } from 'constructs';
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
import { PlatformNamespace } from '../../lib/addons/namespace';
import { EndpointAccess } from '../../lib/aws/endpoint-access';
import { Cloud } from '../../lib/cloud';
import { RemovalPolicy } from '../../lib/core/data-services';
import { GpuNodePool } from '../../lib/core/node-pool';
import { Gpu } from '../../lib/gpu/accelerator';
import { GpuInferenceCluster } from '../../lib/gpu-inference-cluster';
import { VectorStore } from '../../lib/rag/vector-store';
import { awsStack, synthJson } from '../helpers';

/**
 * Every image the library deploys has a fixed version: container images in the Kubernetes resources,
 * image references and tags in the Helm values it writes (chart values and raw-manifest releases), chart
 * defaults with floating tags switched off or overridden, and every chart version pinned. Checked on the
 * synthesized examples, which between them use every chart and workload the library has.
 */

/** Tags that move: a pull on another day runs other code. */
const FLOATING = /^(latest|main|master|stable|edge|nightly|dev|develop|head|canary|release|rolling)$/i;

/** Why `ref` (registry/name:tag, name@sha256:..., or a tag alone) is not a fixed version, or undefined. */
export function unpinned(ref: string, tagOnly = false): string | undefined {
  if (ref.includes('${')) return undefined; // a Terraform reference: the user's input, checked where it is a prop
  if (/@sha256:[a-f0-9]{64}$/.test(ref)) return undefined;
  if (tagOnly) return FLOATING.test(ref) ? `floating tag '${ref}'` : undefined;
  const last = ref.slice(ref.lastIndexOf('/') + 1);
  const colon = last.lastIndexOf(':');
  if (colon < 0) return `no tag in '${ref}' (pulls latest)`;
  const tag = last.slice(colon + 1);
  if (!tag || FLOATING.test(tag)) return `floating tag '${tag}' in '${ref}'`;
  return undefined;
}

interface Leaf {
  readonly path: string[];
  readonly value: string;
}

/**
 * The scalar leaves of YAML written by lib/private/yaml.ts (2-space maps, `- ` list items, `|-` blocks),
 * each with its key path ('-' for a list item). Embedded files (blocks) are skipped.
 */
export function yamlLeaves(text: string): Leaf[] {
  const out: Leaf[] = [];
  const stack: { indent: number; key: string }[] = [];
  let blockIndent = -1;
  const unquote = (s: string) =>
    s.startsWith('"') ? JSON.parse(s) : s.startsWith("'") ? s.slice(1, -1).replace(/''/g, "'") : s.replace(/\s+#.*$/, '');
  for (const raw of text.split('\n')) {
    if (!raw.trim()) continue;
    let indent = raw.length - raw.trimStart().length;
    if (blockIndent >= 0 && indent > blockIndent) continue;
    blockIndent = -1;
    let line = raw.trimStart();
    while (line.startsWith('- ') || line === '-') {
      while (stack.length && stack[stack.length - 1].indent >= indent) stack.pop();
      stack.push({ indent, key: '-' });
      indent += 2;
      line = line.slice(2);
    }
    if (!line) continue;
    const m = /^("(?:[^"\\]|\\.)*"|[^:\s][^:]*?):(?: (.*))?$/.exec(line);
    while (stack.length && stack[stack.length - 1].indent >= indent) stack.pop();
    if (!m) {
      out.push({ path: stack.map((s) => s.key), value: unquote(line) });
      continue;
    }
    const key = unquote(m[1]);
    const rest = (m[2] ?? '').trim();
    if (!rest) {
      stack.push({ indent, key });
      continue;
    }
    if (/^[|>][-+]?$/.test(rest)) {
      blockIndent = indent;
      continue;
    }
    out.push({ path: [...stack.map((s) => s.key), key], value: unquote(rest) });
  }
  return out;
}

/** Problems of the images in one helm_release's values. */
function valuesProblems(values: string): string[] {
  const out: string[] = [];
  for (const { path: p, value } of yamlLeaves(values)) {
    const key = p[p.length - 1] === '-' ? p[p.length - 2] : p[p.length - 1];
    const where = p.join('.');
    if (key === 'image' || key === 'fullImageName') {
      const why = unpinned(value);
      if (why) out.push(`${where}: ${why}`);
    } else if (key === 'tag' && p.some((s) => /image/i.test(s))) {
      const why = unpinned(value, true);
      if (why) out.push(`${where}: ${why}`);
    }
  }
  return out;
}

/**
 * Chart defaults with a floating tag (from the pinned charts' values.yaml, see shared/refs/charts): the
 * library must leave the component off or set the tag. `on`: the component's switch and its default.
 */
const FLOATING_DEFAULTS: { chart: string; on: [string, boolean]; tag: string }[] = [
  // kube-prometheus-stack 88.5.3: busybox:latest for the CRD upgrade job.
  { chart: 'kube-prometheus-stack', on: ['crds.upgradeJob.enabled', false], tag: 'crds.upgradeJob.image.busybox.tag' },
  // its grafana subchart: grafana-image-renderer:latest.
  { chart: 'kube-prometheus-stack', on: ['grafana.imageRenderer.enabled', false], tag: 'grafana.imageRenderer.image.tag' },
  // weaviate 17.8.3: alpine:latest in the privileged sysctl init container, on by default.
  { chart: 'weaviate', on: ['initContainers.sysctlInitContainer.enabled', true], tag: 'initContainers.sysctlInitContainer.image.tag' },
  // milvus 5.0.19: milvusdb/woodpecker:latest for the separate Woodpecker service.
  { chart: 'milvus', on: ['woodpecker.enabled', false], tag: 'woodpecker.image.tag' },
  // Not listed: qdrant 1.19.0's chartTests image (bci-base:latest) runs only under `helm test`, which the
  // library never runs.
];

function defaultsProblems(chart: string, values: string): string[] {
  const leaves = new Map(yamlLeaves(values).map((l) => [l.path.join('.'), l.value]));
  const out: string[] = [];
  for (const d of FLOATING_DEFAULTS.filter((x) => x.chart === chart)) {
    const set = leaves.get(d.on[0]);
    const on = set === undefined ? d.on[1] : set === 'true';
    const tag = leaves.get(d.tag);
    if (on && (tag === undefined || unpinned(tag, true)))
      out.push(`${d.on[0]} is on with the chart's floating ${d.tag}; set the tag or turn it off`);
  }
  return out;
}

/** Every image string in a Kubernetes resource or manifest (container, init_container, ephemeral). */
function objectImages(v: unknown, at: string, out: { at: string; ref: string }[]): void {
  if (Array.isArray(v)) v.forEach((x, i) => objectImages(x, `${at}[${i}]`, out));
  else if (v && typeof v === 'object')
    for (const [k, x] of Object.entries(v)) {
      if (k === 'image' && typeof x === 'string') out.push({ at: `${at}.image`, ref: x });
      else objectImages(x, `${at}.${k}`, out);
    }
}

/** Every image problem of a synthesized stack, as `<address>: <problem>`. */
export function imageProblems(doc: any): string[] {
  const out: string[] = [];
  for (const [type, byName] of Object.entries<{ [name: string]: any }>(doc.resource ?? {})) {
    for (const [name, r] of Object.entries(byName)) {
      const address = `${type}.${name}`;
      if (type === 'helm_release') {
        if (r.repository && !/^v?\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/.test(String(r.version ?? '')))
          out.push(`${address}: chart ${r.chart} version '${r.version ?? ''}' is not a fixed version`);
        for (const v of r.values ?? []) {
          if (typeof v !== 'string') continue;
          out.push(...valuesProblems(v).map((p) => `${address}: ${p}`));
          out.push(...defaultsProblems(String(r.chart), v).map((p) => `${address}: ${p}`));
        }
      } else if (type.startsWith('kubernetes_')) {
        const images: { at: string; ref: string }[] = [];
        objectImages(type === 'kubernetes_manifest' ? r.manifest : r.spec, address, images);
        for (const { at, ref } of images) {
          const why = unpinned(ref);
          if (why) out.push(`${at}: ${why}`);
        }
      }
    }
  }
  return out;
}

function synthApp(make: (app: App) => unknown): { [stack: string]: any } {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'images-'));
  const app = new App({ outdir });
  make(app);
  app.synth();
  const stacks = fs.readdirSync(path.join(outdir, 'stacks')).sort();
  const out = Object.fromEntries(
    stacks.map((s) => [s, JSON.parse(fs.readFileSync(path.join(outdir, 'stacks', s, 'cdk.tf.json'), 'utf8'))]),
  );
  fs.rmSync(outdir, { recursive: true, force: true });
  return out;
}

describe('the checks themselves', () => {
  test('image references', () => {
    expect(unpinned('vllm/vllm-openai:v0.11.0')).toBeUndefined();
    expect(unpinned('registry.k8s.io/kueue/kueue@sha256:' + 'a'.repeat(64))).toBeUndefined();
    expect(unpinned('localhost:5000/app:1.2')).toBeUndefined();
    expect(unpinned('busybox')).toMatch(/no tag/);
    expect(unpinned('localhost:5000/app')).toMatch(/no tag/);
    expect(unpinned('busybox:latest')).toMatch(/floating tag 'latest'/);
    expect(unpinned('main', true)).toMatch(/floating/);
    expect(unpinned('${var.image}')).toBeUndefined();
  });

  test('values: image strings, image tags, and chart defaults with floating tags', () => {
    const values = [
      'a:',
      '  image:',
      '    repository: x/y',
      '    tag: latest',
      'sidecars:',
      '  - name: s',
      '    image: "busybox"',
      'config: |-',
      '  image: ignored:latest',
      'initContainers:',
      '  sysctlInitContainer:',
      '    enabled: true',
    ].join('\n');
    expect(valuesProblems(values)).toEqual(["a.image.tag: floating tag 'latest'", "sidecars.-.image: no tag in 'busybox' (pulls latest)"]);
    expect(defaultsProblems('weaviate', values)).toEqual([
      "initContainers.sysctlInitContainer.enabled is on with the chart's floating initContainers.sysctlInitContainer.image.tag; set the tag or turn it off",
    ]);
    // On by default: silence is not off.
    expect(defaultsProblems('weaviate', 'replicas: 1')).toHaveLength(1);
    expect(defaultsProblems('weaviate', 'initContainers:\n  sysctlInitContainer:\n    enabled: false')).toEqual([]);
  });

  test('resources: containers, manifests and chart versions', () => {
    const doc = {
      resource: {
        kubernetes_deployment_v1: {
          d: { spec: { template: { spec: { container: [{ image: 'a/b' }], init_container: [{ image: 'c:1' }] } } } },
        },
        kubernetes_manifest: { m: { manifest: { spec: { containers: [{ image: 'x:latest' }] } } } },
        helm_release: { h: { chart: 'keda', repository: 'https://kedacore.github.io/charts', version: '>= 2.0' } },
      },
    };
    expect(imageProblems(doc)).toEqual([
      "kubernetes_deployment_v1.d.template.spec.container[0].image: no tag in 'a/b' (pulls latest)",
      "kubernetes_manifest.m.spec.containers[0].image: floating tag 'latest' in 'x:latest'",
      "helm_release.h: chart keda version '>= 2.0' is not a fixed version",
    ]);
  });
});

// The examples run Qdrant and pgvector: the other stores' charts are checked here.
test.each([
  ['weaviate', VectorStore.weaviate],
  ['milvus', VectorStore.milvus],
])('VectorStore.%s deploys fixed image versions only', (_kind, make) => {
  const stack = awsStack();
  const cluster = new GpuInferenceCluster(stack, 'Gpu', {
    cloud: Cloud.aws({ endpointAccess: EndpointAccess.publicAndPrivate(['203.0.113.0/24']) }),
    clusterName: 'ai',
    nodePools: [GpuNodePool.inference('l4', { gpu: Gpu.L4, maxNodes: 2 })],
  });
  const store = make();
  const ns = new PlatformNamespace(stack, 'Ns', { cluster, name: 'rag', podSecurity: store.podSecurity });
  store.bind(new Construct(stack, 'Store'), {
    cluster,
    namespace: 'rag',
    dependables: ns.dependables,
    removalPolicy: RemovalPolicy.RETAIN,
  });
  expect(imageProblems(synthJson(stack))).toEqual([]);
});

describe.each([
  ['aws-gpu-cluster', (app: App) => new AwsGpuClusterStack(app, 'aws-gpu-cluster')],
  ['minimal', (app: App) => new MinimalStack(app, 'minimal')],
  ['karpenter-gpu', (app: App) => new KarpenterGpuStack(app, 'karpenter-gpu')],
  ['azure-gpu-cluster', (app: App) => new AzureGpuClusterStack(app, 'azure-gpu-cluster')],
  ['multi-cloud', (app: App) => [new MultiCloudAwsStack(app, 'multi-cloud-aws'), new MultiCloudAzureStack(app, 'multi-cloud-azure')]],
  ['existing-cluster', (app: App) => new ExistingClusterStack(app, 'existing-cluster')],
  ['rag-aws', (app: App) => new RagAwsStack(app, 'rag-aws')],
  ['rag-azure', (app: App) => new RagAzureStack(app, 'rag-azure')],
  [
    'feature-store',
    (app: App) => [new FeatureStoreAwsStack(app, 'feature-store-aws'), new FeatureStoreAzureStack(app, 'feature-store-azure')],
  ],
  ['multi-tenant', (app: App) => [new MultiTenantAwsStack(app, 'multi-tenant-aws'), new MultiTenantAzureStack(app, 'multi-tenant-azure')]],
  ['private-cluster', (app: App) => new PrivateClusterStacks(app, 'private-cluster')],
])('example %s', (_name, make) => {
  test('deploys fixed image versions and pinned charts only', () => {
    const stacks = synthApp(make);
    const problems = Object.entries(stacks).flatMap(([s, doc]) => imageProblems(doc).map((p) => `${s}: ${p}`));
    expect(problems).toEqual([]);
    // The walk saw images: a check that finds nothing to check cannot fail.
    const seen = Object.values(stacks).some((doc: any) =>
      Object.entries<any>(doc.resource ?? {}).some(
        ([t, byName]) => t === 'helm_release' || (t.startsWith('kubernetes_') && JSON.stringify(byName).includes('"image"')),
      ),
    );
    expect(seen).toBe(true);
  });
});
