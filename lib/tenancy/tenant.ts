import { ServiceAccountV1 } from '@cdktf/provider-kubernetes/lib/service-account-v1';
import { Annotations, Aspects, Fn, IAspect, ITerraformDependable, TerraformResource, Token, dependable } from 'cdktf';
import { PlatformReport } from '../cost/platform-report';
import { unpricedInstanceTypes } from '../cost/pool-cost';
import type { AlertRule } from '../observability/alerts';
import { GpuBudget, budgetAlertRule, budgetProblems } from './budget';
import { Construct, IConstruct } from 'constructs';
import { EgressRule } from '../addons/egress';
import { ManifestsRelease } from '../addons/manifests';
import { isReservedNamespace, PodSecurityLevel } from '../addons/namespace';
import { IAcceleratorCluster, IWorkloadIdentity } from '../core/cluster';
import { DNS_LABEL, LABEL_VALUE } from '../private/naming';
import { reportProblems } from '../private/problems';
import { NamespaceAdmin } from './access';
import { KUEUE_NAMESPACE, TenancyLabels } from './charts';
import { ResolvedQuota, flavorCapacity, resolveQuota } from './flavors';
import { GpuSharing, registerTenant, tenantsOfSharing } from './kueue';
import { TENANT_LOCAL_QUEUE, clusterQueueManifest, localQueueManifest, queueFlavors } from './manifests';
import { TenantGuardrails, TenantRule, validateAdminRules } from './guardrails';
import { TenantNamespace } from './namespace';
import { GpuQuota } from './quota';
import { skipCreationStacks } from '../private/creation-stacks';

/** Props of a Tenant. */
export interface TenantProps {
  /** The cluster. */
  readonly cluster: IAcceleratorCluster;
  /** The cluster's GpuSharing. */
  readonly sharing: GpuSharing;
  /** Team name: names the namespace, the ClusterQueue and the tags (DNS-1123 label, at most 40 characters). */
  readonly name: string;
  /** Guaranteed accelerators, e.g. `[GpuQuota.of(Gpu.L4, { gpus: 4 })]`. */
  readonly quota: GpuQuota[];
  /**
   * Use idle quota of the cohort beyond the tenant's own (preempted when its owner reclaims it).
   * @default false
   */
  readonly borrowing?: boolean;
  /**
   * Join the sharing's cohort: lend idle lendable quota, and borrow when `borrowing` is on.
   * @default true
   */
  readonly joinCohort?: boolean;
  /**
   * The team's admins: an IAM role ARN on EKS, an Entra ID group object id on AKS. They get ClusterRole
   * `view` and `admin` without NetworkPolicy writes in the namespace (`TENANT_ADMIN_RULES`), and the
   * tenant's admission policy holds them off its NetworkPolicies, ResourceQuota, LimitRange, LocalQueue and
   * Namespace labels. The identity that runs Terraform must not be a member: the policy would refuse it too.
   * @default - no admin binding
   */
  readonly adminGroup?: string;
  /**
   * Cost center for cost attribution: a label of the namespace and its objects, a tag of the identity.
   * @default - no cost center label
   */
  readonly costCenter?: string;
  /**
   * Pod Security level enforced in the namespace: RESTRICTED, or BASELINE where serving images run as root.
   * @default PodSecurityLevel.RESTRICTED
   */
  readonly podSecurity?: PodSecurityLevel;
  /**
   * CPU cores of the tenant's Kueue quota (generous: GPUs are the scarce resource).
   * @default 256
   */
  readonly cpuCores?: number;
  /**
   * Memory of the tenant's Kueue quota, GiB.
   * @default 1024
   */
  readonly memoryGib?: number;
  /**
   * Namespace of the Prometheus that scrapes the tenant's pods (ObservabilityStack's).
   * @default 'monitoring'
   */
  readonly monitoringNamespace?: string;
  /**
   * Service account bound to the tenant's cloud identity.
   * @default 'workload'
   */
  readonly serviceAccountName?: string;
  /**
   * Rules added to the admins' role, e.g. `{ apiGroups: ['keda.sh'], resources: ['scaledobjects'], verbs:
   * ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'] }` for an operator's custom resources
   * (the built-in role writes built-in workload kinds only). No wildcards, no `bind` or `escalate`, and the
   * platform's objects stay read-only.
   * @default - none
   */
  readonly adminRules?: TenantRule[];
  /**
   * Further destinations the tenant's pods may reach: TCP ports at IPv4 CIDRs (the cloud metadata ranges
   * are cut out), e.g. `[{ ports: [5432] }]` for a PostgreSQL database behind a private endpoint. Egress is
   * denied by default but for DNS, the namespace, the platform namespaces and HTTPS.
   * @default - none
   */
  readonly egress?: EgressRule[];
  /**
   * Monthly accelerator budget; `budgetAlerts()` gives the alert to add to the ObservabilityStack.
   * @default - no budget
   */
  readonly gpuBudget?: GpuBudget;
}

/** Merges tags into every taggable resource under a construct (the tenant's cloud identity). */
class TagTaggables implements IAspect {
  constructor(private readonly tags: { [key: string]: string }) {}

  public visit(node: IConstruct): void {
    if (!(node instanceof TerraformResource) || !('tagsInput' in node)) return;
    const r = node as unknown as { tagsInput?: { [key: string]: string }; tags: { [key: string]: string } };
    const current = r.tagsInput;
    r.tags = Token.isUnresolved(current)
      ? (Fn.merge([current, this.tags]) as unknown as { [key: string]: string })
      : { ...(current ?? {}), ...this.tags };
  }
}

/**
 * A team on a shared GPU cluster: its namespace (Pod Security, ingress from itself and Prometheus only,
 * ResourceQuota on accelerators, LimitRange), a ClusterQueue in the cohort with its quotas per flavor and a
 * LocalQueue named `default` (jobs without a queue label land there), a workload identity, namespace admin
 * rights for its admin group, an admission policy that keeps the team's admins and service accounts off
 * what the platform owns in the namespace (Kubernetes 1.30+), and cost-attribution labels and tags.
 *
 * Workloads choose a pool with `nodeSelector: { 'ai-platform.dev/pool': '<pool>' }` (Kueue charges that
 * pool's flavor and honours the selector); without one Kueue takes the first flavor of the queue with room.
 * A flavor tolerates its pool's taints on the workload's behalf (spot included), so the pools a tenant can
 * land on are the flavors its ClusterQueue lists: those it has quota on, and with `borrowing` every pool
 * (spot ones too: borrowed capacity is preempted when its owner reclaims it either way). Pods that need no
 * accelerator get the tolerations of the nodes ordinary pods may use (`ordinaryPodTolerations`).
 *
 * ```ts fixture=sharing
 * new Tenant(this, 'Search', {
 *   cluster, sharing, name: 'search',
 *   quota: [GpuQuota.of(Gpu.H100_80GB, { migProfile: '1g.10gb', slices: 14 }), GpuQuota.of(Gpu.L4, { gpus: 4 })],
 *   borrowing: true,
 *   adminGroup: 'arn:aws:iam::123456789012:role/search-admins',
 * });
 * ```
 */
export class Tenant extends Construct {
  /** Tenant name. */
  public readonly name: string;
  /** Namespace of the tenant (its name). */
  public readonly namespace: string;
  /** The ClusterQueue (its name). */
  public readonly clusterQueueName: string;
  /** The LocalQueue workloads use (`kueue.x-k8s.io/queue-name`; unlabelled jobs get it too). */
  public readonly localQueueName = TENANT_LOCAL_QUEUE;
  /** The cloud identity of `serviceAccountName` in the namespace. */
  public readonly identity: IWorkloadIdentity;
  /** Service account of the identity. */
  public readonly serviceAccountName: string;
  /** Cost-attribution labels on the namespace and every object of the tenant. */
  public readonly labels: { [key: string]: string };
  /** Quotas resolved to flavors. */
  public readonly quotas: ResolvedQuota[] = [];
  /** ResourceQuota `spec.hard` of the namespace. */
  public readonly resourceQuota: { [key: string]: string };
  /** The tenant's Kueue objects (ClusterQueue, LocalQueue), installed through Helm after Kueue. */
  public readonly manifests: { [key: string]: any }[];
  /** The namespace with its policies. */
  public readonly tenantNamespace: TenantNamespace;
  /** Admin rights, when `adminGroup` is set. */
  public readonly admin?: NamespaceAdmin;
  /** The admission policy that keeps the tenant's admins and service accounts off the platform's objects. */
  public readonly guardrails: TenantGuardrails;
  private readonly release: ManifestsRelease;
  /** The tenant's monthly accelerator budget, if any. */
  public readonly gpuBudget?: GpuBudget;
  private readonly sharing: GpuSharing;

  constructor(scope: Construct, id: string, props: TenantProps) {
    super(scope, id);
    skipCreationStacks(this);
    const { cluster, sharing } = props;
    this.sharing = sharing;
    this.name = props.name;
    this.namespace = props.name;
    this.clusterQueueName = props.name;
    this.serviceAccountName = props.serviceAccountName ?? 'workload';
    const borrowing = props.borrowing ?? false;
    const inCohort = props.joinCohort ?? true;
    const monitoring = props.monitoringNamespace ?? 'monitoring';
    const cpuCores = props.cpuCores ?? 256;
    const memoryGib = props.memoryGib ?? 1024;
    const podSecurity = props.podSecurity ?? PodSecurityLevel.RESTRICTED;
    const others = tenantsOfSharing(sharing).map((t) => t.name);
    reportProblems(this, this.validate(props, { others, monitoring, cpuCores, memoryGib, podSecurity, borrowing, inCohort }));

    // Quotas on flavors; problems name the quota and what the cluster offers.
    const problems: string[] = [];
    props.quota.forEach((q, i) => {
      const own = q.validate().map((m) => `quota[${i}]${m}`);
      problems.push(...own);
      if (own.length) return;
      const r = resolveQuota(q, sharing.flavors);
      if (r.problem) problems.push(`quota[${i}]${r.problem}`);
      else if (r.resolved) {
        const dup = this.quotas.findIndex((x) => x.flavor.name === r.resolved!.flavor.name);
        if (dup >= 0)
          problems.push(
            `quota[${i}] ${q.description} repeats flavor '${r.resolved.flavor.name}' of an earlier quota; merge them into one GpuQuota`,
          );
        else this.quotas.push(r.resolved);
      }
    });
    reportProblems(this, [...problems, ...budgetProblems(props.gpuBudget)]);
    if (props.gpuBudget) this.warnUnpricedPools(cluster);
    registerTenant(sharing, { name: this.name, quotas: this.quotas });
    this.gpuBudget = props.gpuBudget;
    PlatformReport.of(cluster).addTenant(cluster, {
      name: this.name,
      namespace: this.namespace,
      quotas: this.quotas.flatMap((q) => Object.entries(q.amounts).map(([resource, units]) => ({ pool: q.flavor.pool, resource, units }))),
      monthlyBudget: props.gpuBudget?.monthlyUsd,
    });
    sharing.orderAfter(this);

    this.labels = {
      [TenancyLabels.TENANT]: this.name,
      ...(props.costCenter !== undefined ? { [TenancyLabels.COST_CENTER]: props.costCenter } : {}),
      'app.kubernetes.io/managed-by': 'cdktf-ai-platform',
    };
    const queue = {
      name: this.clusterQueueName,
      namespace: this.namespace,
      cohortName: inCohort ? sharing.cohortName : undefined,
      borrowing: borrowing && inCohort,
      flavors: sharing.flavors,
      quotas: this.quotas,
      cpuCores,
      memoryGib,
      labels: this.labels,
    };
    this.resourceQuota = this.hardLimits(
      queue.borrowing,
      queueFlavors(queue).flatMap((g) => g.flavors.map((f) => f.name)),
    );
    // The ClusterQueue first and the namespace after it, so destroy removes the namespace (its workloads, which
    // hold quota and keep the queue's finalizer) before the queue: a queue in use never empties.
    const clusterQueue = new ManifestsRelease(this, 'ClusterQueue', {
      cluster,
      releaseName: `tenant-${this.name}-queue`,
      namespace: KUEUE_NAMESPACE,
      manifests: [clusterQueueManifest(queue)],
      dependsOn: [...sharing.dependables],
    });
    this.tenantNamespace = new TenantNamespace(this, 'Namespace', {
      cluster,
      name: this.namespace,
      labels: this.labels,
      podSecurity,
      monitoringNamespace: monitoring,
      hard: this.resourceQuota,
      dependsOn: [sharing.addon.release, clusterQueue.release],
      egress: props.egress,
    });
    const inNamespace = this.tenantNamespace.dependables;

    // The workload identity, its cloud resources tagged for cost attribution.
    // The id names the cloud identity (`<cluster>-tenant-<name>`): unique per tenant of the cluster.
    const identityId = Token.isUnresolved(this.name) ? `tenant-${this.node.addr.slice(0, 12)}` : `tenant-${this.name}`;
    this.identity = cluster.bindServiceAccount(this, identityId, {
      namespace: this.namespace,
      serviceAccountName: this.serviceAccountName,
    });
    Aspects.of(this.identity).add(
      new TagTaggables({
        [TenancyLabels.TENANT_TAG]: this.name,
        ...(props.costCenter !== undefined ? { [TenancyLabels.COST_CENTER_TAG]: props.costCenter } : {}),
      }),
    );
    new ServiceAccountV1(this, 'ServiceAccount', {
      provider: cluster.providers(this).kubernetes,
      metadata: {
        name: this.serviceAccountName,
        namespace: this.namespace,
        labels: { ...this.labels },
        annotations: { ...this.identity.serviceAccountAnnotations },
      },
      automountServiceAccountToken: false,
      dependsOn: inNamespace,
    });

    if (props.adminGroup !== undefined) {
      this.admin = new NamespaceAdmin(this, 'Admins', {
        cluster,
        namespace: this.namespace,
        principal: props.adminGroup,
        kubernetesGroup: `ai-platform:tenant:${this.name}:admins`,
        labels: this.labels,
        // An EKS access entry is shared by every namespace its role administers: the cluster's tags only.
        tags: { ...cluster.tags },
        dependsOn: inNamespace,
        extraRules: props.adminRules,
      });
    }
    // The guardrails name the group the cloud grant reports (EKS: the mapped group; AKS: the Entra group).
    this.guardrails = new TenantGuardrails(this, 'Guardrails', {
      cluster,
      name: this.name,
      namespace: this.namespace,
      adminGroup: this.admin?.kubernetesGroup,
      labels: this.labels,
      dependsOn: [...sharing.dependables, ...inNamespace],
    });
    // The policy is in place before the group gets any right, and on destroy the rights go first.
    if (this.admin) {
      for (const b of [this.admin.roleBinding, this.admin.viewBinding])
        b.dependsOn = [...(b.dependsOn ?? []), dependable(this.guardrails.release.release)];
    }

    // The LocalQueue through Helm after the namespace; both releases live in Kueue's namespace, where
    // tenants (admins of their own namespace) cannot touch their records.
    this.manifests = [clusterQueueManifest(queue), localQueueManifest(this.namespace, this.clusterQueueName, this.labels)];
    this.release = new ManifestsRelease(this, 'Queues', {
      cluster,
      releaseName: `tenant-${this.name}`,
      namespace: KUEUE_NAMESPACE,
      manifests: [this.manifests[1]],
      dependsOn: [...sharing.dependables, ...inNamespace, clusterQueue.release],
    });
  }

  /** What the tenant's workloads wait for: the namespace, its policies, the queues, the identity. */
  public get dependables(): ITerraformDependable[] {
    return [...this.tenantNamespace.dependables, this.release.release, ...this.identity.dependables];
  }

  /**
   * `requests.<resource>` for every accelerator resource of the cluster: what the tenant's listed flavors
   * provide at maxNodes (Kueue enforces the quota; pods Kueue holds count against a ResourceQuota too, so a
   * ceiling at the nominal quota could stop a job Kueue admitted from creating its pods); 0 for the rest,
   * so pods that bypass Kueue cannot take accelerators of pools the tenant has no quota on.
   */
  private hardLimits(_borrowing: boolean, listed: string[]): { [key: string]: string } {
    const ceilings = new Map<string, number | undefined>();
    for (const f of this.sharing.flavors) {
      for (const r of f.resources) {
        const nominal = this.quotas.find((q) => q.flavor.name === f.name)?.amounts[r.name] ?? 0;
        const capacity = flavorCapacity(f, r.name);
        const add = !listed.includes(f.name) ? 0 : capacity === undefined ? undefined : Math.max(capacity, nominal);
        const prev = ceilings.has(r.name) ? ceilings.get(r.name) : 0;
        ceilings.set(r.name, prev === undefined || add === undefined ? undefined : prev + add);
      }
    }
    const hard: { [key: string]: string } = {};
    for (const [r, n] of ceilings) if (n !== undefined) hard[`requests.${r}`] = String(n);
    return hard;
  }

  /**
   * The budget alert of the tenant (none without `gpuBudget`), for `observability.addAlertRules(...)`; it
   * reads the cost recording rules of the ObservabilityStack.
   */
  public budgetAlerts(): AlertRule[] {
    return this.gpuBudget ? [budgetAlertRule(this.namespace, this.gpuBudget, this.name)] : [];
  }

  /** A budget counts a pool without a price as free: say so at synth rather than under-alert silently. */
  private warnUnpricedPools(cluster: IAcceleratorCluster): void {
    const region = Token.isUnresolved(cluster.region) ? undefined : cluster.region;
    for (const name of [...new Set(this.quotas.map((q) => q.flavor.pool))].sort()) {
      const pool = cluster.acceleratorPools.find((p) => p.name === name);
      const unpriced = pool ? unpricedInstanceTypes(cluster.cloudProvider, region, pool) : [];
      if (unpriced.length === 0) continue;
      Annotations.of(this).addWarning(
        `gpuBudget counts pool '${name}' as free: ${unpriced.join(', ')} has no price in the library's catalog and the pool sets ` +
          `none, so this tenant's use of it adds 0 to its cost and budget alert; give the pool pricing: PoolPricing.negotiated(...)`,
      );
    }
  }

  private validate(
    props: TenantProps,
    c: {
      others: string[];
      monitoring: string;
      cpuCores: number;
      memoryGib: number;
      podSecurity: PodSecurityLevel;
      borrowing: boolean;
      inCohort: boolean;
    },
  ): string[] {
    const out: string[] = [];
    const name = props.name;
    if (!Token.isUnresolved(name)) {
      if (!DNS_LABEL.test(name) || name.length > 40)
        out.push(`name '${name}' is not a DNS-1123 label of at most 40 characters; use lower-case letters, digits and '-', e.g. 'search'`);
      else if (isReservedNamespace(name) || name === c.monitoring)
        out.push(`name '${name}' is a system or platform namespace; give the team its own name, e.g. '${name}-team'`);
      if (c.others.includes(name))
        out.push(`name '${name}' is already a tenant of ${props.sharing.node.path}; give every tenant its own name`);
    }
    const minor = props.cluster.kubernetesVersion.minor;
    if (minor !== undefined && minor < 30)
      out.push(
        `cluster kubernetesVersion '${props.cluster.kubernetesVersion.version}' has no ValidatingAdmissionPolicy v1, which keeps tenants off their NetworkPolicies and quotas; use Kubernetes 1.30 or newer (KubernetesVersion.DEFAULT)`,
      );
    if (props.sharing.cluster !== props.cluster)
      out.push(
        `sharing ${props.sharing.node.path} belongs to cluster ${props.sharing.cluster.node.path}, not ${props.cluster.node.path}; pass the GpuSharing of this cluster`,
      );
    if (c.borrowing && !c.inCohort)
      out.push('borrowing true needs a cohort to borrow from, and joinCohort is false; remove joinCohort: false or borrowing: true');
    if (c.podSecurity === PodSecurityLevel.PRIVILEGED)
      out.push(
        `podSecurity '${c.podSecurity}' lets a tenant's pods reach the node; use PodSecurityLevel.BASELINE (images that run as root) or RESTRICTED`,
      );
    if (
      props.costCenter !== undefined &&
      !Token.isUnresolved(props.costCenter) &&
      (props.costCenter === '' || props.costCenter.length > 63 || !LABEL_VALUE.test(props.costCenter))
    )
      out.push(
        `costCenter '${props.costCenter}' is not a Kubernetes label value; use 1-63 letters, digits, '-', '_' or '.', starting and ending alphanumeric`,
      );
    out.push(...validateAdminRules(props.adminRules ?? []));
    if (props.adminRules?.length && props.adminGroup === undefined)
      out.push(`adminRules (${props.adminRules.length}) grant nobody: adminGroup is unset; pass the team's adminGroup, or drop adminRules`);
    if (props.adminGroup !== undefined && !Token.isUnresolved(props.adminGroup) && props.adminGroup.trim() === '')
      out.push(`adminGroup '' is empty; pass the team's IAM role ARN (EKS) or Entra group object id (AKS), or leave it unset`);
    if (!Token.isUnresolved(c.monitoring) && !DNS_LABEL.test(c.monitoring))
      out.push(`monitoringNamespace '${c.monitoring}' is not a DNS-1123 label; pass ObservabilityStack's namespace, e.g. 'monitoring'`);
    const sa = props.serviceAccountName;
    if (sa !== undefined && !Token.isUnresolved(sa) && !DNS_LABEL.test(sa))
      out.push(`serviceAccountName '${sa}' is not a DNS-1123 label; use lower-case letters, digits and '-', e.g. 'workload'`);
    for (const [prop, v, fix] of [
      ['cpuCores', c.cpuCores, 'e.g. 256'],
      ['memoryGib', c.memoryGib, 'e.g. 1024'],
    ] as const) {
      if (!Token.isUnresolved(v) && (!Number.isInteger(v) || v < 1)) out.push(`${prop} ${v} is not a whole number > 0; ${fix}`);
    }
    return out;
  }
}
