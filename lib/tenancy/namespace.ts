import { LimitRangeV1 } from '@cdktf/provider-kubernetes/lib/limit-range-v1';
import { NamespaceV1 } from '@cdktf/provider-kubernetes/lib/namespace-v1';
import { NetworkPolicyV1 } from '@cdktf/provider-kubernetes/lib/network-policy-v1';
import { ResourceQuotaV1 } from '@cdktf/provider-kubernetes/lib/resource-quota-v1';
import { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import { EgressRule, NamespaceEgress } from '../addons/egress';
import { ingressPolicy, namespaceResource, PLATFORM_NAMESPACE_LABEL, PodSecurityLevel } from '../addons/namespace';
import { IPlatformCluster } from '../core/cluster';
import { sameStack } from '../private/cluster-access';

/** Props of a TenantNamespace. */
export interface TenantNamespaceProps {
  /** The cluster. */
  readonly cluster: IPlatformCluster;
  /** Namespace name. */
  readonly name: string;
  /** Labels of the namespace and of every object in it (tenant, cost center). */
  readonly labels: { [key: string]: string };
  /** Pod Security Admission level enforced. */
  readonly podSecurity: PodSecurityLevel;
  /** Namespace of the Prometheus that scrapes the tenant's pods. */
  readonly monitoringNamespace: string;
  /**
   * ResourceQuota `spec.hard`, e.g. `{ 'requests.nvidia.com/gpu': '4' }`.
   * @default - no ResourceQuota
   */
  readonly hard?: { [key: string]: string };
  /**
   * What the namespace waits for besides the cluster (Kueue: on destroy the namespace, its pods and their
   * Kueue finalizers go while Kueue still runs).
   * @default - the cluster's add-on dependencies only
   */
  readonly dependsOn?: ITerraformDependable[];
  /**
   * Further destinations the tenant's pods may reach (TCP ports at CIDRs, the cloud metadata ranges cut
   * out), e.g. a data service: `{ ports: [5432] }`.
   * @default - none: DNS, the namespace itself, the platform namespaces and HTTPS only
   */
  readonly egress?: EgressRule[];
}

/** Labels of the Prometheus pods kube-prometheus-stack runs (set by the Prometheus operator). */
export const PROMETHEUS_POD_LABELS = { 'app.kubernetes.io/name': 'prometheus' };

/**
 * A team's namespace: Pod Security enforced, ingress denied except from the namespace itself and from
 * Prometheus (scraping), a ResourceQuota over accelerators and a LimitRange with default requests.
 *
 * Unlike a PlatformNamespace it carries no platform label, so platform policies do not admit it, and it
 * admits no other namespace: tenants never reach each other. Egress is denied but for DNS, the namespace
 * itself, the platform namespaces (whose ingress policies admit granted tenants only, e.g. to the RAG
 * router), HTTPS to anything but the cloud metadata endpoints (model hubs, object stores, cloud APIs),
 * the Pod Identity agent on EKS, and `egress`.
 */
export class TenantNamespace extends Construct {
  /** The namespace. */
  public readonly namespace: NamespaceV1;
  /** Namespace name. */
  public readonly name: string;
  /** The NetworkPolicies, by name. */
  public readonly networkPolicies: NetworkPolicyV1[] = [];
  /** The ResourceQuota, when `hard` is given. */
  public readonly resourceQuota?: ResourceQuotaV1;
  /** The LimitRange. */
  public readonly limitRange: LimitRangeV1;
  /** What workloads in the namespace wait for: the namespace, its policies, quota and limits. */
  public readonly dependables: ITerraformDependable[];

  constructor(scope: Construct, id: string, props: TenantNamespaceProps) {
    super(scope, id);
    const provider = props.cluster.providers(this).kubernetes;
    this.name = props.name;
    this.namespace = namespaceResource(this, {
      cluster: props.cluster,
      name: props.name,
      labels: props.labels,
      podSecurity: props.podSecurity,
      warnRestricted: true,
      dependsOn: sameStack(this, props.dependsOn ?? []),
    });
    const common = { provider, dependsOn: [this.namespace] };
    const metadata = (name: string) => ({ name, namespace: props.name, labels: { ...props.labels } });
    const policy = (id2: string, name: string, from: { [key: string]: any }[] | undefined) => {
      const p = ingressPolicy(this, id2, { ...common, namespace: props.name, name, labels: props.labels, from });
      this.networkPolicies.push(p);
      return p;
    };
    policy('DefaultDenyIngress', 'default-deny-ingress', undefined);
    policy('AllowSameNamespace', 'allow-same-namespace', [{ podSelector: {} }]);
    // Prometheus pods of the monitoring namespace only (not Grafana or anything else that runs there).
    policy('AllowMonitoring', 'allow-monitoring-scrape', [
      {
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': props.monitoringNamespace } },
        podSelector: { matchLabels: { ...PROMETHEUS_POD_LABELS } },
      },
    ]);
    new NamespaceEgress(this, 'Egress', {
      cluster: props.cluster,
      provider,
      namespace: props.name,
      labels: props.labels,
      dependsOn: [this.namespace],
      platformSelector: { [PLATFORM_NAMESPACE_LABEL.key]: PLATFORM_NAMESPACE_LABEL.value },
      rules: props.egress,
      // Later policies (allows requested for the namespace) are waited for by what comes after them.
      onPolicy: (p) => {
        this.networkPolicies.push(p);
        this.dependables?.push(p);
      },
    });
    if (props.hard && Object.keys(props.hard).length) {
      this.resourceQuota = new ResourceQuotaV1(this, 'Quota', {
        ...common,
        metadata: metadata('accelerators'),
        spec: { hard: props.hard },
      });
    }
    // Default requests for containers that state none, so Kueue and the scheduler count them. No default
    // limit: a container requesting more memory than a default limit would be refused.
    this.limitRange = new LimitRangeV1(this, 'Limits', {
      ...common,
      metadata: metadata('defaults'),
      spec: { limit: [{ type: 'Container', defaultRequest: { cpu: '100m', memory: '256Mi' } }] },
    });
    this.dependables = [this.namespace, ...this.networkPolicies, ...(this.resourceQuota ? [this.resourceQuota] : []), this.limitRange];
  }
}
