import { Token } from 'cdktf';

/**
 * A Kubernetes minor version for the control plane and nodes.
 *
 * Use the constants for versions this library was tested with, or `of('1.36')` for a newer one.
 */
export class KubernetesVersion {
  /** Kubernetes 1.33 (out of EKS standard support since 2026-07-29). */
  public static readonly V1_33 = new KubernetesVersion('1.33');
  /** Kubernetes 1.34 (EKS standard support ends 2026-12-02). */
  public static readonly V1_34 = new KubernetesVersion('1.34');
  /** Kubernetes 1.35: the default, in standard support on EKS and AKS. */
  public static readonly V1_35 = new KubernetesVersion('1.35');
  /** Kubernetes 1.36 */
  public static readonly V1_36 = new KubernetesVersion('1.36');

  /** The version new clusters get: in standard support on both clouds. */
  public static readonly DEFAULT = KubernetesVersion.V1_35;

  /**
   * Any `1.<minor>` version, or a Terraform token (a variable) resolved at apply time.
   * @param version e.g. '1.36'
   */
  public static of(version: string): KubernetesVersion {
    if (!Token.isUnresolved(version) && !/^1\.\d{2}$/.test(version)) {
      throw new Error(`kubernetesVersion '${version}' is not a Kubernetes minor version; use the form '1.35'`);
    }
    return new KubernetesVersion(version);
  }

  /** The version string, e.g. '1.35'. */
  public readonly version: string;

  private constructor(version: string) {
    this.version = version;
  }

  /** The minor number, e.g. 35; undefined when the version is a Terraform token. */
  public get minor(): number | undefined {
    return Token.isUnresolved(this.version) ? undefined : Number(this.version.split('.')[1]);
  }
}

/**
 * End of standard support per cloud and minor version (ISO dates). EKS: the Amazon EKS Kubernetes version
 * calendar. AKS: the AKS Kubernetes release calendar, which publishes months; the last day of the month
 * is used. Versions newer than every row are taken as supported; older ones as out of support.
 * Update this one table when the clouds publish new versions.
 */
export const STANDARD_SUPPORT_END: { [cloud: string]: { [minor: string]: string } } = {
  aws: { '1.32': '2026-03-23', '1.33': '2026-07-29', '1.34': '2026-12-02', '1.35': '2027-03-27' },
  azure: { '1.32': '2026-03-31', '1.33': '2026-06-30', '1.34': '2026-11-30', '1.35': '2027-03-31' },
};

/** How long before the end of standard support the library starts warning. */
export const SUPPORT_WARNING_DAYS = 90;

/**
 * A warning when `version` is out of standard support on `cloud`, or leaves it within 90 days of `today`;
 * undefined otherwise (also for tokens and versions newer than the table).
 */
export function supportWarning(cloud: string, cloudName: string, version: KubernetesVersion, today: Date): string | undefined {
  const table = STANDARD_SUPPORT_END[cloud];
  const minor = version.minor;
  if (!table || minor === undefined) return undefined;
  const known = Object.keys(table).map((v) => Number(v.split('.')[1]));
  const end = table[version.version];
  if (!end) {
    return minor < Math.min(...known)
      ? `kubernetesVersion '${version.version}' is older than every version ${cloudName} still supports; use KubernetesVersion.DEFAULT (${KubernetesVersion.DEFAULT.version})`
      : undefined;
  }
  const days = Math.floor((Date.parse(`${end}T00:00:00Z`) - today.getTime()) / 86_400_000);
  if (days < 0)
    return `kubernetesVersion '${version.version}' left ${cloudName} standard support on ${end}; the cloud upgrades it on its own or bills extended support, use KubernetesVersion.DEFAULT (${KubernetesVersion.DEFAULT.version}) or newer`;
  if (days <= SUPPORT_WARNING_DAYS)
    return `kubernetesVersion '${version.version}' leaves ${cloudName} standard support on ${end}, in ${days} days; plan the upgrade, or start on a newer version`;
  return undefined;
}
