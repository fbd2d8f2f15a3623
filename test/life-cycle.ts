import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, TerraformStack, Testing } from 'cdktf';
import { IConstruct } from 'constructs';
import { AwsGpuClusterStack } from '../examples/aws-gpu-cluster/stack';
import { AzureGpuClusterStack } from '../examples/azure-gpu-cluster/stack';
import { ExistingClusterStack } from '../examples/existing-cluster/stack';
import { FeatureStoreAwsStack, FeatureStoreAzureStack } from '../examples/feature-store/stack';
import { KarpenterGpuStack } from '../examples/karpenter-gpu/stack';
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
  ['karpenter-gpu', (app) => new KarpenterGpuStack(app, 'karpenter-gpu')],
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
  // karpenter 1.14.1: the controller Deployment mounts only extraVolumes (none set) and no template is a
  // PersistentVolumeClaim; karpenter-crd renders CRDs only.
  karpenter: () => [],
  'karpenter-crd': () => [],
  // gateway-helm v1.9.0 templates/envoy-gateway-deployment.yaml: no claim unless the wasm cache or an extra
  // volume names one; strategy from deployment.envoyGateway.strategy (default RollingUpdate).
  'gateway-helm': (v) => {
    const d = v.deployment ?? {};
    const claims = [d.envoyGateway?.wasmCacheVolume, ...(d.pod?.extraVolumes ?? [])].filter((x) => x?.persistentVolumeClaim);
    if (!claims.length) return [];
    return d.envoyGateway?.strategy?.type === 'Recreate'
      ? []
      : [`deployment.envoyGateway.strategy.type is '${d.envoyGateway?.strategy?.type ?? 'RollingUpdate'}' with a claim`];
  },
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

/**
 * Operators whose custom resources the library installs through Helm, by API group: the chart that runs the
 * operator, and whether its objects carry finalizers that only the running operator clears (KEDA:
 * finalizer.keda.sh on ScaledObjects and TriggerAuthentications; Kueue: resource-in-use on ClusterQueues
 * and ResourceFlavors). prometheus-operator adds none to rules and monitors (its status-cleanup finalizer
 * is on Prometheus/Alertmanager, behind an off-by-default feature gate), and its CRDs outlive the chart
 * (crds/), so its objects only need it on install.
 */
export const OPERATOR_CHARTS: { group: RegExp; chart: string }[] = [
  { group: /^keda\.sh\//, chart: 'keda' },
  { group: /^kueue\.x-k8s\.io\//, chart: 'kueue' },
  { group: /^monitoring\.coreos\.com\//, chart: 'kube-prometheus-stack' },
];

/** Whether `from` (a stack) is ordered after `to`, directly or through other stacks. */
function stackAfter(from: TerraformStack, to: TerraformStack): boolean {
  const seen = new Set<TerraformStack>();
  const queue = [...from.dependencies];
  while (queue.length) {
    const s = queue.shift()!;
    if (s === to) return true;
    if (!seen.has(s)) {
      seen.add(s);
      queue.push(...s.dependencies);
    }
  }
  return false;
}

/**
 * Releases of custom resources in `target` that are not ordered after the release running their operator
 * (anywhere in the app): Terraform would create them before their CRDs exist, and destroy the operator
 * while they still carry its finalizers (deleting them, and the namespace they live in, then hangs).
 */
export function customResourcesBeforeTheirOperator(target: SynthesizedStack, all: SynthesizedStack[]): string[] {
  const out: string[] = [];
  const operators = all.flatMap((s) => inStack(s.stack, HelmAddon).map((addon) => ({ s, addon })));
  for (const release of inStack(target.stack, ManifestsRelease)) {
    const dependsOn: string[] = target.doc.resource.helm_release[target.stack.getLogicalId(release.release)].depends_on ?? [];
    for (const { group, chart } of OPERATOR_CHARTS) {
      if (!release.manifests.some((m) => group.test(String(m.apiVersion)))) continue;
      const hits = operators.filter((o) => o.addon.chart.chart === chart);
      if (hits.length === 0) {
        out.push(`${release.node.path}: installs ${group.source} objects, but no ${chart} release is in this app`);
        continue;
      }
      const ordered = hits.some(({ s, addon }) =>
        s.stack === target.stack
          ? dependsOn.includes(`helm_release.${s.stack.getLogicalId(addon.release)}`)
          : stackAfter(target.stack, s.stack),
      );
      if (!ordered) out.push(`${release.node.path}: installs ${group.source} objects but does not depend on the ${chart} release`);
    }
  }
  return out;
}

/** helm_release arguments that make plans or upgrades depend on something other than the configuration. */
const UNSTABLE_ARGUMENTS: { [arg: string]: string } = {
  set: 'typed values whose string form the provider re-reads (helm provider 3 shows a diff for `true` vs "true")',
  set_list: 'as set',
  set_sensitive: 'as set',
  set_wo: 'write-only values: the provider cannot read the release values back',
  description: 'perpetual diff in helm provider 3.0.x (GH-1648)',
  force_update: 'replaces objects on every upgrade (deletes and recreates what cannot be patched)',
  recreate_pods: 'restarts every pod on every upgrade',
  reuse_values: "merges the release's last values: a value removed from the configuration stays",
  reset_values: 'not needed: values are always given in full, and Helm only reuses the last ones when none are',
  replace: 'reinstalls over a deleted release name, unsafe in production (provider docs)',
  upgrade_install: 'takes over any release of that name the state does not know (provider docs: not for production)',
  devel: 'accepts pre-release charts',
  skip_crds: "leaves a chart's crds/ uninstalled",
  postrender: 'a binary on the machine that runs Terraform',
};
/** Terraform functions that give another value on every plan. */
const VOLATILE = /\b(timestamp|plantimestamp|uuid|uuidv5|bcrypt)\(|\brandom_\w+\./;

/**
 * helm_release settings of a synthesized stack that make a second apply show a diff, or an upgrade behave
 * other than the configuration says: arguments in `UNSTABLE_ARGUMENTS`, values with a function that changes
 * every plan, a remote chart without an exact version (a range re-resolves), a local chart whose path does
 * not change with its content, and releases that are not atomic/waited/cleaned up on failure.
 */
export function unstableReleaseSettings({ doc }: SynthesizedStack): string[] {
  const out: string[] = [];
  for (const [name, r] of Object.entries<any>(doc.resource?.helm_release ?? {})) {
    const at = `helm_release.${name} (${r.name})`;
    for (const arg of Object.keys(r).filter((k) => k in UNSTABLE_ARGUMENTS)) out.push(`${at}: ${arg}: ${UNSTABLE_ARGUMENTS[arg]}`);
    const values = (r.values ?? []).join('\n');
    const volatile = VOLATILE.exec(values);
    if (volatile) out.push(`${at}: values call ${volatile[0]}, which changes on every plan`);
    if (String(r.chart).startsWith('./')) {
      if (!/\/[0-9A-F]{32}$/.test(r.chart)) out.push(`${at}: local chart path ${r.chart} is not content-addressed`);
      if (r.version !== undefined || r.repository !== undefined) out.push(`${at}: a local chart takes its version from Chart.yaml`);
    } else if (!/^v?\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/.test(String(r.version))) {
      out.push(`${at}: version ${r.version} is not an exact chart version`);
    }
    for (const flag of ['atomic', 'wait', 'cleanup_on_fail']) if (r[flag] !== true) out.push(`${at}: ${flag} is not true`);
  }
  return out;
}

export { inStack, isMap };
