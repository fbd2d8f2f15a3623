import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, TerraformStack, Testing } from 'cdktf';
import { IConstruct } from 'constructs';
import { AwsGpuClusterStack } from '../examples/aws-gpu-cluster/stack';
import { AzureGpuClusterStack } from '../examples/azure-gpu-cluster/stack';
import { ExistingClusterStack } from '../examples/existing-cluster/stack';
import { FeatureStoreAwsStack, FeatureStoreAzureStack } from '../examples/feature-store/stack';
import { MinimalStack } from '../examples/minimal/stack';
import { MultiCloudAwsStack, MultiCloudAzureStack } from '../examples/multi-cloud/stack';
import { MultiTenantAwsStack, MultiTenantAzureStack } from '../examples/multi-tenant/stack';
import { PrivateClusterStacks } from '../examples/private-cluster/stack';
import { RagAwsStack } from '../examples/rag-aws/stack';
import { RagAzureStack } from '../examples/rag-azure/stack';
import { HelmAddon } from '../lib/addons/chart';
import { ManifestsRelease } from '../lib/addons/manifests';

// Life-cycle checks (second apply, upgrade, destroy) over whole synthesized apps: what each Helm release
// renders is read from its construct (the values object its YAML is written from), the rest from the JSON.

/** Every example, as `examples/main.ts` builds it. */
export const EXAMPLES: [string, (app: App) => void][] = [
  ['aws-gpu-cluster', (app) => new AwsGpuClusterStack(app, 'aws-gpu-cluster')],
  ['minimal', (app) => new MinimalStack(app, 'minimal')],
  ['azure-gpu-cluster', (app) => new AzureGpuClusterStack(app, 'azure-gpu-cluster')],
  ['multi-cloud-aws', (app) => new MultiCloudAwsStack(app, 'multi-cloud-aws')],
  ['multi-cloud-azure', (app) => new MultiCloudAzureStack(app, 'multi-cloud-azure')],
  ['private-cluster', (app) => new PrivateClusterStacks(app, 'private-cluster')],
  ['existing-cluster', (app) => new ExistingClusterStack(app, 'existing-cluster')],
  ['rag-aws', (app) => new RagAwsStack(app, 'rag-aws')],
  ['rag-azure', (app) => new RagAzureStack(app, 'rag-azure')],
  ['feature-store-aws', (app) => new FeatureStoreAwsStack(app, 'feature-store-aws')],
  ['feature-store-azure', (app) => new FeatureStoreAzureStack(app, 'feature-store-azure')],
  ['multi-tenant-aws', (app) => new MultiTenantAwsStack(app, 'multi-tenant-aws')],
  ['multi-tenant-azure', (app) => new MultiTenantAzureStack(app, 'multi-tenant-azure')],
];

/** One synthesized stack: its construct and its Terraform JSON. */
export interface SynthesizedStack {
  readonly stack: TerraformStack;
  readonly doc: any;
}

/** Synthesizes a whole app (cross-stack references become remote state) with validations on. */
export function synthApp(build: (app: App) => void): SynthesizedStack[] {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'life-cycle-'));
  try {
    const app = Testing.app({ outdir });
    build(app);
    app.synth();
    return app.node
      .findAll()
      .filter((c): c is TerraformStack => TerraformStack.isStack(c))
      .map((stack) => ({
        stack,
        doc: JSON.parse(fs.readFileSync(path.join(outdir, 'stacks', stack.node.id, 'cdk.tf.json'), 'utf8')),
      }));
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

/** Constructs of `stack` of a class (not those of nested stacks). */
function inStack<T>(stack: TerraformStack, cls: new (...a: any[]) => T): T[] {
  return stack.node.findAll().filter((c: IConstruct) => c instanceof cls && TerraformStack.of(c) === stack) as T[];
}

/** Terraform address of a construct's resource, as `depends_on` writes it. */
function address(doc: any, type: string, release: any): string | undefined {
  const hit = Object.entries(doc.resource?.[type] ?? {}).find(([, r]) => r === release);
  return hit ? `${type}.${hit[0]}` : undefined;
}

function isMap(v: unknown): v is { [key: string]: any } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const SINGLE_WRITER = /^ReadWriteOnce(Pod)?$/;

/**
 * Deployments a chart renders with a ReadWriteOnce volume, by chart, each a check of the values that pick
 * its update strategy (read in the pinned chart's templates); a chart not listed fails the check, so a new
 * chart gets reviewed. StatefulSets are not listed: they replace pod by pod, never two at once.
 */
export const RWO_DEPLOYMENTS: { [chart: string]: (values: { [key: string]: any }) => string[] } = {
  // grafana 12.11.1 templates/deployment.yaml: a Deployment unless useStatefulSet or persistence.type
  // 'statefulset'; pvc.yaml claims persistence.accessModes (default ReadWriteOnce); strategy from
  // deploymentStrategy (default RollingUpdate).
  'kube-prometheus-stack': (v) => {
    const g = v.grafana ?? {};
    const p = g.persistence ?? {};
    if (g.enabled === false || p.enabled !== true || (p.type ?? 'pvc') !== 'pvc' || g.useStatefulSet === true) return [];
    if (p.existingClaim === undefined && !(p.accessModes ?? ['ReadWriteOnce']).some((m: string) => SINGLE_WRITER.test(m))) return [];
    return g.deploymentStrategy?.type === 'Recreate'
      ? []
      : [`grafana.deploymentStrategy.type is '${g.deploymentStrategy?.type ?? 'RollingUpdate'}'`];
  },
  // milvus 5.0.19: the standalone Deployment is always Recreate (templates/standalone-deployment.yaml);
  // the bundled minio 8.0.17 in mode standalone is a Deployment on a ReadWriteOnce claim (templates/pvc.yaml,
  // persistence.accessMode) whose strategy is DeploymentUpdate.type (default RollingUpdate, maxSurge 100%).
  milvus: (v) => {
    const m = v.minio ?? {};
    if (m.enabled === false || (m.mode ?? 'distributed') !== 'standalone' || m.persistence?.enabled === false) return [];
    if (!SINGLE_WRITER.test(m.persistence?.accessMode ?? 'ReadWriteOnce')) return [];
    return m.DeploymentUpdate?.type === 'Recreate'
      ? []
      : [`minio.DeploymentUpdate.type is '${m.DeploymentUpdate?.type ?? 'RollingUpdate'}'`];
  },
  // StatefulSets (qdrant templates/statefulset.yaml, weaviate templates/weaviateStatefulset.yaml).
  qdrant: () => [],
  weaviate: () => [],
  // No PersistentVolumeClaim in their templates.
  'gpu-operator': () => [],
  'cluster-autoscaler': () => [],
  'neuron-helm-chart': () => [],
  keda: () => [],
  kueue: () => [],
  'dcgm-exporter': () => [],
  'opentelemetry-collector': () => [],
};

/** The access modes of a claim named in a pod volume, from the stack's claims (resources or manifests). */
function claimModes(doc: any, manifests: { [key: string]: any }[], namespace: string, claim: string): string[] | undefined {
  const ref = /^\$\{kubernetes_persistent_volume_claim_v1\.([^.]+)\./.exec(claim);
  const claims = Object.entries<any>(doc.resource?.kubernetes_persistent_volume_claim_v1 ?? {});
  const resource = ref
    ? claims.find(([n]) => n === ref[1])?.[1]
    : claims.find(([, c]) => c.metadata?.name === claim && (c.metadata?.namespace ?? 'default') === namespace)?.[1];
  if (resource) return resource.spec?.access_modes;
  const manifest = manifests.find((m) => m.kind === 'PersistentVolumeClaim' && m.metadata?.name === claim);
  return manifest?.spec?.accessModes;
}

/**
 * Deployments of a synthesized stack that mount a ReadWriteOnce volume (or one whose modes cannot be told)
 * and do not stop the old pod before starting the new one: chart-rendered ones (by `RWO_DEPLOYMENTS`),
 * the library's own manifests, and kubernetes_deployment_v1 resources.
 */
export function rwoDeploymentsNotRecreated({ stack, doc }: SynthesizedStack): string[] {
  const out: string[] = [];
  for (const addon of inStack(stack, HelmAddon)) {
    const check = RWO_DEPLOYMENTS[addon.chart.chart];
    if (!check) out.push(`${addon.node.path}: chart ${addon.chart.chart} is not reviewed for Deployments on ReadWriteOnce volumes`);
    else out.push(...check(addon.values).map((p) => `${addon.node.path}: ${p}`));
  }
  const allManifests = inStack(stack, ManifestsRelease).flatMap((r) => r.manifests);
  for (const release of inStack(stack, ManifestsRelease)) {
    for (const m of release.manifests.filter((x) => x.kind === 'Deployment')) {
      const claims = (m.spec?.template?.spec?.volumes ?? []).map((vol: any) => vol.persistentVolumeClaim?.claimName).filter(Boolean);
      for (const claim of claims) {
        const modes = claimModes(doc, allManifests, m.metadata?.namespace, claim);
        if ((modes === undefined || modes.some((x) => SINGLE_WRITER.test(x))) && m.spec?.strategy?.type !== 'Recreate')
          out.push(
            `${release.node.path}: Deployment ${m.metadata?.name} mounts claim ${claim} (${modes ?? 'modes unknown'}) without strategy Recreate`,
          );
      }
    }
  }
  for (const [name, d] of Object.entries<any>(doc.resource?.kubernetes_deployment_v1 ?? {})) {
    const spec = d.spec ?? {};
    for (const vol of spec.template?.spec?.volume ?? []) {
      const claim = vol.persistent_volume_claim?.claim_name;
      if (!claim) continue;
      const modes = claimModes(doc, allManifests, d.metadata?.namespace ?? 'default', claim);
      if ((modes === undefined || modes.some((x) => SINGLE_WRITER.test(x))) && spec.strategy?.type !== 'Recreate')
        out.push(`kubernetes_deployment_v1.${name} mounts claim ${claim} (${modes ?? 'modes unknown'}) without strategy Recreate`);
    }
  }
  return out;
}

/**
 * ScaledObjects and HPAs of a synthesized stack whose target Deployment would have its replica count
 * written back by Terraform or Helm: a manifest with `spec.replicas` (Helm's three-way merge patches it on
 * every upgrade and rollback), a kubernetes_deployment_v1 that does not ignore `spec[0].replicas` (every
 * apply after a scale shows a diff and resets it), or a target the library does not render (a chart's).
 */
export function scaleTargetsWithReplicas({ stack, doc }: SynthesizedStack): string[] {
  const out: string[] = [];
  const releases = inStack(stack, ManifestsRelease);
  const deployments = releases.flatMap((r) => r.manifests.filter((m) => m.kind === 'Deployment'));
  for (const release of releases) {
    for (const m of release.manifests.filter(
      (x) => (x.kind === 'ScaledObject' && /^keda\.sh\//.test(x.apiVersion)) || x.kind === 'HorizontalPodAutoscaler',
    )) {
      const ref = m.spec?.scaleTargetRef ?? {};
      const namespace = m.metadata?.namespace;
      const what = `${release.node.path}: ${m.kind} ${m.metadata?.name} targets ${ref.kind ?? 'Deployment'} ${ref.name}`;
      if ((ref.kind ?? 'Deployment') !== 'Deployment') {
        out.push(`${what}, not a Deployment`);
        continue;
      }
      const manifest = deployments.find((d) => d.metadata?.name === ref.name && d.metadata?.namespace === namespace);
      const resource = Object.entries<any>(doc.resource?.kubernetes_deployment_v1 ?? {}).find(
        ([, d]) => d.metadata?.name === ref.name && d.metadata?.namespace === namespace,
      );
      if (manifest) {
        if (manifest.spec?.replicas !== undefined) out.push(`${what}, whose manifest sets replicas ${manifest.spec.replicas}`);
      } else if (resource) {
        if (!(resource[1].lifecycle?.ignore_changes ?? []).includes('spec[0].replicas'))
          out.push(`${what} (kubernetes_deployment_v1.${resource[0]}), which does not ignore changes to spec[0].replicas`);
      } else {
        out.push(`${what}, which the library does not render in this stack (a chart's Deployment sets replicas)`);
      }
    }
  }
  return out;
}

export { address, inStack, isMap };
