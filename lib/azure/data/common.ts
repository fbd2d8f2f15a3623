import { IConstruct } from 'constructs';
import { IWorkloadIdentity } from '../../core/cluster';
import { RemovalPolicy } from '../../core/data-services';
import { Duration } from '../../core/duration';
import { reportProblems } from '../../private/problems';
import { FederatedWorkloadIdentity } from '../workload-identity';

/** True when the service is to be destroyed with its data (RemovalPolicy.DESTROY); RETAIN otherwise. */
export function isThrowaway(policy: RemovalPolicy | undefined): boolean {
  return policy === RemovalPolicy.DESTROY;
}

/**
 * Tags of a service: the cluster's, plus `throwaway = "true"` for RemovalPolicy.DESTROY (the convention that
 * says the missing deletion protection is deliberate).
 */
export function serviceTags(tags: { [key: string]: string }, throwaway: boolean): { [key: string]: string } {
  return throwaway ? { ...tags, throwaway: 'true' } : { ...tags };
}

/** `lifecycle.prevent_destroy` for RETAIN, nothing for DESTROY. */
export function retainLifecycle(throwaway: boolean): { preventDestroy: boolean } | undefined {
  return throwaway ? undefined : { preventDestroy: true };
}

/**
 * The identity as an Azure workload identity, or undefined after reporting that it is not one (an EKS Pod
 * Identity, or an identity of another kind): Azure RBAC and Entra logins need a managed identity.
 */
export function azureIdentity(scope: IConstruct, method: string, identity: IWorkloadIdentity): FederatedWorkloadIdentity | undefined {
  if (identity instanceof FederatedWorkloadIdentity) return identity;
  reportProblems(scope, [
    `${method} identity ${identity.node.path} is not an Azure workload identity; bind the service account with cluster.bindServiceAccount on this AKS cluster`,
  ]);
  return undefined;
}

/** The duration in whole days, or undefined when it is not a whole number of days. */
export function wholeDays(duration: Duration): number | undefined {
  const days = duration.toMilliseconds() / 86_400_000;
  return Number.isInteger(days) ? days : undefined;
}
