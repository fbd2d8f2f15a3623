import { Annotations, Aspects, IAspect, ITerraformDependable, TerraformStack } from 'cdktf';
import { Construct, IConstruct } from 'constructs';
import {
  AcceleratorPoolInfo,
  ClusterNetwork,
  ClusterProviders,
  CloudProvider,
  IAcceleratorCluster,
  ICloudCluster,
  IWorkloadIdentity,
  NamespaceAdminGrant,
  NamespaceAdminOptions,
  PodToleration,
  ServiceAccountBindingOptions,
} from './cluster';
import { IDataServices } from './data-services';
import { DataStackCheck, dataScopeIn, retainedResources, validateDataStack } from './data-scope';
import { KubernetesVersion } from './kubernetes-version';
import { requestBindingEgress } from './egress-requests';

/**
 * The one implementation of the cluster contract: everything a cloud answers comes from its ICloudCluster
 * (a cluster this library creates, or one brought along); the rest is set by the subclass.
 */
export abstract class PlatformClusterBase extends Construct implements IAcceleratorCluster {
  /** Kubernetes version. */
  public abstract readonly kubernetesVersion: KubernetesVersion;
  /** Tags for cloud resources of add-ons. */
  public abstract readonly tags: { [key: string]: string };
  /** MIG strategy of the device plugin. */
  public abstract readonly migStrategy: string;
  /** The cloud-specific half of the cluster. */
  public abstract readonly cloudCluster: ICloudCluster;

  private data?: TerraformStack;

  constructor(scope: Construct, id: string) {
    super(scope, id);
  }

  /**
   * The stack holding what outlives the cluster (network, retained data), deployed before the cluster's.
   * @default - none
   */
  public get dataStack(): TerraformStack | undefined {
    return this.data;
  }

  public dataScope(scope: Construct): Construct {
    return dataScopeIn(this.data, scope);
  }

  /**
   * Checks the data stack and, when it has no problems, uses it (once, before anything is built) and orders
   * the cluster's stack after it; returns its problems. A data stack with problems is left out, so the rest
   * is still built and checked in the same run.
   * @internal
   */
  protected _useDataStack(stack: TerraformStack | undefined, check: DataStackCheck): string[] {
    if (!stack) return [];
    const problems = validateDataStack(this, stack, check);
    if (problems.length) return problems;
    this.data = stack;
    TerraformStack.of(this).addDependency(stack);
    return [];
  }

  /**
   * Warns at synth when the cluster's stack holds `prevent_destroy` resources beside `what` (its GPU compute,
   * or the add-ons installed on a cluster brought along): `cdktf destroy` of that stack would fail at plan.
   */
  protected warnOfRetainedData(what: string): void {
    Aspects.of(this).add(new RetainedDataWarning(this, what));
  }

  /** Namespace of the NVIDIA GPU operator, when one runs. */
  public get gpuOperatorNamespace(): string | undefined {
    return undefined;
  }
  public get clusterName(): string {
    return this.cloudCluster.clusterName;
  }
  public get cloudProvider(): CloudProvider {
    return this.cloudCluster.cloudProvider;
  }
  public get region(): string {
    return this.cloudCluster.region;
  }
  public get apiEndpoint(): string {
    return this.cloudCluster.apiEndpoint;
  }
  public get kubeconfigCommand(): string {
    return this.cloudCluster.kubeconfigCommand;
  }
  public get resourceGroupName(): string | undefined {
    return this.cloudCluster.resourceGroupName;
  }
  public get network(): ClusterNetwork {
    return this.cloudCluster.network;
  }
  public get dataServices(): IDataServices {
    return this.cloudCluster.dataServices;
  }
  public get systemNodeSelector(): { [key: string]: string } {
    return this.cloudCluster.systemNodeSelector;
  }
  public get systemTolerations(): PodToleration[] {
    return this.cloudCluster.systemTolerations;
  }
  public get workloadNodeSelector(): { [key: string]: string } {
    return this.cloudCluster.workloadNodeSelector;
  }
  public get workloadTolerations(): PodToleration[] {
    return this.cloudCluster.workloadTolerations;
  }
  public get storageClassName(): string {
    return this.cloudCluster.storageClassName;
  }
  public get gpuDriverPreinstalled(): boolean {
    return this.cloudCluster.gpuDriverPreinstalled;
  }
  public get acceleratorPools(): AcceleratorPoolInfo[] {
    return this.cloudCluster.acceleratorPools;
  }

  public providers(scope: IConstruct): ClusterProviders {
    return this.cloudCluster.providers(scope);
  }

  public addonDependencies(scope: IConstruct): ITerraformDependable[] {
    return this.cloudCluster.addonDependencies(scope);
  }

  public bindServiceAccount(scope: Construct, id: string, options: ServiceAccountBindingOptions): IWorkloadIdentity {
    const identity = this.cloudCluster.bindServiceAccount(scope, id, options);
    requestBindingEgress(this, options.namespace, identity);
    return identity;
  }

  public grantNamespaceAdmin(scope: Construct, id: string, options: NamespaceAdminOptions): NamespaceAdminGrant {
    return this.cloudCluster.grantNamespaceAdmin(scope, id, options);
  }

  public loadBalancerServiceAnnotations(internal: boolean): { [key: string]: string } {
    return this.cloudCluster.loadBalancerServiceAnnotations(internal);
  }
}

/**
 * Terraform refuses to plan a destroy that removes a `prevent_destroy` resource: retained data in the stack
 * of a cluster's compute or add-ons means `cdktf destroy` of that stack fails at plan. Said at synth, when
 * every resource of the stack exists, so nobody learns it at teardown.
 */
class RetainedDataWarning implements IAspect {
  constructor(
    private readonly cluster: PlatformClusterBase,
    private readonly what: string,
  ) {}

  public visit(node: IConstruct): void {
    if (node !== this.cluster) return;
    const stack = TerraformStack.of(this.cluster);
    const retained = retainedResources(stack);
    if (!retained.length) return;
    const some = retained
      .slice(0, 3)
      .map((r) => r.node.path)
      .join(', ');
    const which = `${retained.length} resource${retained.length > 1 ? 's' : ''} with prevent_destroy (${some}${retained.length > 3 ? ', ...' : ''})`;
    const data = this.cluster.dataStack;
    Annotations.of(this.cluster).addWarning(
      data
        ? `dataStack '${data.node.id}' is set, yet stack '${stack.node.id}' still holds ${which} beside the ${this.what}: \`cdktf destroy ${stack.node.id}\` fails at plan; create them under cluster.dataScope(scope), or in stack '${data.node.id}'`
        : `dataStack (unset) leaves ${which} in stack '${stack.node.id}' beside the ${this.what}: \`cdktf destroy ${stack.node.id}\` fails at plan, so they cannot be torn down while the data is kept; pass dataStack (a stack of its own, deployed first) to hold the network and retained data, or RemovalPolicy.DESTROY for throwaway data`,
    );
  }
}
