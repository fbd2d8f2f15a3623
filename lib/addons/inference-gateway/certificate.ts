import { K8sName, validateK8sName } from '../../private/validation';

/** Kind of a cert-manager issuer. */
export enum CertManagerIssuerKind {
  /** A cluster-wide ClusterIssuer. */
  CLUSTER_ISSUER = 'ClusterIssuer',
  /** An Issuer in the gateway's namespace, `envoy-gateway-system`. */
  ISSUER = 'Issuer',
}

/** A cert-manager issuer of the gateway's certificate. */
export interface CertManagerIssuerOptions {
  /** Name of the issuer (for example a ClusterIssuer backed by your private CA, or ACME for a public host). */
  readonly issuerName: string;
  /**
   * Kind of the issuer.
   * @default CertManagerIssuerKind.CLUSTER_ISSUER
   */
  readonly issuerKind?: CertManagerIssuerKind;
  /**
   * Secret the certificate and key are written to, in `envoy-gateway-system`.
   * @default 'inference-gateway-tls'
   */
  readonly secretName?: string;
}

/** Default name of the listener's certificate Secret. */
const DEFAULT_SECRET = 'inference-gateway-tls';

/**
 * Where the gateway listener's certificate comes from. The library never handles key material: either a
 * Secret you create, or a cert-manager Certificate it asks your (already installed) cert-manager for.
 */
export class GatewayCertificate {
  /**
   * A `kubernetes.io/tls` Secret in `envoy-gateway-system` that you create (from your PKI, or your own
   * cert-manager Certificate). Until it exists the listener is not programmed and the gateway answers nothing.
   * @param secretName default 'inference-gateway-tls'
   */
  public static fromSecret(secretName?: string): GatewayCertificate {
    return new GatewayCertificate(secretName ?? DEFAULT_SECRET);
  }

  /**
   * A cert-manager Certificate (`cert-manager.io/v1`) for the gateway's host names, ECDSA P-256, the key
   * rotated at each renewal. cert-manager and the issuer must already run on the cluster: the apply fails
   * with "no matches for kind Certificate" otherwise. Clients must trust the issuer's CA.
   */
  public static certManager(options: CertManagerIssuerOptions): GatewayCertificate {
    return new GatewayCertificate(options.secretName ?? DEFAULT_SECRET, options);
  }

  private constructor(
    /** Name of the Secret the listener reads. */
    public readonly secretName: string,
    private readonly issuer?: CertManagerIssuerOptions,
  ) {}

  /**
   * Problems of the options, as `<prop> <value> <problem>; <fix>`.
   * @internal
   */
  public _problems(): string[] {
    const out = validateK8sName('certificate.secretName', this.secretName, K8sName.SUBDOMAIN, DEFAULT_SECRET);
    if (this.issuer) out.push(...validateK8sName('certificate.issuerName', this.issuer.issuerName, K8sName.SUBDOMAIN, 'internal-ca'));
    return out;
  }

  /**
   * The Certificate object, when cert-manager issues it.
   * @internal
   */
  public _manifest(namespace: string, name: string, dnsNames: string[]): { [key: string]: any } | undefined {
    if (!this.issuer) return undefined;
    return {
      apiVersion: 'cert-manager.io/v1',
      kind: 'Certificate',
      metadata: { name, namespace, labels: { 'app.kubernetes.io/part-of': 'ai-platform' } },
      spec: {
        secretName: this.secretName,
        dnsNames: [...new Set(dnsNames)],
        issuerRef: {
          group: 'cert-manager.io',
          kind: this.issuer.issuerKind ?? CertManagerIssuerKind.CLUSTER_ISSUER,
          name: this.issuer.issuerName,
        },
        privateKey: { algorithm: 'ECDSA', size: 256, rotationPolicy: 'Always' },
        usages: ['server auth', 'digital signature'],
      },
    };
  }
}
