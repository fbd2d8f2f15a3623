import { lazyModule } from '../../private/lazy';
import type { SqsQueue } from '@cdktf/provider-aws/lib/sqs-queue';
import { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';

const sqsQueueLib = lazyModule<typeof import('@cdktf/provider-aws/lib/sqs-queue')>('@cdktf/provider-aws/lib/sqs-queue');
const sqsQueuePolicyLib = lazyModule<typeof import('@cdktf/provider-aws/lib/sqs-queue-policy')>('@cdktf/provider-aws/lib/sqs-queue-policy');
const cloudwatchEventRuleLib = lazyModule<typeof import('@cdktf/provider-aws/lib/cloudwatch-event-rule')>(
  '@cdktf/provider-aws/lib/cloudwatch-event-rule',
);
const cloudwatchEventTargetLib = lazyModule<typeof import('@cdktf/provider-aws/lib/cloudwatch-event-target')>(
  '@cdktf/provider-aws/lib/cloudwatch-event-target',
);

/** Options of Karpenter's interruption queue. */
export interface KarpenterInterruptionQueueProps {
  /** The cluster's name (at most 38 characters): the queue is '<cluster>-karpenter', rules '<cluster>-kp-<event>'. */
  readonly clusterName: string;
  /** Tags. */
  readonly tags: { [key: string]: string };
}

/** EventBridge rules whose events Karpenter acts on, by construct id (Karpenter's reference CloudFormation). */
export const KARPENTER_INTERRUPTION_EVENTS: { [id: string]: { source: string; detailType: string } } = {
  ScheduledChange: { source: 'aws.health', detailType: 'AWS Health Event' },
  SpotInterruption: { source: 'aws.ec2', detailType: 'EC2 Spot Instance Interruption Warning' },
  Rebalance: { source: 'aws.ec2', detailType: 'EC2 Instance Rebalance Recommendation' },
  InstanceStateChange: { source: 'aws.ec2', detailType: 'EC2 Instance State-change Notification' },
  CapacityReservation: { source: 'aws.ec2', detailType: 'EC2 Capacity Reservation Instance Interruption Warning' },
};

/**
 * The SQS queue (SSE, 5-minute retention: a stale interruption is useless) that EventBridge feeds with spot
 * interruption warnings, rebalance recommendations, scheduled maintenance and instance state changes, so
 * Karpenter cordons and drains a node in the two minutes before EC2 reclaims it.
 */
export class KarpenterInterruptionQueue extends Construct {
  /** The queue. */
  public readonly queue: SqsQueue;
  /** Queue, policy and rules: what the controller waits for (and outlives on destroy). */
  public readonly dependables: ITerraformDependable[];

  constructor(scope: Construct, id: string, props: KarpenterInterruptionQueueProps) {
    super(scope, id);
    this.queue = new (sqsQueueLib().SqsQueue)(this, 'Resource', {
      name: `${props.clusterName}-karpenter`,
      messageRetentionSeconds: 300,
      sqsManagedSseEnabled: true,
      tags: props.tags,
    });
    const policy = new (sqsQueuePolicyLib().SqsQueuePolicy)(this, 'Policy', {
      queueUrl: this.queue.url,
      policy: JSON.stringify({
        Version: '2012-10-17',
        Id: 'EC2InterruptionPolicy',
        Statement: [
          {
            Sid: 'EventsSend',
            Effect: 'Allow',
            Principal: { Service: ['events.amazonaws.com', 'sqs.amazonaws.com'] },
            Action: 'sqs:SendMessage',
            Resource: this.queue.arn,
          },
          {
            Sid: 'DenyHTTP',
            Effect: 'Deny',
            Principal: '*',
            Action: 'sqs:*',
            Resource: this.queue.arn,
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          },
        ],
      }),
    });
    this.dependables = [this.queue, policy];
    for (const [ruleId, e] of Object.entries(KARPENTER_INTERRUPTION_EVENTS)) {
      const rule = new (cloudwatchEventRuleLib().CloudwatchEventRule)(this, ruleId, {
        name: `${props.clusterName}-kp-${ruleId}`,
        description: `Karpenter interruption handling: ${e.detailType}`,
        eventPattern: JSON.stringify({ source: [e.source], 'detail-type': [e.detailType] }),
        tags: props.tags,
      });
      const target = new (cloudwatchEventTargetLib().CloudwatchEventTarget)(this, `${ruleId}Target`, {
        rule: rule.name,
        targetId: 'KarpenterInterruptionQueueTarget',
        arn: this.queue.arn,
      });
      this.dependables.push(target);
    }
  }
}
