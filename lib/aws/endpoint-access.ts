import { validateApiAllowList } from '../private/validation';

/**
 * Who may reach the EKS API server.
 */
export class EndpointAccess {
  /**
   * Private endpoint only: reachable from the VPC and networks peered with it. Terraform (and the Helm
   * releases this library installs) must then run from inside that network.
   */
  public static readonly PRIVATE = new EndpointAccess(false, []);

  /**
   * Private endpoint plus a public endpoint restricted to these CIDRs (e.g. the CI runners' egress).
   * @param cidrs IPv4 CIDRs; '0.0.0.0/0' is refused
   */
  public static publicAndPrivate(cidrs: string[]): EndpointAccess {
    return new EndpointAccess(true, [...cidrs]);
  }

  /** Whether the public endpoint is on. */
  public readonly publicAccess: boolean;
  /** CIDRs allowed on the public endpoint. */
  public readonly publicAccessCidrs: string[];

  private constructor(publicAccess: boolean, cidrs: string[]) {
    this.publicAccess = publicAccess;
    this.publicAccessCidrs = cidrs;
  }

  /** Problems as `<prop> <value> …; <fix>` messages. */
  public validate(): string[] {
    if (!this.publicAccess) return [];
    if (this.publicAccessCidrs.length === 0) {
      return [
        'endpointAccess [] opens the public endpoint without an allow-list; list the CIDRs that may reach the API, or use EndpointAccess.PRIVATE',
      ];
    }
    return validateApiAllowList('endpointAccess', this.publicAccessCidrs, 'use EndpointAccess.PRIVATE');
  }
}
