import { Release } from '@cdktf/provider-helm/lib/release';
import { AssetType, ITerraformDependable, TerraformAsset, TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import * as path from 'path';
import { IPlatformCluster } from '../core/cluster';
import { sameStack } from '../private/cluster-access';
import { toYaml } from '../private/yaml';

/** Options of a release of custom resources. */
export interface ManifestsReleaseProps {
  /** Cluster to install into. */
  readonly cluster: IPlatformCluster;
  /** Release name. */
  readonly releaseName: string;
  /** Namespace of the release (it must exist). */
  readonly namespace: string;
  /** Complete manifests (apiVersion, kind, metadata, spec). */
  readonly manifests: { [key: string]: any }[];
  /**
   * What to wait for: the release that installs the CRDs (or runs the operator whose finalizers the objects
   * carry), the namespace, ... Terraform destroys in reverse, so the objects go while their operator still
   * runs to clear its finalizers.
   */
  readonly dependsOn: ITerraformDependable[];
  /**
   * Seconds Helm waits for the objects to become ready (Deployments: their replicas available).
   * @default 300
   */
  readonly timeoutSeconds?: number;
}

const assets = new WeakMap<TerraformStack, TerraformAsset>();

/**
 * Custom resources installed through Helm, after the release that installs their CRDs: the plan does not
 * need the CRD to exist (unlike `kubernetes_manifest`), so a stack can create the cluster, the operator and
 * its objects in one apply. The library's own chart (`lib/addons/manifests-chart`: one template that
 * renders `.Values.manifests`) is copied into the stack output as an asset, named by its content hash, so
 * synth output is the same from any checkout path.
 */
export class ManifestsRelease extends Construct {
  /** The Helm release. */
  public readonly release: Release;
  /** The objects the release installs. */
  public readonly manifests: { [key: string]: any }[];

  constructor(scope: Construct, id: string, props: ManifestsReleaseProps) {
    super(scope, id);
    this.manifests = props.manifests;
    const stack = TerraformStack.of(this);
    let asset = assets.get(stack);
    if (!asset) {
      asset = new TerraformAsset(stack, 'ai-platform-manifests-chart', {
        path: path.join(__dirname, 'manifests-chart'),
        type: AssetType.DIRECTORY,
      });
      assets.set(stack, asset);
    }
    this.release = new Release(this, 'Resource', {
      provider: props.cluster.providers(this).helm,
      name: props.releaseName,
      // Terraform runs in the stack's output directory, where the asset is copied.
      chart: `./${asset.path}`,
      namespace: props.namespace,
      createNamespace: false,
      atomic: true,
      cleanupOnFail: true,
      wait: true,
      timeout: props.timeoutSeconds ?? 300,
      maxHistory: 5,
      values: [toYaml({ manifests: props.manifests })],
      dependsOn: [...props.cluster.addonDependencies(this), ...sameStack(this, props.dependsOn)],
    });
  }
}
