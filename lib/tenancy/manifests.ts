import type { PodToleration } from '../core/cluster';
import { DEFAULT_FLAVOR, KueueFlavor, ResolvedQuota, ResourceGroupPlan, resourceGroups } from './flavors';

/** Kueue API version of every object (v1beta2: served and the storage version in 0.19). */
export const KUEUE_API_VERSION = 'kueue.x-k8s.io/v1beta2';
/** Name of every tenant's LocalQueue: Kueue labels jobs without a queue name with the namespace's `default` queue. */
export const TENANT_LOCAL_QUEUE = 'default';

/**
 * Kueue priorities, the same names and values as the platform PriorityClasses (PlatformPriorityClasses):
 * a job labelled `kueue.x-k8s.io/priority-class: ai-inference` weighs in Kueue as a pod of priority class
 * ai-inference weighs for the scheduler.
 */
export const WORKLOAD_PRIORITIES: { name: string; value: number; description: string }[] = [
  { name: 'ai-inference', value: 100000, description: 'Online model serving: preempts training inside a tenant queue.' },
  { name: 'ai-training', value: 1000, description: 'Training and batch jobs: preempted first.' },
];

type Manifest = { [key: string]: any };

/** A ResourceFlavor: the pool's labels and taints, every taint tolerated. */
export function resourceFlavorManifest(f: KueueFlavor, labels: { [key: string]: string }): Manifest {
  return {
    apiVersion: KUEUE_API_VERSION,
    kind: 'ResourceFlavor',
    metadata: { name: f.name, labels: { ...labels, 'ai-platform.dev/pool': f.pool } },
    spec: {
      nodeLabels: { ...f.nodeLabels },
      ...(f.nodeTaints.length ? { nodeTaints: f.nodeTaints.map((t) => ({ key: t.key, value: t.value, effect: t.effect })) } : {}),
      ...(f.tolerations.length ? { tolerations: f.tolerations.map(tolerationOf) } : {}),
    },
  };
}

/**
 * The flavor of cpu and memory: no node labels (they would be required of GPU nodes too), the tolerations
 * of the nodes ordinary pods may use (`ordinaryPodTolerations`).
 */
export function defaultFlavorManifest(labels: { [key: string]: string }, tolerations: PodToleration[]): Manifest {
  return {
    apiVersion: KUEUE_API_VERSION,
    kind: 'ResourceFlavor',
    metadata: { name: DEFAULT_FLAVOR, labels: { ...labels } },
    spec: tolerations.length ? { tolerations: tolerations.map(tolerationOf) } : {},
  };
}

function tolerationOf(t: PodToleration): Manifest {
  return { key: t.key, operator: t.operator, ...(t.effect ? { effect: t.effect } : {}) };
}

/** The cohort every tenant's ClusterQueue joins (explicit, so it shows in `kubectl get cohorts` and its metrics). */
export function cohortManifest(name: string, labels: { [key: string]: string }): Manifest {
  return { apiVersion: KUEUE_API_VERSION, kind: 'Cohort', metadata: { name, labels: { ...labels } }, spec: {} };
}

/** WorkloadPriorityClasses matching the platform PriorityClasses. */
export function priorityClassManifests(labels: { [key: string]: string }): Manifest[] {
  return WORKLOAD_PRIORITIES.map((p) => ({
    apiVersion: KUEUE_API_VERSION,
    kind: 'WorkloadPriorityClass',
    metadata: { name: p.name, labels: { ...labels } },
    value: p.value,
    description: p.description,
  }));
}

/** Inputs of a tenant's ClusterQueue. */
export interface ClusterQueueInput {
  /** ClusterQueue name. */
  readonly name: string;
  /** The only namespace whose workloads it admits. */
  readonly namespace: string;
  /**
   * Cohort, when the tenant shares.
   * @default - no cohort: no borrowing or lending
   */
  readonly cohortName?: string;
  /** May borrow idle quota of the cohort. */
  readonly borrowing: boolean;
  /** Every accelerator flavor of the cluster. */
  readonly flavors: KueueFlavor[];
  /** The tenant's quotas. */
  readonly quotas: ResolvedQuota[];
  /** CPU cores. */
  readonly cpuCores: number;
  /** Memory, GiB. */
  readonly memoryGib: number;
  /** Object labels. */
  readonly labels: { [key: string]: string };
}

/**
 * The flavors a tenant's queue lists: those it has quota on, and with borrowing every flavor (a queue can
 * borrow only flavors it lists).
 */
export function queueFlavors(i: ClusterQueueInput): ResourceGroupPlan[] {
  const listed = i.flavors.filter((f) => (i.borrowing && i.cohortName) || i.quotas.some((q) => q.flavor.name === f.name));
  return resourceGroups(listed);
}

/**
 * A tenant's ClusterQueue: nominal quota per flavor and resource, in the cohort with borrowing and
 * lending limits, preemption favouring higher priorities, best-effort FIFO, admitting its namespace only.
 */
export function clusterQueueManifest(i: ClusterQueueInput): Manifest {
  const inCohort = i.cohortName !== undefined;
  const limits = (nominal: number, lendable: boolean) => ({
    ...(inCohort && !i.borrowing ? { borrowingLimit: 0 } : {}),
    ...(inCohort && nominal > 0 && !lendable ? { lendingLimit: 0 } : {}),
  });
  const groups = [
    {
      coveredResources: ['cpu', 'memory'],
      flavors: [
        {
          name: DEFAULT_FLAVOR,
          resources: [
            { name: 'cpu', nominalQuota: i.cpuCores, ...limits(i.cpuCores, true) },
            { name: 'memory', nominalQuota: `${i.memoryGib}Gi`, ...limits(i.memoryGib, true) },
          ],
        },
      ],
    },
    ...queueFlavors(i).map((g) => ({
      coveredResources: [...g.coveredResources],
      flavors: g.flavors.map((f) => {
        const q = i.quotas.find((x) => x.flavor.name === f.name);
        return {
          name: f.name,
          resources: g.coveredResources.map((r) => {
            const nominal = q?.amounts[r] ?? 0;
            return { name: r, nominalQuota: nominal, ...limits(nominal, q?.lendable ?? true) };
          }),
        };
      }),
    })),
  ];
  return {
    apiVersion: KUEUE_API_VERSION,
    kind: 'ClusterQueue',
    metadata: { name: i.name, labels: { ...i.labels } },
    spec: {
      ...(inCohort ? { cohortName: i.cohortName } : {}),
      // Only the tenant's namespace may submit here, whatever LocalQueue someone points at it.
      namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': i.namespace } },
      queueingStrategy: 'BestEffortFIFO',
      // Nominal quota is a guarantee: reclaim it from borrowers whatever their priority; inside the queue,
      // higher priority (ai-inference) preempts lower (ai-training). borrowWithinCohort stays unset: Kueue
      // allows it with classical preemption only, and fair sharing is on.
      preemption: { reclaimWithinCohort: 'Any', withinClusterQueue: 'LowerPriority' },
      resourceGroups: groups,
    },
  };
}

/** The tenant's LocalQueue, in its namespace, named `default` so unlabelled jobs land in it. */
export function localQueueManifest(namespace: string, clusterQueue: string, labels: { [key: string]: string }): Manifest {
  return {
    apiVersion: KUEUE_API_VERSION,
    kind: 'LocalQueue',
    metadata: { name: TENANT_LOCAL_QUEUE, namespace, labels: { ...labels } },
    spec: { clusterQueue },
  };
}

/** Kueue's Configuration (config.kueue.x-k8s.io/v1beta2), the chart's defaults plus the platform's choices. */
export function kueueConfiguration(tenantLabel: string, frameworks: string[]): Manifest {
  return {
    apiVersion: 'config.kueue.x-k8s.io/v1beta2',
    kind: 'Configuration',
    health: { healthProbeBindAddress: ':8081' },
    // ClusterQueue quota and usage metrics (nominal, usage, borrowing limit) are off unless asked for.
    metrics: { bindAddress: ':8443', enableClusterQueueResources: true },
    webhook: { port: 9443 },
    leaderElection: { leaderElect: true, resourceName: 'c1f6bfd2.kueue.x-k8s.io' },
    controller: {
      groupKindConcurrency: {
        'Job.batch': 5,
        Pod: 5,
        'Workload.kueue.x-k8s.io': 10,
        'LocalQueue.kueue.x-k8s.io': 5,
        'ClusterQueue.kueue.x-k8s.io': 5,
        'ResourceFlavor.kueue.x-k8s.io': 1,
      },
    },
    clientConnection: { qps: 300, burst: 500 },
    // Kueue manages tenant namespaces only. The chart (0.19) copies this selector onto every webhook of a
    // namespaced workload kind (pods, jobs, Deployments, StatefulSets, JobSets, Ray, Kubeflow, ...;
    // failurePolicy Fail), so when Kueue is down only tenants' new workloads wait; system and platform
    // namespaces never call it (kueue#5244). The v1beta2 Configuration has no podOptions: this selector
    // drives the pod webhook too. No value scopes the webhooks on Kueue's own kinds (ClusterQueue,
    // ResourceFlavor, Cohort, Workload), the CRD conversion webhooks or the visibility APIService.
    managedJobsNamespaceSelector: { matchExpressions: [{ key: tenantLabel, operator: 'Exists' }] },
    // In tenant namespaces a workload without a queue label is still Kueue's (the namespace's 'default'
    // LocalQueue), so quotas cannot be sidestepped by leaving the label off.
    manageJobsWithoutQueueName: true,
    // Resources no ClusterQueue covers would keep a workload pending forever: Kueue ignores these.
    resources: { excludeResourcePrefixes: ['ephemeral-storage', 'hugepages-', 'vpc.amazonaws.com/', 'rdma/'] },
    integrations: { frameworks },
    // Fair sharing: idle quota goes to the tenant with the lowest share of the cohort, and preemption to
    // reclaim it follows the shares.
    fairSharing: { preemptionStrategies: ['LessThanOrEqualToFinalShare', 'LessThanInitialShare'] },
  };
}

/** Kueue integrations: batch, JobSet, Ray, Kubeflow (deferred by Kueue until their CRDs exist), serving workloads. */
export const KUEUE_FRAMEWORKS = [
  'batch/job',
  'jobset.x-k8s.io/jobset',
  'ray.io/rayjob',
  'ray.io/raycluster',
  'kubeflow.org/pytorchjob',
  'trainer.kubeflow.org/trainjob',
  'pod',
  'deployment',
  'statefulset',
  'leaderworkerset.x-k8s.io/leaderworkerset',
];
