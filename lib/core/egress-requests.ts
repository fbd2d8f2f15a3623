import { IConstruct } from 'constructs';
import type { IWorkloadIdentity } from './cluster';

/** The private IPv4 ranges (RFC 1918), where the data services' private endpoints are. */
export const PRIVATE_RANGES = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'];

/**
 * Egress that pods of one namespace need because of something bound to it elsewhere: the EKS Pod Identity
 * agent for a service account bound to an IAM role, a data service a grant lets the namespace's identity
 * log in to. Namespaces the library creates deny egress by default and allow what is requested for them;
 * for other namespaces a request does nothing (their egress is the owner's).
 */
export interface EgressRequest {
  /** Namespace whose pods need the egress. */
  readonly namespace: string;
  /** Short name; the namespace allows it as NetworkPolicy `allow-egress-<name>`, once per name. */
  readonly name: string;
  /** Destination CIDRs (IPv4 or IPv6); empty when `pods` names the destination. */
  readonly cidrs: string[];
  /**
   * Destination pods, by namespace name and pod labels: for in-cluster destinations, which Cilium (AKS) does
   * not match by CIDR.
   * @default - the CIDRs only
   */
  readonly pods?: { readonly namespace: string; readonly labels: { [key: string]: string } };
  /** Destination TCP ports (may be tokens). */
  readonly ports: number[];
}

type Listener = (request: EgressRequest) => void;

/** Keyed by the cluster (the IPlatformCluster construct): namespaces of the same name on two clusters stay apart. */
const requests = new WeakMap<IConstruct, EgressRequest[]>();
const listeners = new WeakMap<IConstruct, { namespace: string; listener: Listener }[]>();
/**
 * The cluster that bound each workload identity. A grant on a data service sees the identity only (the cloud's
 * implementation knows the cloud cluster, not the platform cluster requests are keyed by): the binding links them.
 */
const boundOn = new WeakMap<IConstruct, IConstruct>();

/**
 * Asks for egress from a namespace of `cluster`; the namespace's policies are created whenever the library
 * creates that namespace, before or after the request.
 */
export function requestEgress(cluster: IConstruct, request: EgressRequest): void {
  requests.set(cluster, [...(requests.get(cluster) ?? []), request]);
  for (const l of listeners.get(cluster) ?? []) if (l.namespace === request.namespace) l.listener(request);
}

/** Calls `listener` with every request for `namespace` of `cluster`: the past ones now, later ones as they come. */
export function onEgressRequest(cluster: IConstruct, namespace: string, listener: Listener): void {
  listeners.set(cluster, [...(listeners.get(cluster) ?? []), { namespace, listener }]);
  for (const r of requests.get(cluster) ?? []) if (r.namespace === namespace) listener(r);
}

/**
 * `cluster` bound `identity` to a service account of `namespace`: later grants to the identity ask `cluster`,
 * and the namespace, if the library created it (egress denied), allows the identity's credential endpoints
 * (the EKS Pod Identity agent).
 */
export function requestBindingEgress(cluster: IConstruct, namespace: string, identity: IWorkloadIdentity): void {
  boundOn.set(identity, cluster);
  for (const e of identity.credentialEndpoints ?? [])
    requestEgress(cluster, { namespace, name: e.name, cidrs: [...e.cidrs], ports: [e.port] });
}

/**
 * A grant on a data service in the cluster's private network (`name`: 'postgres', 'cache') lets the
 * identity's pods reach it: their namespace, on the cluster that bound the identity, allows `port` to the
 * private ranges if the library created it. Data services call it from their grants, so every service of
 * every cloud asks the same way. `cluster`, where the caller knows one (the public data-service constructs
 * do), is asked too: an identity bound through an escape hatch (the cloud cluster's own binding, a second
 * handle on the same cluster) still gets its egress there. An identity nobody bound, granted on a service
 * with no platform cluster, asks nothing: no namespace of the library is known to hold its pods.
 */
export function requestGrantEgress(identity: IWorkloadIdentity, name: string, port: number, cluster?: IConstruct): void {
  const clusters = new Set<IConstruct>();
  const bound = boundOn.get(identity);
  if (bound) clusters.add(bound);
  if (cluster) clusters.add(cluster);
  for (const c of clusters) requestEgress(c, { namespace: identity.namespace, name, cidrs: [...PRIVATE_RANGES], ports: [port] });
}
