/**
 * Annotations of a LoadBalancer Service on EKS, read by the in-tree AWS cloud provider (the library installs
 * no AWS Load Balancer Controller): a Network Load Balancer, internal unless asked otherwise, in the subnets
 * tagged `kubernetes.io/role/internal-elb` (private) or `kubernetes.io/role/elb` (public), which the
 * library's VPC carries. The Service's `loadBalancerSourceRanges` become rules of the nodes' security group.
 */
export function eksLoadBalancerAnnotations(internal: boolean): { [key: string]: string } {
  return {
    'service.beta.kubernetes.io/aws-load-balancer-type': 'nlb',
    ...(internal ? { 'service.beta.kubernetes.io/aws-load-balancer-internal': 'true' } : {}),
  };
}
