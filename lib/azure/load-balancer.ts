/**
 * Annotations of a LoadBalancer Service on AKS: the internal Azure load balancer (a private address of the
 * node subnet) unless asked otherwise; a public one takes `loadBalancerSourceRanges` as rules of the node
 * network security group.
 */
export function aksLoadBalancerAnnotations(internal: boolean): { [key: string]: string } {
  return internal ? { 'service.beta.kubernetes.io/azure-load-balancer-internal': 'true' } : {};
}
