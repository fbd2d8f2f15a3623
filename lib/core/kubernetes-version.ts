/**
 * A Kubernetes minor version for the control plane and nodes.
 *
 * Use the constants for versions this library was tested with, or `of('1.35')` for a newer one.
 */
export class KubernetesVersion {
  /** Kubernetes 1.31 */
  public static readonly V1_31 = new KubernetesVersion('1.31');
  /** Kubernetes 1.32 */
  public static readonly V1_32 = new KubernetesVersion('1.32');
  /** Kubernetes 1.33 */
  public static readonly V1_33 = new KubernetesVersion('1.33');
  /** Kubernetes 1.34 */
  public static readonly V1_34 = new KubernetesVersion('1.34');

  /**
   * Any `1.<minor>` version.
   * @param version e.g. '1.35'
   */
  public static of(version: string): KubernetesVersion {
    if (!/^1\.\d{2}$/.test(version)) {
      throw new Error(`kubernetesVersion '${version}' is not a Kubernetes minor version; use the form '1.33'`);
    }
    return new KubernetesVersion(version);
  }

  /** The version string, e.g. '1.33'. */
  public readonly version: string;

  private constructor(version: string) {
    this.version = version;
  }

  /** The minor number, e.g. 33. */
  public get minor(): number {
    return Number(this.version.split('.')[1]);
  }
}
