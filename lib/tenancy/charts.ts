import { ChartRef, pinnedChart } from '../addons/chart';

/** Pinned charts of the tenancy add-ons. */
export class TenancyCharts {
  /**
   * Kueue: job queueing, quotas per ResourceFlavor, cohorts, preemption (kubernetes-sigs/kueue,
   * `helm install kueue oci://registry.k8s.io/kueue/charts/kueue --version 0.19.2`).
   *
   * Life cycle: the chart ships its CRDs as templates (`templates/crd/`), so a version bump upgrades them
   * with the release (and uninstall deletes them, after the tenancy releases removed every Kueue object).
   * Its webhook Secret is rendered empty and filled by Kueue's internal certificate management, which also
   * injects the caBundles; Helm's three-way merge keeps what Kueue wrote, and the provider diffs only the
   * release inputs, so a second apply shows no change.
   */
  public static readonly KUEUE: ChartRef = pinnedChart('kueue', 'oci://registry.k8s.io/kueue/charts', '0.19.2');
}

/** Labels and names the tenancy constructs put on Kubernetes objects. */
export class TenancyLabels {
  /** Tenant of a namespace or Kueue object (cost attribution; Kueue manages jobs only in namespaces carrying it). */
  public static readonly TENANT = 'ai-platform.dev/tenant';
  /** Cost center of a tenant's namespace and objects. */
  public static readonly COST_CENTER = 'ai-platform.dev/cost-center';
  /** Cloud tag key naming the tenant on the tenant's cloud resources (Azure tag keys allow no '/'). */
  public static readonly TENANT_TAG = 'ai-platform-tenant';
  /** Cloud tag key of the tenant's cost center. */
  public static readonly COST_CENTER_TAG = 'cost-center';
}

/** Namespace Kueue runs in. */
export const KUEUE_NAMESPACE = 'kueue-system';
/** Helm release (and, through fullnameOverride, object name prefix) of Kueue. */
export const KUEUE_RELEASE = 'kueue';
/** Pod labels of the Kueue controller (the chart's selector labels with fullnameOverride 'kueue'). */
export const KUEUE_CONTROLLER_LABELS: { [key: string]: string } = {
  'app.kubernetes.io/name': 'kueue',
  'control-plane': 'controller-manager',
};
/** Ports of the Kueue controller: webhooks and the visibility API (called by the API server), metrics (HTTPS). */
export const KUEUE_PORTS = { webhook: 9443, visibility: 8082, metrics: 8443, metricsPortName: 'metrics' };
/** ClusterRole the Kueue chart creates for reading `/metrics` (`<fullname>-metrics-reader`). */
export const KUEUE_METRICS_READER_ROLE = `${KUEUE_RELEASE}-metrics-reader`;
