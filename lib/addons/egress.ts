import { NetworkPolicyV1, NetworkPolicyV1SpecEgressTo } from '@cdktf/provider-kubernetes/lib/network-policy-v1';
import { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import { ITerraformDependable, Token } from 'cdktf';
import { Construct, IConstruct } from 'constructs';
import { EgressRequest, onEgressRequest } from '../core/egress-requests';
import { reportProblems } from '../private/problems';
import { ipv4CidrPrefix, isToken, shown } from '../private/validation';

/**
 * A destination pods of a namespace may open TCP connections to, beyond what the library allows by default.
 * The cloud metadata endpoints are cut out of every CIDR (see `METADATA_EXCEPT`).
 */
export interface EgressRule {
  /** Destination TCP ports, e.g. `[5432]`. */
  readonly ports: number[];
  /**
   * Destination IPv4 CIDRs, e.g. `['10.20.0.0/16']`.
   * @default - the private ranges (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16): managed data services behind
   * private endpoints
   */
  readonly cidrs?: string[];
}

export { PRIVATE_RANGES } from '../core/egress-requests';
import { PRIVATE_RANGES } from '../core/egress-requests';

/**
 * Cut out of every egress CIDR: link-local (the EC2/Azure instance metadata endpoint 169.254.169.254, the
 * EKS Pod Identity agent, which only pods bound to a Pod Identity reach, through their own policy) and
 * Azure's wireserver 168.63.129.16 (platform DNS and VM agent channel; pods resolve through CoreDNS).
 */
export const METADATA_EXCEPT = ['169.254.0.0/16', '168.63.129.16/32'];

/** CoreDNS pods on EKS (the coredns add-on) and AKS both carry `k8s-app: kube-dns` in kube-system. */
export const COREDNS_PEER = {
  namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } },
  podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
};

/** What a namespace's egress policies are built from. */
export interface NamespaceEgressProps {
  /** The cluster, whose egress requests for this namespace are allowed. */
  readonly cluster: IConstruct;
  /** Kubernetes provider of the cluster. */
  readonly provider: KubernetesProvider;
  /** The namespace. */
  readonly namespace: string;
  /**
   * Labels of every policy.
   * @default - none
   */
  readonly labels?: { [key: string]: string };
  /** What the policies wait for (the namespace). */
  readonly dependsOn: ITerraformDependable[];
  /**
   * Namespace labels whose pods may be reached (other platform namespaces).
   * @default - none
   */
  readonly platformSelector?: { [key: string]: string };
  /**
   * Further allowed destinations.
   * @default - none
   */
  readonly rules?: EgressRule[];
  /** Called with every policy as it is created (requests may come after the namespace): what waits for it. */
  readonly onPolicy: (policy: NetworkPolicyV1) => void;
}

/**
 * Default-deny egress for one namespace, with the allows every workload the library runs needs:
 *
 * - `default-deny-egress`: every pod isolated for egress;
 * - `allow-egress-dns`: CoreDNS (UDP and TCP 53);
 * - `allow-egress-same-namespace`: any pod of the namespace;
 * - `allow-egress-https`: TCP 443 to any address but the metadata endpoints: the API server (operators,
 *   the router's service discovery, KEDA, Kueue, Prometheus), the model store, model hubs, cloud APIs;
 * - `allow-egress-platform` (when asked): pods of the other platform namespaces (each admits by its own
 *   ingress policies);
 * - `allow-egress-extra` (when rules are given), and `allow-egress-<name>` for each `allow` and each
 *   request for the namespace (`requestEgress`): `allow-egress-pod-identity-agent` where a service account
 *   of the namespace is bound to an EKS Pod Identity, `allow-egress-vector-store` or
 *   `allow-egress-feature-store` where a grant lets the namespace's identity log in to a data service.
 *
 * How the engines the clusters run evaluate these (why the allows have this shape):
 * - EKS, VPC CNI network policy agent (eBPF on the pod's veth, TC hook): it sees a Service's ClusterIP
 *   before kube-proxy's DNAT. Its controller adds the ClusterIPs of Services whose selector matches a
 *   podSelector/namespaceSelector peer (so the CoreDNS and same-namespace allows cover `kube-dns` and the
 *   namespace's Services), but not of selector-less Services: the API server's `kubernetes` Service
 *   (172.20.0.1 or 10.100.0.1:443) is reached through the 0.0.0.0/0:443 ipBlock, which holds it, like the
 *   endpoints (cross-account ENIs in the cluster subnets, public endpoint addresses). `except` needs
 *   agent >= v1.0.4 (VPC CNI >= 1.15.1); IMDS listens on port 80 only, which no CIDR allow of 0.0.0.0/0
 *   opens here but an explicit `EgressRule` (still cut by `METADATA_EXCEPT`). In the default `standard`
 *   enforcing mode a pod starting before the agent has its policies runs unrestricted until they land.
 * - AKS, Cilium (Azure CNI powered by Cilium): Services are translated at the socket before policy, so
 *   rules see the backends. ipBlock never selects pods or nodes (host / remote-node identities): pods are
 *   selected by namespace/pod selectors, node targets (kubelet, hostNetwork exporters) only by a rule with
 *   ports and no `to`. The managed API server runs outside the nodes (public IP, or an internal load
 *   balancer with API server VNet integration), so 0.0.0.0/0:443 admits it.
 */
export class NamespaceEgress extends Construct {
  /** The policies, in creation order. */
  public readonly policies: NetworkPolicyV1[] = [];
  private readonly props: NamespaceEgressProps;
  private readonly byName = new Map<string, NetworkPolicyV1>();

  constructor(scope: Construct, id: string, props: NamespaceEgressProps) {
    super(scope, id);
    this.props = props;
    reportProblems(this, validateEgressRules('egress', props.rules ?? []));
    this.policy('DefaultDeny', 'default-deny-egress', undefined);
    this.policy('Dns', 'allow-egress-dns', [
      {
        to: [COREDNS_PEER],
        ports: [
          { port: '53', protocol: 'UDP' },
          { port: '53', protocol: 'TCP' },
        ],
      },
    ]);
    this.policy('SameNamespace', 'allow-egress-same-namespace', [{ to: [{ podSelector: {} }] }]);
    this.policy('Https', 'allow-egress-https', [{ to: ipBlocks(['0.0.0.0/0']), ports: tcp([443]) }]);
    if (props.platformSelector)
      this.policy('Platform', 'allow-egress-platform', [{ to: [{ namespaceSelector: { matchLabels: { ...props.platformSelector } } }] }]);
    if (props.rules?.length) this.policy('Extra', 'allow-egress-extra', props.rules.map(egressOf));
    onEgressRequest(props.cluster, props.namespace, (r) => this.onRequest(r));
  }

  /**
   * Allows one more destination (a data service bound after the namespace) as policy `allow-egress-<name>`,
   * once per name; ports may be tokens (an endpoint's port known at apply).
   */
  public allow(name: string, rule: EgressRule): NetworkPolicyV1 {
    reportProblems(this, validateEgressRules(name, [rule]));
    return this.named(name, [egressOf(rule)]);
  }

  private onRequest(r: EgressRequest): void {
    const pods = r.pods
      ? [
          {
            namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': r.pods.namespace } },
            podSelector: { matchLabels: { ...r.pods.labels } },
          },
        ]
      : [];
    this.named(r.name, [{ to: [...r.cidrs.map((cidr) => ({ ipBlock: { cidr } })), ...pods], ports: tcp(r.ports) }]);
  }

  private named(name: string, egress: { [key: string]: any }[]): NetworkPolicyV1 {
    const known = this.byName.get(name);
    if (known) return known;
    const p = this.policy(`Allow-${name}`, `allow-egress-${name}`, egress);
    this.byName.set(name, p);
    return p;
  }

  private policy(id: string, name: string, egress: { [key: string]: any }[] | undefined): NetworkPolicyV1 {
    const p = new NetworkPolicyV1(this, id, {
      provider: this.props.provider,
      metadata: { name, namespace: this.props.namespace, ...(this.props.labels ? { labels: { ...this.props.labels } } : {}) },
      spec: { podSelector: {}, policyTypes: ['Egress'], ...(egress ? { egress } : {}) },
      dependsOn: this.props.dependsOn,
    });
    this.policies.push(p);
    this.props.onPolicy(p);
    return p;
  }
}

/** TCP ports as NetworkPolicy ports. */
export function tcp(ports: number[]): { port: string; protocol: string }[] {
  return ports.map((p) => ({ port: Token.isUnresolved(p) ? Token.asString(p) : String(p), protocol: 'TCP' }));
}

/** ipBlock peers of IPv4 CIDRs, each with the metadata ranges it holds cut out. */
export function ipBlocks(cidrs: string[]): NetworkPolicyV1SpecEgressTo[] {
  return cidrs.map((cidr) => {
    const except = isToken(cidr) ? [] : METADATA_EXCEPT.filter((m) => strictlyContains(cidr, m));
    return { ipBlock: { cidr, ...(except.length ? { except } : {}) } };
  });
}

function egressOf(rule: EgressRule): { [key: string]: any } {
  return { to: ipBlocks(rule.cidrs ?? PRIVATE_RANGES), ports: tcp(rule.ports) };
}

/** Problems of egress rules, as `<prop> <value> <problem>; <fix>`. */
export function validateEgressRules(prop: string, rules: EgressRule[]): string[] {
  const out: string[] = [];
  if (isToken(rules)) return out;
  rules.forEach((r, i) => {
    const at = `${prop}[${i}]`;
    if (!isToken(r.ports) && (!r.ports || r.ports.length === 0))
      out.push(`${at}.ports ${shown(r.ports)} is empty; list the destination TCP ports, e.g. [5432]`);
    (isToken(r.ports) ? [] : (r.ports ?? [])).forEach((p, j) => {
      if (!isToken(p) && !(Number.isInteger(p) && p >= 1 && p <= 65535))
        out.push(`${at}.ports[${j}] ${p} is not a TCP port in 1-65535; use the destination port, e.g. 5432`);
    });
    (isToken(r.cidrs) ? [] : (r.cidrs ?? [])).forEach((c, j) => {
      if (isToken(c)) return;
      if (ipv4CidrPrefix(c) === undefined) out.push(`${at}.cidrs[${j}] ${shown(c)} is not an IPv4 CIDR; use the form 10.20.0.0/16`);
      else if (!hostBitsZero(c)) out.push(`${at}.cidrs[${j}] '${c}' has host bits set; use the network address, e.g. ${networkOf(c)}`);
      else if (METADATA_EXCEPT.some((m) => contains(m, c)))
        out.push(
          `${at}.cidrs[${j}] '${c}' is within the cloud metadata ranges (${METADATA_EXCEPT.join(', ')}), which pods must not reach; give pods cloud credentials through a workload identity (cluster.bindServiceAccount)`,
        );
    });
  });
  return out;
}

function ipv4(cidr: string): { base: number; prefix: number } {
  const [addr, len] = cidr.split('/');
  const base = addr.split('.').reduce((n, o) => n * 256 + Number(o), 0);
  return { base, prefix: Number(len) };
}

function masked(n: number, prefix: number): number {
  return prefix === 0 ? 0 : Math.floor(n / 2 ** (32 - prefix)) * 2 ** (32 - prefix);
}

function hostBitsZero(cidr: string): boolean {
  const { base, prefix } = ipv4(cidr);
  return masked(base, prefix) === base;
}

function networkOf(cidr: string): string {
  const { base, prefix } = ipv4(cidr);
  const n = masked(base, prefix);
  return `${[24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.')}/${prefix}`;
}

/** True when `outer` holds every address of `inner`. */
function contains(outer: string, inner: string): boolean {
  const o = ipv4(outer);
  const i = ipv4(inner);
  return i.prefix >= o.prefix && masked(i.base, o.prefix) === o.base;
}

/** Kubernetes requires each `except` to be a strict subset of its `cidr`. */
function strictlyContains(outer: string, inner: string): boolean {
  return ipv4CidrPrefix(outer) !== undefined && contains(outer, inner) && ipv4(inner).prefix > ipv4(outer).prefix;
}
