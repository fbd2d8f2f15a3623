import { Annotations, ITerraformDependable, TerraformOutput, TerraformStack } from 'cdktf';
import { Construct, IConstruct } from 'constructs';
import { ChartOverrides } from './addons/chart';
import { GpuOperator } from './addons/gpu-operator/gpu-operator';
import { PlatformPriorityClasses } from './addons/priority-classes';
import { Cloud, aksClusterOf, eksClusterOf } from './cloud';
import type { AksPlatformCluster, EksPlatformCluster } from './cloud';
import { ClusterSpec, ICloudCluster } from './core/cluster';
import { reservationCloudProblems } from './core/capacity-reservation';
import { PlatformClusterBase } from './core/platform-cluster-base';
import { KubernetesVersion, supportWarning } from './core/kubernetes-version';
import { aliasFromPath, outputName } from './private/naming';
import { GpuNodePool, NodePoolRole, clusterMigStrategy } from './core/node-pool';
import { reportProblems } from './private/problems';
import { PlatformReport } from './cost/platform-report';
import { skipCreationStacks } from './private/creation-stacks';

/** Context key that pins "today" for the support-window warning (tests, reproducible builds). */
export const TODAY_CONTEXT_KEY = 'ai-platform:today';

/** Props of a GpuInferenceCluster. */
export interface GpuInferenceClusterProps {
  /** Where to run: `Cloud.aws({...})` or `Cloud.azure({...})`. */
  readonly cloud: Cloud;
  /** Cluster name, unique in the account and region; a Terraform variable works too. */
  readonly clusterName: string;
  /**
   * Kubernetes version. A warning is printed at synth when it leaves the cloud's standard support within 90 days.
   * @default KubernetesVersion.DEFAULT (1.35)
   */
  readonly kubernetesVersion?: KubernetesVersion;
  /** Accelerator pools; a system pool for add-ons is always added. */
  readonly nodePools: GpuNodePool[];
  /**
   * Tags for every cloud resource.
   * @default - { 'managed-by': 'cdktf-ai-platform', 'ai-platform-cluster': clusterName }
   */
  readonly tags?: { [key: string]: string };
  /**
   * Install the NVIDIA GPU operator (driver where the image lacks it, device plugin, MIG manager, DCGM
   * exporter, GPU feature discovery).
   * @default true when any pool has NVIDIA GPUs
   */
  readonly installGpuOperator?: boolean;
  /**
   * Version and values overrides of the GPU operator chart.
   * @default - the pinned version and the library's values
   */
  readonly gpuOperatorChart?: ChartOverrides;
  /**
   * A second stack for the in-cluster part (Helm releases and Kubernetes objects this construct installs).
   * Use it for a private API server in a network the cluster's stack creates: apply the cluster's stack
   * from anywhere, then this stack from a runner inside the network. Add-ons created in that stack with
   * this cluster (ObservabilityStack, ...) get providers there from cross-stack references.
   * @default - the cluster's own stack
   */
  readonly inClusterStack?: TerraformStack;
  /**
   * A stack of its own for what must outlive the cluster: the network the library creates (AWS VPC, subnets,
   * NAT; Azure resource group and VNet) and every retained stateful resource created through this cluster
   * (ObjectStore, PostgresDatabase, KeyValueCache, shared file systems and the model cache, Prometheus
   * workspaces on AMP or Azure Monitor, with their keys, subnet groups, security groups, private endpoints
   * and DNS zones). Deploy it first; `cdktf destroy <cluster stack>` then removes all compute and in-cluster
   * state and leaves the data stack whole. Give it a backend and the cloud's provider, like the cluster's stack.
   * @default - everything in the cluster's stack: with retained data there, `cdktf destroy` of it fails at
   * plan (a synth warning says so)
   */
  readonly dataStack?: TerraformStack;
  /**
   * Terraform outputs for the cluster: name, API endpoint and the command that writes a kubeconfig. Their
   * names start with the construct path (e.g. `gpu_cluster_name` for a cluster with id 'Gpu'), so two clusters in one stack
   * do not collide.
   * @default false
   */
  readonly outputs?: boolean;
}

/**
 * A Kubernetes cluster for LLM inference and training on AWS (EKS) or Azure (AKS): accelerator pools with
 * MIG or time-slicing, spot training pools, Neuron pools, the NVIDIA GPU operator, autoscaling from zero and
 * priority classes, with Kubernetes and Helm providers for further add-ons in any stack.
 *
 * Mistakes (a MIG profile the GPU lacks, min > max, a GPU the cloud does not offer, an API nobody can
 * reach) are reported together at synth.
 */
export class GpuInferenceCluster extends PlatformClusterBase {
  /** The cloud-specific cluster (EksPlatformCluster on AWS, AksPlatformCluster on Azure). */
  public readonly cloudCluster: ICloudCluster;
  public readonly kubernetesVersion: KubernetesVersion;
  public readonly tags: { [key: string]: string };
  public readonly migStrategy: string;
  /** The accelerator pools as declared (validated). */
  public readonly nodePools: GpuNodePool[];
  /** The GPU operator, when installed. */
  public readonly gpuOperator?: GpuOperator;
  /** The platform priority classes. */
  public readonly priorityClasses: PlatformPriorityClasses;
  /** Where the in-cluster part lives (in the cluster's stack or in `inClusterStack`). */
  public readonly inClusterScope: Construct;

  constructor(scope: Construct, id: string, props: GpuInferenceClusterProps) {
    super(scope, id);
    skipCreationStacks(this);
    const backend = props.cloud.backend;
    const names = new Set<string>();
    const problems: string[] = [];
    const pools: GpuNodePool[] = [];
    if (props.nodePools.length === 0) problems.push('nodePools [] is empty; add at least one GpuNodePool');
    for (const pool of props.nodePools) {
      const own: string[] = [];
      if (names.has(pool.name) || pool.name === 'system') {
        own.push(
          `nodePools[${pool.name}].name '${pool.name}' is ${pool.name === 'system' ? 'reserved for the add-on pool' : 'used twice'}; give every pool its own name`,
        );
      }
      names.add(pool.name);
      own.push(...pool.validate(), ...reservationCloudProblems(pool.name, pool.capacityReservation, backend.cloudProvider));
      if (own.length === 0) own.push(...backend.validatePool(pool));
      problems.push(...own);
      // A pool with problems is left out of the build, so the rest can still be checked in the same run.
      if (own.length === 0) pools.push(pool);
    }

    this.inClusterScope =
      props.inClusterStack && props.inClusterStack !== TerraformStack.of(this)
        ? new Construct(props.inClusterStack, `InCluster-${aliasFromPath(this.node.path)}`)
        : this;
    const version = props.kubernetesVersion ?? KubernetesVersion.DEFAULT;
    this.kubernetesVersion = version;
    this.nodePools = pools;
    this.migStrategy = clusterMigStrategy(pools);
    this.tags = props.tags ?? { 'managed-by': 'cdktf-ai-platform', 'ai-platform-cluster': props.clusterName };
    problems.push(
      ...this._useDataStack(props.dataStack, {
        inClusterStack: props.inClusterStack,
        values: { clusterName: props.clusterName, tags: this.tags, ...backend.dataStackValues() },
      }),
    );
    const spec: ClusterSpec = {
      clusterName: props.clusterName,
      kubernetesVersion: version,
      nodePools: pools,
      migStrategy: this.migStrategy,
      tags: this.tags,
      inClusterScope: this.inClusterScope,
      dataStack: this.dataStack,
    };
    problems.push(...backend.validate(spec));
    reportProblems(this, problems);
    this.warnOfRetainedData('GPU compute');

    const today = this.node.tryGetContext(TODAY_CONTEXT_KEY);
    const warning = supportWarning(backend.cloudProvider, backend.serviceName, version, today ? new Date(today) : new Date());
    if (warning) Annotations.of(this).addWarning(warning);

    this.cloudCluster = backend.createCluster(this, 'Cluster', spec);
    // The platform's own add-ons first: they do not wait for the GPU operator, which add-ons created later do.
    this.priorityClasses = new PlatformPriorityClasses(this.inClusterScope, 'PriorityClasses', { cluster: this });
    backend.installAddons(this.cloudCluster, this, spec);
    const hasNvidia = pools.some((p) => p.role !== NodePoolRole.NEURON);
    if (props.installGpuOperator ?? hasNvidia)
      this.gpuOperator = new GpuOperator(this.inClusterScope, 'GpuOperator', {
        cluster: this,
        nodePools: pools,
        chart: props.gpuOperatorChart,
      });

    PlatformReport.of(this).addCluster(this);

    if (props.outputs) {
      const output = (id: string, value: string, description: string) =>
        new TerraformOutput(this, id, { value, description }).overrideLogicalId(outputName(this, id));
      output('cluster_name', this.clusterName, 'Kubernetes cluster name');
      output('api_endpoint', this.apiEndpoint, 'Kubernetes API server URL');
      output('kubeconfig_command', this.kubeconfigCommand, 'Writes a kubeconfig entry for the cluster');
    }
  }

  /** The EKS cluster with its real type, when the cluster runs on AWS. */
  public get eksCluster(): EksPlatformCluster | undefined {
    return eksClusterOf(this.cloudCluster);
  }

  /** The AKS cluster with its real type, when the cluster runs on Azure. */
  public get aksCluster(): AksPlatformCluster | undefined {
    return aksClusterOf(this.cloudCluster);
  }

  public get gpuOperatorNamespace(): string | undefined {
    return this.gpuOperator?.namespace;
  }

  /** Add-on dependencies for `scope`'s stack, including the GPU operator when it is in that stack. */
  public addonDependencies(scope: IConstruct): ITerraformDependable[] {
    const deps = this.cloudCluster.addonDependencies(scope);
    const op = this.gpuOperator?.addon.release;
    return op && TerraformStack.of(op) === TerraformStack.of(scope) ? [...deps, op] : deps;
  }
}
