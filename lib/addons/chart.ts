import { Release } from '@cdktf/provider-helm/lib/release';
import { ITerraformDependable, Token } from 'cdktf';
import { Construct } from 'constructs';
import { IPlatformCluster } from '../core/cluster';
import { sameStack } from '../private/cluster-access';
import { deepMerge } from '../private/merge';
import { reportProblems } from '../private/problems';
import { toYaml } from '../private/yaml';

/** A Helm chart at a pinned version. */
export interface ChartRef {
  /** Chart name (or OCI reference when `repository` is omitted). */
  readonly chart: string;
  /** Chart repository URL or OCI registry. */
  readonly repository: string;
  /** Exact chart version. */
  readonly version: string;
}

/**
 * A chart at a pinned version: what the tables of pinned charts (`Charts`, `VectorStoreCharts`,
 * `ObservabilityCharts`, `TenancyCharts`) are made of, one line a pin.
 */
export function pinnedChart(chart: string, repository: string, version: string): ChartRef {
  return { chart, repository, version };
}

/** Pinned charts, from the versions the library is tested against. */
export class Charts {
  /** NVIDIA GPU operator. */
  public static readonly GPU_OPERATOR: ChartRef = pinnedChart('gpu-operator', 'https://helm.ngc.nvidia.com/nvidia', 'v26.7.0');
  /** Kubernetes cluster-autoscaler. */
  public static readonly CLUSTER_AUTOSCALER: ChartRef = pinnedChart(
    'cluster-autoscaler',
    'https://kubernetes.github.io/autoscaler',
    '9.59.0',
  );
  /** AWS Neuron device plugin and scheduler. */
  public static readonly NEURON: ChartRef = pinnedChart('neuron-helm-chart', 'oci://public.ecr.aws/neuron', '1.9.0');
  /** Karpenter controller for EKS (its CRDs come from KARPENTER_CRD, so they upgrade with it). */
  public static readonly KARPENTER: ChartRef = pinnedChart('karpenter', 'oci://public.ecr.aws/karpenter', '1.14.1');
  /** Karpenter's CRDs as templates, which Helm upgrades (a chart's crds/ folder is installed once, never upgraded). */
  public static readonly KARPENTER_CRD: ChartRef = pinnedChart('karpenter-crd', 'oci://public.ecr.aws/karpenter', '1.14.1');
  /** KEDA: event-driven autoscaling (ScaledObjects, TriggerAuthentications). */
  public static readonly KEDA: ChartRef = pinnedChart('keda', 'https://kedacore.github.io/charts', '2.20.2');
}

/**
 * Escape hatch for one chart: another version, and values deep-merged over the library's (maps merge,
 * lists replace, `null` removes a key), rendered as literal YAML like the rest.
 */
export interface ChartOverrides {
  /**
   * Chart version to install instead of the pinned one (values the library sets must still exist in it).
   * @default - the pinned version
   */
  readonly version?: string;
  /**
   * Values merged over the library's: maps merge, lists replace, `null` removes a key (also a chart
   * default), as Helm merges values files.
   * @default - none
   */
  readonly values?: { [key: string]: any };
}

/** Options of a chart install. */
export interface HelmAddonProps {
  /** Cluster to install into. */
  readonly cluster: IPlatformCluster;
  /** Release name. */
  readonly releaseName: string;
  /** The chart. */
  readonly chart: ChartRef;
  /** Namespace. */
  readonly namespace: string;
  /**
   * Let Helm create the namespace. Turn off when the namespace is managed elsewhere (e.g. with secrets
   * that must exist before the release).
   * @default true
   */
  readonly createNamespace?: boolean;
  /** Values, rendered as literal YAML. */
  readonly values: { [key: string]: any };
  /**
   * Further resources to wait for, beyond the cluster's add-on dependencies.
   * @default - none
   */
  readonly dependsOn?: ITerraformDependable[];
  /**
   * Version and values overrides from the user.
   * @default - none
   */
  readonly overrides?: ChartOverrides;
  /**
   * Seconds Helm waits for the release to become ready.
   * @default 600
   */
  readonly timeoutSeconds?: number;
}

/**
 * One Helm release into a platform cluster: pinned version, literal YAML values, waits for the cluster's
 * add-on dependencies, rolls back a failed install.
 */
export class HelmAddon extends Construct {
  /** The Helm release. */
  public readonly release: Release;
  /** The chart installed (the pinned reference; `release.version` holds an overridden version). */
  public readonly chart: ChartRef;
  /** The values as rendered into the release: the library's with the user's overrides merged over them. */
  public readonly values: { [key: string]: any };

  constructor(scope: Construct, id: string, props: HelmAddonProps) {
    super(scope, id);
    const version = props.overrides?.version;
    if (version !== undefined && !Token.isUnresolved(version) && version.trim() === '') {
      // An empty version makes Helm install whatever is newest: never what a pinned platform wants.
      reportProblems(this, [
        `overrides.version '' is empty, which installs the newest ${props.chart.chart} chart; pass an exact version or leave it unset for ${props.chart.version}`,
      ]);
    }
    this.chart = props.chart;
    this.values = deepMerge(props.values, props.overrides?.values ?? {});
    this.release = new Release(this, 'Resource', {
      provider: props.cluster.providers(this).helm,
      name: props.releaseName,
      chart: props.chart.chart,
      repository: props.chart.repository,
      version: props.overrides?.version ?? props.chart.version,
      namespace: props.namespace,
      createNamespace: props.createNamespace ?? true,
      atomic: true,
      cleanupOnFail: true,
      wait: true,
      timeout: props.timeoutSeconds ?? 600,
      maxHistory: 5,
      values: [toYaml(this.values)],
      dependsOn: [...props.cluster.addonDependencies(this), ...sameStack(this, props.dependsOn ?? [])],
    });
  }
}
