import { NamespaceV1 } from '@cdktf/provider-kubernetes/lib/namespace-v1';
import { NetworkPolicyV1 } from '@cdktf/provider-kubernetes/lib/network-policy-v1';
import { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import { ITerraformDependable, Token } from 'cdktf';
import { Construct } from 'constructs';
import { IPlatformCluster } from '../core/cluster';
import { EgressRule, NamespaceEgress } from './egress';
import { SecuritySuppressions } from '../policy/suppressions';
import { podSecurityNeedsReason } from '../private/pod-security';
import { reportProblems } from '../private/problems';
import { K8sName, validateK8sName, validateLabels, validateWholeNumber } from '../private/validation';

/** Label every platform namespace carries; platform components (Prometheus) are let in by it. */
export const PLATFORM_NAMESPACE_LABEL = { key: 'app.kubernetes.io/part-of', value: 'ai-platform' };

/** Pod Security Admission levels. */
export enum PodSecurityLevel {
  /** No restrictions: node agents that need host access (drivers, exporters). */
  PRIVILEGED = 'privileged',
  /** Prevents known privilege escalations. */
  BASELINE = 'baseline',
  /** Hardened pod settings. */
  RESTRICTED = 'restricted',
}

/** A TCP port that any source may reach (webhooks called by the API server). */
export interface OpenPort {
  /** Pod labels the rule applies to. */
  readonly podLabels: { [key: string]: string };
  /** Container port. */
  readonly port: number;
}

/** Options of a platform namespace. */
export interface PlatformNamespaceProps {
  /** The cluster. */
  readonly cluster: IPlatformCluster;
  /** Namespace name. */
  readonly name: string;
  /** Pod Security Admission level enforced. */
  readonly podSecurity: PodSecurityLevel;
  /**
   * Why the namespace cannot enforce `restricted` (which pod needs what from the host). With
   * `PodSecurityLevel.PRIVILEGED` it is recorded as the reason of a `k8s-pod-security-enforce` suppression
   * of `PlatformSecurityChecks`, so reviewers find it in the synthesized JSON; without it the checks warn.
   * @default - none: a privileged namespace draws the security checks' warning
   */
  readonly podSecurityReason?: string;
  /**
   * Ports reachable from anywhere (the API server calling a webhook is not a pod).
   * @default - none
   */
  readonly openPorts?: OpenPort[];
  /**
   * Admit every other platform namespace (to all pods). Turn off for namespaces whose pods must be reached
   * only through chosen ports (model servers behind a router).
   * @default true
   */
  readonly admitPlatformNamespaces?: boolean;
  /**
   * Further namespaces admitted to all pods, by name (e.g. 'monitoring' for scraping).
   * @default - none
   */
  readonly admitNamespaces?: string[];
  /**
   * Let pods open connections to the pods of every other platform namespace, each of which admits what it
   * wants by its own ingress policies (model endpoints admit granted namespaces only): the RAG router, the
   * feature server, Prometheus queries, the trace collector.
   * @default true
   */
  readonly egressToPlatformNamespaces?: boolean;
  /**
   * Further destinations pods may reach (TCP ports at CIDRs; the cloud metadata ranges are cut out of
   * every CIDR). Egress is denied by default; DNS, the namespace itself and HTTPS (443) to anything but the
   * metadata endpoints are always allowed.
   * @default - none
   */
  readonly egress?: EgressRule[];
  /**
   * Further labels of the namespace (the platform's own label is always set).
   * @default - none
   */
  readonly labels?: { [key: string]: string };
}

/**
 * A namespace for platform components: Pod Security Admission enforced at the given level (audited at
 * 'restricted'), and a default-deny ingress policy with the allows platform workloads need: traffic
 * inside the namespace and from other platform namespaces (monitoring scrapes), plus webhook ports.
 * Egress is denied too, but for DNS, the namespace itself, HTTPS to anything but the cloud metadata
 * endpoints (the API server, model store, cloud APIs) and what the props and `allowEgress` add (see
 * NamespaceEgress for how the EKS and AKS policy engines read these).
 */
export class PlatformNamespace extends Construct {
  /** The namespace. */
  public readonly namespace: NamespaceV1;
  /** Namespace name. */
  public readonly name: string;
  /** What workloads in the namespace wait for: the namespace and its policies. */
  public readonly dependables: ITerraformDependable[];
  private readonly egressPolicies: NamespaceEgress;

  constructor(scope: Construct, id: string, props: PlatformNamespaceProps) {
    super(scope, id);
    reportProblems(this, validateNamespace(props));
    const provider = props.cluster.providers(this).kubernetes;
    this.name = props.name;
    this.namespace = namespaceResource(this, {
      cluster: props.cluster,
      name: props.name,
      labels: { ...props.labels, [PLATFORM_NAMESPACE_LABEL.key]: PLATFORM_NAMESPACE_LABEL.value },
      podSecurity: props.podSecurity,
      podSecurityReason: props.podSecurityReason,
    });
    const inNamespace = { provider, namespace: props.name, dependsOn: [this.namespace] };
    const deny = ingressPolicy(this, 'DefaultDenyIngress', { ...inNamespace, name: 'default-deny-ingress' });
    const admitPlatform = props.admitPlatformNamespaces ?? true;
    const allow = ingressPolicy(this, 'AllowPlatform', {
      ...inNamespace,
      name: admitPlatform ? 'allow-same-namespace-and-platform' : 'allow-same-namespace',
      from: [
        { podSelector: {} },
        ...(admitPlatform
          ? [{ namespaceSelector: { matchLabels: { [PLATFORM_NAMESPACE_LABEL.key]: PLATFORM_NAMESPACE_LABEL.value } } }]
          : []),
        ...(props.admitNamespaces ?? []).map((n) => ({ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': n } } })),
      ],
    });
    this.dependables = [this.namespace, deny, allow];
    this.egressPolicies = new NamespaceEgress(this, 'Egress', {
      cluster: props.cluster,
      provider,
      namespace: props.name,
      dependsOn: [this.namespace],
      platformSelector:
        (props.egressToPlatformNamespaces ?? true) ? { [PLATFORM_NAMESPACE_LABEL.key]: PLATFORM_NAMESPACE_LABEL.value } : undefined,
      rules: props.egress,
      // Allows requested later (a Pod Identity bound, a data service granted) are waited for from then on.
      onPolicy: (p) => this.dependables.push(p),
    });
    (props.openPorts ?? []).forEach((p, i, all) => {
      // Two workloads on one port (two webhooks on 9443) get a policy each, apart by index.
      const first = all.findIndex((o) => o.port === p.port) === i;
      this.dependables.push(
        ingressPolicy(this, `OpenPort${i}`, {
          ...inNamespace,
          name: first ? `allow-port-${p.port}` : `allow-port-${p.port}-${i}`,
          podLabels: p.podLabels,
          ports: [{ port: String(p.port), protocol: 'TCP' }],
        }),
      );
    });
  }

  /**
   * Allows pods one more destination (a data service bound after the namespace) as NetworkPolicy
   * `allow-egress-<name>`, once per name; what waits for `dependables` from now on waits for it too.
   */
  public allowEgress(name: string, rule: EgressRule): NetworkPolicyV1 {
    return this.egressPolicies.allow(name, rule);
  }
}

/** Namespaces every cluster has: creating one fails ("already exists"). */
const BUILT_IN = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

/**
 * Namespaces the platform's own add-ons install into by default (GPU operator, KEDA, Kueue): what runs
 * there is the platform's, so no team gets one.
 */
const ADD_ONS = ['gpu-operator', 'keda', 'kueue-system', 'envoy-gateway-system'];

/** The one list of names a namespace of its own must not take. */
export const RESERVED_NAMESPACES: readonly string[] = [...BUILT_IN, ...ADD_ONS];

/** A namespace every cluster has (creating it fails), or one the platform's add-ons install into. */
export function isReservedNamespace(name: string): boolean {
  return RESERVED_NAMESPACES.includes(name) || name.startsWith('kube-');
}

/** What every namespace of the library is made of, platform or tenant. */
export interface NamespaceResourceProps {
  readonly cluster: IPlatformCluster;
  readonly name: string;
  /** The namespace's own labels, before the Pod Security ones. */
  readonly labels: { [key: string]: string };
  readonly podSecurity: PodSecurityLevel;
  /**
   * See PlatformNamespaceProps.podSecurityReason.
   * @default - no suppression: the security checks warn on a privileged namespace
   */
  readonly podSecurityReason?: string;
  /**
   * Also warn (kubectl, API responses) about pods that break 'restricted'.
   * @default false
   */
  readonly warnRestricted?: boolean;
  /**
   * What the namespace waits for besides the cluster's add-on dependencies.
   * @default - the cluster's add-on dependencies only
   */
  readonly dependsOn?: ITerraformDependable[];
}

/**
 * The Namespace (id `Resource`), with its labels and Pod Security: `podSecurity` enforced, 'restricted'
 * audited. The one place a Pod Security exception is granted: a privileged namespace's reason becomes a
 * `k8s-pod-security-enforce` suppression; without one the security checks warn.
 */
export function namespaceResource(scope: Construct, props: NamespaceResourceProps): NamespaceV1 {
  const namespace = new NamespaceV1(scope, 'Resource', {
    provider: props.cluster.providers(scope).kubernetes,
    metadata: {
      name: props.name,
      labels: {
        ...props.labels,
        'pod-security.kubernetes.io/enforce': props.podSecurity,
        'pod-security.kubernetes.io/audit': PodSecurityLevel.RESTRICTED,
        ...(props.warnRestricted ? { 'pod-security.kubernetes.io/warn': PodSecurityLevel.RESTRICTED } : {}),
      },
    },
    dependsOn: [...props.cluster.addonDependencies(scope), ...(props.dependsOn ?? [])],
  });
  if (props.podSecurityReason !== undefined && !Token.isUnresolved(props.podSecurity) && podSecurityNeedsReason(props.podSecurity))
    SecuritySuppressions.addSuppressions(namespace, [{ id: 'k8s-pod-security-enforce', reason: props.podSecurityReason }]);
  return namespace;
}

/** An ingress NetworkPolicy of a namespace. */
export interface IngressPolicyProps {
  readonly provider: KubernetesProvider;
  readonly namespace: string;
  /** The policy's name. */
  readonly name: string;
  /**
   * Labels of the policy object.
   * @default - none
   */
  readonly labels?: { [key: string]: string };
  readonly dependsOn: ITerraformDependable[];
  /**
   * Pods the policy selects: all when unset.
   * @default - every pod of the namespace
   */
  readonly podLabels?: { [key: string]: string };
  /**
   * Peers admitted (an ingress rule `from`).
   * @default - no peer rule
   */
  readonly from?: { [key: string]: any }[];
  /**
   * Ports admitted from anywhere (an ingress rule `ports`).
   * @default - no port rule
   */
  readonly ports?: { [key: string]: any }[];
}

/** An ingress NetworkPolicy: without `from` or `ports` it admits nothing (default deny). */
export function ingressPolicy(scope: Construct, id: string, props: IngressPolicyProps): NetworkPolicyV1 {
  const rule = props.from ? { from: props.from } : props.ports ? { ports: props.ports } : undefined;
  return new NetworkPolicyV1(scope, id, {
    provider: props.provider,
    metadata: { name: props.name, namespace: props.namespace, ...(props.labels ? { labels: { ...props.labels } } : {}) },
    spec: {
      podSelector: props.podLabels ? { matchLabels: { ...props.podLabels } } : {},
      policyTypes: ['Ingress'],
      ...(rule ? { ingress: [rule] } : {}),
    },
    dependsOn: props.dependsOn,
  });
}

function validateNamespace(props: PlatformNamespaceProps): string[] {
  const out = validateK8sName('name', props.name, K8sName.LABEL, 'serving');
  if (BUILT_IN.includes(props.name))
    out.push(`name '${props.name}' is a namespace every cluster has, so creating it fails; use a namespace of your own, e.g. 'serving'`);
  (props.admitNamespaces ?? []).forEach((n, i) => out.push(...validateK8sName(`admitNamespaces[${i}]`, n, K8sName.LABEL, 'monitoring')));
  (props.openPorts ?? []).forEach((p, i) => {
    out.push(...validateWholeNumber(`openPorts[${i}].port`, p.port, 1, 65535, 'use the container port, e.g. 8000'));
    out.push(...validateLabels(`openPorts[${i}].podLabels`, p.podLabels));
  });
  // egress rules are checked by NamespaceEgress.
  return out;
}
