import { ITerraformDependable, TerraformStack, Token } from 'cdktf';
import { Construct } from 'constructs';
import { ChartOverrides, HelmAddon } from '../addons/chart';
import { ManifestsRelease } from '../addons/manifests';
import { PlatformNamespace, PodSecurityLevel } from '../addons/namespace';
import { IAcceleratorCluster } from '../core/cluster';
import { DNS_LABEL } from '../private/naming';
import { reportProblems } from '../private/problems';
import { toYaml } from '../private/yaml';
import { KUEUE_CONTROLLER_LABELS, KUEUE_NAMESPACE, KUEUE_PORTS, KUEUE_RELEASE, TenancyCharts, TenancyLabels } from './charts';
import { FLAVOR_LIMIT, KueueFlavor, ResolvedQuota, flavorCapacity, flavorProblems, ordinaryPodTolerations, planFlavors } from './flavors';
import {
  KUEUE_FRAMEWORKS,
  cohortManifest,
  defaultFlavorManifest,
  kueueConfiguration,
  priorityClassManifests,
  resourceFlavorManifest,
} from './manifests';

/** Props of GpuSharing. */
export interface GpuSharingProps {
  /** The cluster (GpuInferenceCluster or ExistingCluster); its pools become ResourceFlavors. */
  readonly cluster: IAcceleratorCluster;
  /**
   * The cohort tenants' ClusterQueues join to lend and borrow idle quota.
   * @default 'ai-platform'
   */
  readonly cohortName?: string;
  /**
   * Replicas of the Kueue controller; every replica serves the webhooks, one leads.
   * @default 2
   */
  readonly replicas?: number;
  /**
   * Version and values overrides of the Kueue chart.
   * @default - the pinned version and the library's values
   */
  readonly chart?: ChartOverrides;
}

/** A tenant's quotas, as the capacity check sees them. */
export interface TenantQuotaRecord {
  /** Tenant name. */
  readonly name: string;
  /** Its quotas, resolved to flavors. */
  readonly quotas: ResolvedQuota[];
}

const sharingOf = new WeakMap<IAcceleratorCluster, GpuSharing>();
const tenantsOf = new WeakMap<GpuSharing, TenantQuotaRecord[]>();

/**
 * A values override that would drop the tenant namespace selector from Kueue's Configuration. The chart
 * copies `managedJobsNamespaceSelector` onto every job, pod, Deployment and StatefulSet webhook
 * (failurePolicy Fail); without it the chart's fallback selects every namespace but kube-system and
 * Kueue's own, and pod creation cluster-wide (device plugin, Prometheus hook Jobs) fails while Kueue is down.
 */
function configurationOverrideProblem(values: { [key: string]: any } | undefined): string | undefined {
  if (!values || !Object.prototype.hasOwnProperty.call(values, 'managerConfig')) return undefined;
  const mc = values.managerConfig;
  if (mc !== null && (typeof mc !== 'object' || !Object.prototype.hasOwnProperty.call(mc, 'controllerManagerConfigYaml'))) return undefined;
  const yaml = mc === null ? null : mc.controllerManagerConfigYaml;
  if (
    typeof yaml === 'string' &&
    (Token.isUnresolved(yaml) || (yaml.includes('managedJobsNamespaceSelector') && yaml.includes(TenancyLabels.TENANT)))
  )
    return undefined;
  return (
    `chart.values.managerConfig${mc === null ? '' : '.controllerManagerConfigYaml'} ${yaml === null ? 'null' : '(a Configuration without the tenant namespace selector)'} ` +
    `drops managedJobsNamespaceSelector on '${TenancyLabels.TENANT}' from the Kueue Configuration, the selector that keeps Kueue's webhooks (failurePolicy Fail) out of system and platform namespaces; ` +
    `remove the override, or keep managedJobsNamespaceSelector: { matchExpressions: [{ key: ${TenancyLabels.TENANT}, operator: Exists }] } in it`
  );
}

/** Adds a tenant to the sharing's capacity check (internal to the tenancy constructs). */
export function registerTenant(sharing: GpuSharing, tenant: TenantQuotaRecord): void {
  tenantsOf.set(sharing, [...(tenantsOf.get(sharing) ?? []), tenant]);
}

/** Tenants registered with a sharing, in order. */
export function tenantsOfSharing(sharing: GpuSharing): TenantQuotaRecord[] {
  return tenantsOf.get(sharing) ?? [];
}

/**
 * Multi-tenant GPU sharing with Kueue, once per cluster: Kueue from its pinned chart on the system pool
 * (webhooks limited to tenant namespaces, fair sharing, quota metrics), one ResourceFlavor per accelerator
 * pool (per pool and MIG profile under the mixed strategy) carrying the pool's real labels and taints, a
 * cohort, and WorkloadPriorityClasses matching the platform PriorityClasses. Tenants (`Tenant`) add a
 * ClusterQueue each; at synth the sum of their quotas per flavor is checked against what the pools give
 * at maxNodes.
 *
 * ```ts
 * const sharing = new GpuSharing(this, 'Sharing', { cluster });
 * new Tenant(this, 'Search', { cluster, sharing, name: 'search', quota: [GpuQuota.of(Gpu.L4, { gpus: 4 })] });
 * ```
 */
export class GpuSharing extends Construct {
  /** The cluster. */
  public readonly cluster: IAcceleratorCluster;
  /** Namespace of Kueue. */
  public readonly namespace = KUEUE_NAMESPACE;
  /** The cohort of the tenants' ClusterQueues. */
  public readonly cohortName: string;
  /** ResourceFlavors of the accelerator pools. */
  public readonly flavors: KueueFlavor[];
  /** The Kueue Helm release. */
  public readonly addon: HelmAddon;
  /** Cluster-wide Kueue objects (flavors, cohort, WorkloadPriorityClasses), installed through Helm after Kueue. */
  public readonly manifests: { [key: string]: any }[];
  /** The release of the cluster-wide Kueue objects. */
  public readonly objects: ManifestsRelease;
  /** Kueue's Configuration (`managerConfig.controllerManagerConfigYaml` of the chart). */
  public readonly configuration: { [key: string]: any };

  constructor(scope: Construct, id: string, props: GpuSharingProps) {
    super(scope, id);
    const cluster = props.cluster;
    this.cluster = cluster;
    this.cohortName = props.cohortName ?? 'ai-platform';
    const replicas = props.replicas ?? 2;
    const problems: string[] = [];
    const existing = sharingOf.get(cluster);
    if (existing)
      problems.push(
        `cluster ${cluster.node.path} already has a GpuSharing (${existing.node.path}); Kueue runs once per cluster: pass that one to every Tenant`,
      );
    else sharingOf.set(cluster, this);
    if (!Token.isUnresolved(this.cohortName) && !DNS_LABEL.test(this.cohortName))
      problems.push(`cohortName '${this.cohortName}' is not a DNS-1123 label; use lower-case letters, digits and '-', e.g. 'ai-platform'`);
    if (!Token.isUnresolved(replicas) && (!Number.isInteger(replicas) || replicas < 1 || replicas > 5))
      problems.push(`replicas ${replicas} is not a whole number of 1-5; use 2 so the webhooks stay up while one replica restarts`);
    const configOverride = configurationOverrideProblem(props.chart?.values);
    if (configOverride) problems.push(configOverride);
    this.flavors = planFlavors(cluster);
    problems.push(...flavorProblems(this.flavors));
    const ordinary = ordinaryPodTolerations(cluster).length;
    if (ordinary > FLAVOR_LIMIT)
      problems.push(
        `cluster.workloadTolerations ${ordinary} tolerations exceed the ${FLAVOR_LIMIT} a Kueue ResourceFlavor takes; the cpu/memory flavor carries them so tenants' CPU-only pods can run there: tolerate at most ${FLAVOR_LIMIT} taints`,
      );
    reportProblems(this, problems);
    // Known only once every Tenant is added: the quotas of all tenants against the pools.
    reportProblems(this, () => this.capacityProblems());

    // Restricted namespace; the API server calls the webhooks and the visibility API, Prometheus (a
    // platform namespace) scrapes the metrics port.
    const ns = new PlatformNamespace(this, 'Namespace', {
      cluster,
      name: KUEUE_NAMESPACE,
      podSecurity: PodSecurityLevel.RESTRICTED,
      // Egress: the API server only (HTTPS, always allowed).
      egressToPlatformNamespaces: false,
      openPorts: [
        { podLabels: { ...KUEUE_CONTROLLER_LABELS }, port: KUEUE_PORTS.webhook },
        { podLabels: { ...KUEUE_CONTROLLER_LABELS }, port: KUEUE_PORTS.visibility },
      ],
    });
    const version = props.chart?.version ?? TenancyCharts.KUEUE.version;
    this.configuration = kueueConfiguration(TenancyLabels.TENANT, KUEUE_FRAMEWORKS);
    const placement = { nodeSelector: { ...cluster.systemNodeSelector }, tolerations: cluster.systemTolerations.map((t) => ({ ...t })) };
    this.addon = new HelmAddon(this, 'Chart', {
      cluster,
      releaseName: KUEUE_RELEASE,
      chart: TenancyCharts.KUEUE,
      namespace: KUEUE_NAMESPACE,
      createNamespace: false,
      dependsOn: ns.dependables,
      overrides: props.chart,
      values: {
        // Fixed object names (kueue-controller-manager, kueue-metrics-reader, ...) whatever the release name.
        fullnameOverride: KUEUE_RELEASE,
        // The chart's ServiceMonitor needs the Prometheus CRDs before Kueue; ObservabilityStack scrapes it
        // with a PodMonitor instead (kueuePodMonitor).
        enablePrometheus: false,
        enableKueueViz: false,
        controllerManager: {
          replicas,
          // The chart has no hook Jobs: the controller is the only pod, placed on the system pool.
          ...placement,
          topologySpreadConstraints: [
            {
              maxSkew: 1,
              topologyKey: 'kubernetes.io/hostname',
              whenUnsatisfiable: 'ScheduleAnyway',
              labelSelector: { matchLabels: { ...KUEUE_CONTROLLER_LABELS } },
            },
          ],
          podDisruptionBudget: { enabled: replicas > 1, minAvailable: 1 },
          // The released chart points at registry.k8s.io; the git copy at a staging tag. Pin it either way.
          manager: { image: { repository: 'registry.k8s.io/kueue/kueue', tag: `v${version}`, pullPolicy: 'IfNotPresent' } },
        },
        // Off, but placed: turning it on through overrides cannot strand its pods.
        kueueViz: { backend: { ...placement }, frontend: { ...placement } },
        managerConfig: { controllerManagerConfigYaml: toYaml(this.configuration) },
      },
    });

    const labels = { 'app.kubernetes.io/part-of': 'ai-platform', 'app.kubernetes.io/managed-by': 'cdktf-ai-platform' };
    this.manifests = [
      ...this.flavors.map((f) => resourceFlavorManifest(f, labels)),
      defaultFlavorManifest(labels, ordinaryPodTolerations(cluster)),
      cohortManifest(this.cohortName, labels),
      ...priorityClassManifests(labels),
    ];
    this.objects = new ManifestsRelease(this, 'Objects', {
      cluster,
      releaseName: 'kueue-platform-objects',
      namespace: KUEUE_NAMESPACE,
      manifests: this.manifests,
      dependsOn: [this.addon.release],
    });
  }

  /** What a tenant's Kueue objects wait for: Kueue (its CRDs and webhooks) and the flavors. */
  public get dependables(): ITerraformDependable[] {
    return [this.addon.release, this.objects.release];
  }

  /** Names of the tenants added so far. */
  public get tenantNames(): string[] {
    return tenantsOfSharing(this).map((t) => t.name);
  }

  /**
   * Orders `scope`'s stack after the sharing's when they differ (a Tenant in another stack than Kueue),
   * as Keda.of does.
   */
  public orderAfter(scope: Construct): void {
    const here = TerraformStack.of(scope);
    const there = TerraformStack.of(this);
    if (here !== there && !here.dependencies.includes(there)) here.addDependency(there);
  }

  /** Quotas per flavor and resource above what the pool gives at maxNodes. */
  private capacityProblems(): string[] {
    const out: string[] = [];
    const tenants = tenantsOfSharing(this);
    for (const f of this.flavors) {
      for (const r of f.resources) {
        const asks = tenants
          .map((t) => ({
            name: t.name,
            n: t.quotas.filter((q) => q.flavor.name === f.name).reduce((s, q) => s + (q.amounts[r.name] ?? 0), 0),
          }))
          .filter((a) => a.n > 0);
        const total = asks.reduce((s, a) => s + a.n, 0);
        const capacity = flavorCapacity(f, r.name);
        if (capacity === undefined || total <= capacity) continue;
        out.push(
          `tenants' quotas of ${r.name} on flavor '${f.name}' total ${total} (${asks.map((a) => `${a.name} ${a.n}`).join(', ')}), more than pool '${f.pool}' provides at maxNodes: ${capacity} (${r.perNode} per node x ${f.maxNodes} nodes); lower the quotas or raise the pool's maxNodes`,
        );
        // One line per flavor: a Neuron pool's cores follow its devices.
        break;
      }
    }
    return out;
  }
}
