import { IConstruct, Node } from 'constructs';
import type { IWorkloadIdentity } from '../core/cluster';
import type { IObjectEventQueue, KedaTriggerSpec } from '../core/data-services';

/**
 * The queue returned when `addObjectEvents` is called on a store another cloud (or a custom implementation)
 * made: it builds nothing and grants nothing, so the rest of the app is still built and checked in the same
 * run; the caller reports the problem. Shared by the clouds' object events.
 */
export class UnavailableObjectEventQueue implements IObjectEventQueue {
  public readonly queueName = '';
  public readonly queueUrl = '';
  public readonly node: Node;

  constructor(scope: IConstruct) {
    this.node = scope.node;
  }

  public grantConsume(_identity: IWorkloadIdentity): void {}
  public grantMonitor(_identity: IWorkloadIdentity): void {}
  public kedaTrigger(targetLength: number): KedaTriggerSpec {
    return { type: '', metadata: { queueLength: String(targetLength) }, podIdentityProvider: '' };
  }
}
