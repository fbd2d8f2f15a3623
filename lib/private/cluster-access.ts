import { StorageClassV1 } from '@cdktf/provider-kubernetes/lib/storage-class-v1';
import { ITerraformDependable, TerraformStack } from 'cdktf';
import { Construct, IConstruct } from 'constructs';
import { ClusterProviders } from '../core/cluster';
import { reportProblems } from './problems';
import { ClusterConnection, clusterProviders } from './providers';
import { aliasFromPath } from './naming';

/** Options of a cluster's access for in-cluster resources. */
export interface ClusterAccessOptions {
  /** How the providers reach and authenticate to the API server. */
  readonly connection: ClusterConnection;
  /**
   * Why Terraform cannot reach the API during the apply that creates the cluster (a private endpoint in
   * a network the same stack creates), as `<prop> <value> <problem>; <fix>`.
   * @default - Terraform can reach it
   */
  readonly unreachableBecause?: string;
}

/**
 * The Kubernetes/Helm providers of one cluster, created once per stack that installs into it, and what
 * in-cluster resources wait for. Shared by the EKS and AKS clusters so both behave alike.
 */
export class ClusterAccess {
  private readonly perStack = new Map<TerraformStack, ClusterProviders>();
  private readonly dependencies = new Map<TerraformStack, ITerraformDependable[]>();
  private readonly owner: Construct;
  private readonly options: ClusterAccessOptions;

  constructor(owner: Construct, options: ClusterAccessOptions) {
    this.owner = owner;
    this.options = options;
    const because = options.unreachableBecause;
    if (because) {
      // Known only at synth: the in-cluster part may be placed in this stack by anything added later.
      reportProblems(owner, () => (this.perStack.has(TerraformStack.of(owner)) ? [because] : []));
    }
  }

  /**
   * Adds resources that in-cluster resources must wait for. Each is waited for in its own stack; other
   * stacks are ordered after the cluster's stack instead.
   */
  public addDependency(...deps: ITerraformDependable[]): void {
    for (const d of deps) {
      const stack = TerraformStack.of(d as unknown as IConstruct);
      this.dependencies.set(stack, [...(this.dependencies.get(stack) ?? []), d]);
    }
  }

  /**
   * The add-on StorageClass, created in `scope` (the in-cluster part): data outlives the claim (reclaim
   * Retain), volumes bind where their pod lands, and add-ons with volumes wait for the class.
   */
  public addRetainedStorageClass(
    scope: Construct,
    name: string,
    provisioner: string,
    parameters: { [key: string]: string },
    annotations: { [key: string]: string },
    after: ITerraformDependable[] = [],
  ): StorageClassV1 {
    const storageClass = new StorageClassV1(scope, 'StorageClass', {
      provider: this.providers(scope).kubernetes,
      metadata: { name, annotations: Object.keys(annotations).length ? annotations : undefined },
      storageProvisioner: provisioner,
      parameters,
      reclaimPolicy: 'Retain',
      volumeBindingMode: 'WaitForFirstConsumer',
      allowVolumeExpansion: true,
      dependsOn: [...this.dependenciesFor(scope), ...sameStack(scope, after)],
    });
    this.addDependency(storageClass);
    return storageClass;
  }

  /** Providers for `scope`'s stack. */
  public providers(scope: IConstruct): ClusterProviders {
    const stack = TerraformStack.of(scope);
    const existing = this.perStack.get(stack);
    if (existing) return existing;
    const own = stack === TerraformStack.of(this.owner);
    const host = own ? this.owner : new Construct(stack, `ClusterProviders-${aliasFromPath(this.owner.node.path)}`);
    if (!own) stack.addDependency(TerraformStack.of(this.owner));
    const created = clusterProviders(host, this.owner.node.path, this.options.connection);
    this.perStack.set(stack, created);
    return created;
  }

  /** What in-cluster resources created in `scope`'s stack wait for. */
  public dependenciesFor(scope: IConstruct): ITerraformDependable[] {
    const stack = TerraformStack.of(scope);
    const own = TerraformStack.of(this.owner);
    // Another stack is applied after the cluster's: the stack dependency orders it.
    if (stack !== own && !stack.dependencies.includes(own)) stack.addDependency(own);
    return [...(this.dependencies.get(stack) ?? [])];
  }
}

/** Of `deps`, those in `scope`'s stack (cross-stack depends_on is not expressible; stacks are ordered instead). */
export function sameStack(scope: IConstruct, deps: ITerraformDependable[]): ITerraformDependable[] {
  const stack = TerraformStack.of(scope);
  return deps.filter((d) => {
    const c = d as unknown as IConstruct;
    if (!c.node) return true;
    const other = TerraformStack.of(c);
    if (other === stack) return true;
    if (!stack.dependencies.includes(other)) stack.addDependency(other);
    return false;
  });
}
