import type { S3BucketNotification, S3BucketNotificationQueue } from '@cdktf/provider-aws/lib/s3-bucket-notification';
import type { SqsQueue } from '@cdktf/provider-aws/lib/sqs-queue';
import type { SqsQueuePolicy } from '@cdktf/provider-aws/lib/sqs-queue-policy';
import { dependable } from 'cdktf';
import { Construct, IConstruct } from 'constructs';
import { IWorkloadIdentity } from '../../core/cluster';
import { IObjectEventQueue, IObjectStore, KedaTriggerSpec, ObjectEventsOptions } from '../../core/data-services';
import { Duration } from '../../core/duration';
import { lazyModule } from '../../private/lazy';
import { UnavailableObjectEventQueue } from '../../private/object-events';
import { reportProblems } from '../../private/problems';
import { isToken } from '../../private/validation';
import { awsContext } from '../account';
import { physicalName, podIdentityOf, problemSubject, serviceId, shortHash } from './common';
import { S3ObjectStore } from './s3';

const dataAwsIamPolicyDocumentLib = lazyModule<typeof import('@cdktf/provider-aws/lib/data-aws-iam-policy-document')>(
  '@cdktf/provider-aws/lib/data-aws-iam-policy-document',
);
const s3BucketNotificationLib = lazyModule<typeof import('@cdktf/provider-aws/lib/s3-bucket-notification')>(
  '@cdktf/provider-aws/lib/s3-bucket-notification',
);
const sqsQueueLib = lazyModule<typeof import('@cdktf/provider-aws/lib/sqs-queue')>('@cdktf/provider-aws/lib/sqs-queue');
const sqsQueuePolicyLib = lazyModule<typeof import('@cdktf/provider-aws/lib/sqs-queue-policy')>('@cdktf/provider-aws/lib/sqs-queue-policy');
const sqsQueueRedriveAllowPolicyLib = lazyModule<typeof import('@cdktf/provider-aws/lib/sqs-queue-redrive-allow-policy')>(
  '@cdktf/provider-aws/lib/sqs-queue-redrive-allow-policy',
);

/** SQS message retention limits: 60 seconds to 14 days. */
const MIN_RETENTION = Duration.seconds(60);
const MAX_RETENTION = Duration.days(14);
/** How long a received message stays invisible to other consumers before it is delivered again. */
const VISIBILITY_TIMEOUT_SECONDS = 300;
/** Deliveries of one message before it moves to the dead-letter queue. */
const MAX_RECEIVE_COUNT = 5;
/** The event S3 sends for every new object (PUT, POST, COPY, completed multipart upload). */
const OBJECT_CREATED = 's3:ObjectCreated:*';

/** Props of SqsObjectEventQueue. */
export interface SqsObjectEventQueueProps extends ObjectEventsOptions {
  /** The bucket whose new objects are announced (made by the same cluster's data services). */
  readonly store: S3ObjectStore;
  /** Cluster name (may be a token): queue names start with it. */
  readonly clusterName: string;
  /** Tags for every resource. */
  readonly tags: { [key: string]: string };
}

/** Problems of object-event options on either cloud (`<prop> <value> <problem>; <fix>`). */
function validateObjectEventsOptions(options: ObjectEventsOptions, limits: { min: Duration; max: Duration }): string[] {
  const out: string[] = [];
  const prefix = options.prefix;
  if (prefix !== undefined && !isToken(prefix) && prefix.startsWith('/'))
    out.push(`prefix '${prefix}' starts with '/', but object keys do not; drop the leading '/', e.g. '${prefix.replace(/^\/+/, '')}'`);
  const r = options.retention;
  if (r !== undefined && (r.isShorterThan(limits.min) || limits.max.isShorterThan(r) || r.toMilliseconds() % 1000 !== 0))
    out.push(`retention ${r} is not a whole number of seconds between ${limits.min} and ${limits.max}; use e.g. Duration.days(4)`);
  return out;
}

/** Problems of a KEDA target length: a whole number of messages per replica, at least 1. */
function validateTargetLength(targetLength: number): string[] {
  if (Number.isInteger(targetLength) && targetLength >= 1) return [];
  return [`kedaTrigger targetLength ${targetLength} is not a whole number of messages of at least 1; pass e.g. 5`];
}

/** True when one prefix is a prefix of the other ('' and undefined match every key). */
function overlaps(a: string, b: string): boolean {
  return a.startsWith(b) || b.startsWith(a);
}

/** The one notification configuration of a bucket and the queues it sends to. */
interface BucketEvents {
  readonly resource: S3BucketNotification;
  readonly queues: { subject: IConstruct; prefix: string | undefined; config: S3BucketNotificationQueue }[];
}

const bucketEvents = new WeakMap<S3ObjectStore, BucketEvents>();

/**
 * The bucket's notification configuration. S3 keeps ONE per bucket and aws_s3_bucket_notification replaces it
 * whole, so every event queue of the bucket is a `queue` block of a single resource, created with the first
 * queue under the bucket's construct (id 'Notification'): adding or removing a queue never moves it.
 */
function notificationOf(store: S3ObjectStore): BucketEvents {
  let events = bucketEvents.get(store);
  if (!events) {
    const resource = new (s3BucketNotificationLib().S3BucketNotification)(store, 'Notification', { bucket: store.bucket.id });
    events = { resource, queues: [] };
    bucketEvents.set(store, events);
  }
  return events;
}

/**
 * A queue receiving an S3 event for each object created in a bucket: an SQS queue encrypted with SQS-managed
 * keys (SSE-SQS), TLS only, that only the bucket (in this account) may send to, with a dead-letter queue after
 * 5 failed deliveries; plus a `queue` entry in the bucket's one notification configuration, written after
 * the queue policy (S3 validates the destination when the configuration is written).
 *
 * SSE-SQS rather than KMS: S3 cannot publish to a queue encrypted with the AWS managed key `aws/sqs` (its key
 * policy cannot be changed to admit s3.amazonaws.com), and a customer-managed key would need a key policy for
 * S3 plus kms:Decrypt for every consumer; SSE-SQS encrypts at rest with no key permissions at all.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/grant-destinations-permissions-to-s3.html
 */
export class SqsObjectEventQueue extends Construct implements IObjectEventQueue {
  public readonly queueName: string;
  public readonly queueUrl: string;
  /** The queue. */
  public readonly queue: SqsQueue;
  /** Where messages go after 5 failed deliveries (kept 14 days). */
  public readonly deadLetterQueue: SqsQueue;
  /** The queue's policy: S3 of this bucket may send, nothing without TLS. */
  public readonly queuePolicy: SqsQueuePolicy;
  private readonly subject: IConstruct;
  private readonly consumers = new Set<string>();
  private readonly monitors = new Set<string>();

  constructor(scope: Construct, id: string, props: SqsObjectEventQueueProps) {
    super(scope, id);
    this.subject = problemSubject(this);
    reportProblems(this.subject, validateObjectEventsOptions(props, { min: MIN_RETENTION, max: MAX_RETENTION }));
    const retention = props.retention ?? Duration.days(4);
    const retentionSeconds = Math.min(Math.max(Math.round(retention.toSeconds()), 60), MAX_RETENTION.toSeconds());
    const store = props.store;
    const tags = store.bucket.tagsInput?.throwaway === 'true' ? { ...props.tags, throwaway: 'true' } : { ...props.tags };
    const ctx = awsContext(this);
    const hash = shortHash(this.subject.node.path);
    // SQS names: 1-80 letters, digits, '-' and '_'; 4 left for the dead-letter suffix.
    const name = physicalName([props.clusterName, serviceId(store), this.subject.node.id], hash, 76);

    this.deadLetterQueue = new (sqsQueueLib().SqsQueue)(this, 'DeadLetterQueue', {
      name: `${name}-dlq`,
      sqsManagedSseEnabled: true,
      messageRetentionSeconds: MAX_RETENTION.toSeconds(),
      tags,
    });
    this.queue = new (sqsQueueLib().SqsQueue)(this, 'Queue', {
      name,
      sqsManagedSseEnabled: true,
      messageRetentionSeconds: retentionSeconds,
      visibilityTimeoutSeconds: VISIBILITY_TIMEOUT_SECONDS,
      // Long polling: consumers wait for messages instead of paying for empty receives.
      receiveWaitTimeSeconds: 20,
      redrivePolicy: JSON.stringify({ deadLetterTargetArn: this.deadLetterQueue.arn, maxReceiveCount: MAX_RECEIVE_COUNT }),
      tags,
    });
    // Only this queue may move messages into the dead-letter queue.
    new (sqsQueueRedriveAllowPolicyLib().SqsQueueRedriveAllowPolicy)(this, 'DeadLetterRedriveAllow', {
      queueUrl: this.deadLetterQueue.url,
      redriveAllowPolicy: JSON.stringify({ redrivePermission: 'byQueue', sourceQueueArns: [this.queue.arn] }),
    });

    const denyInsecure = (arn: string) => ({
      sid: 'DenyInsecureTransport',
      effect: 'Deny',
      principals: [{ type: '*', identifiers: ['*'] }],
      actions: ['sqs:*'],
      resources: [arn],
      condition: [{ test: 'Bool', variable: 'aws:SecureTransport', values: ['false'] }],
    });
    const queuePolicy = new (dataAwsIamPolicyDocumentLib().DataAwsIamPolicyDocument)(this, 'QueuePolicyDocument', {
      statement: [
        {
          sid: 'AllowObjectCreatedEventsOfTheBucket',
          effect: 'Allow',
          principals: [{ type: 'Service', identifiers: ['s3.amazonaws.com'] }],
          actions: ['sqs:SendMessage'],
          resources: [this.queue.arn],
          // Confused-deputy guard: this bucket, owned by this account (bucket names can be re-created elsewhere).
          condition: [
            { test: 'ArnLike', variable: 'aws:SourceArn', values: [store.bucket.arn] },
            { test: 'StringEquals', variable: 'aws:SourceAccount', values: [ctx.caller.accountId] },
          ],
        },
        denyInsecure(this.queue.arn),
      ],
    });
    this.queuePolicy = new (sqsQueuePolicyLib().SqsQueuePolicy)(this, 'QueuePolicy', {
      queueUrl: this.queue.url,
      policy: queuePolicy.json,
    });
    const dlqPolicy = new (dataAwsIamPolicyDocumentLib().DataAwsIamPolicyDocument)(this, 'DeadLetterPolicyDocument', {
      statement: [denyInsecure(this.deadLetterQueue.arn)],
    });
    new (sqsQueuePolicyLib().SqsQueuePolicy)(this, 'DeadLetterPolicy', { queueUrl: this.deadLetterQueue.url, policy: dlqPolicy.json });

    this.addToNotification(store, props.prefix, hash);
    this.queueName = name;
    this.queueUrl = this.queue.url;
  }

  public grantConsume(identity: IWorkloadIdentity): void {
    const binding = podIdentityOf(this.subject, identity, 'grantConsume');
    if (!binding || this.consumers.has(identity.node.path)) return;
    this.consumers.add(identity.node.path);
    binding.addToPolicy({
      sid: `SqsConsume${shortHash(this.subject.node.path, 8)}`,
      actions: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueAttributes'],
      resources: [this.queue.arn],
    });
  }

  public grantMonitor(identity: IWorkloadIdentity): void {
    const binding = podIdentityOf(this.subject, identity, 'grantMonitor');
    if (!binding || this.monitors.has(identity.node.path)) return;
    this.monitors.add(identity.node.path);
    // KEDA's aws-sqs-queue scaler reads ApproximateNumberOfMessages(+NotVisible) with GetQueueAttributes only.
    binding.addToPolicy({
      sid: `SqsMonitor${shortHash(this.subject.node.path, 8)}`,
      actions: ['sqs:GetQueueAttributes'],
      resources: [this.queue.arn],
    });
  }

  /**
   * KEDA's `aws-sqs-queue` scaler with the `aws` pod identity provider: without `roleArn` or `identityOwner`
   * the KEDA operator uses its own identity (its EKS Pod Identity), which `grantMonitor` must have been given.
   * https://keda.sh/docs/2.20/scalers/aws-sqs/ and https://keda.sh/docs/2.20/authentication-providers/aws/
   */
  public kedaTrigger(targetLength: number): KedaTriggerSpec {
    reportProblems(this.subject, validateTargetLength(targetLength));
    return {
      type: 'aws-sqs-queue',
      metadata: { queueURL: this.queueUrl, queueLength: String(targetLength), awsRegion: awsContext(this).region.name },
      podIdentityProvider: 'aws',
    };
  }

  private addToNotification(store: S3ObjectStore, prefix: string | undefined, hash: string): void {
    const events = notificationOf(store);
    // S3 refuses two configurations of one event type whose prefixes overlap (every key has one destination).
    if (prefix === undefined || !isToken(prefix)) {
      const clash = events.queues.find((q) => (q.prefix === undefined || !isToken(q.prefix)) && overlaps(prefix ?? '', q.prefix ?? ''));
      if (clash) {
        reportProblems(this.subject, [
          `prefix ${prefix === undefined ? '(every object)' : `'${prefix}'`} overlaps the prefix ${clash.prefix === undefined ? '(every object)' : `'${clash.prefix}'`} of ${clash.subject.node.path} on the same bucket, and S3 sends each new object to one queue only; use prefixes that do not contain each other, or consume one queue`,
        ]);
      }
    }
    events.queues.push({
      subject: this.subject,
      prefix,
      config: {
        id: `${this.subject.node.id}-${hash}`.slice(0, 255),
        queueArn: this.queue.arn,
        events: [OBJECT_CREATED],
        filterPrefix: prefix,
      },
    });
    events.resource.putQueue(events.queues.map((q) => q.config));
    // S3 sends a test message to every destination when the configuration is written.
    events.resource.dependsOn = [...(events.resource.dependsOn ?? []), dependable(this.queuePolicy)];
  }
}

/**
 * The queue of `store`'s object events on AWS, or a stand-in after reporting that the store is not an S3 bucket
 * made by AWS data services.
 */
export function sqsObjectEvents(
  scope: Construct,
  store: IObjectStore,
  options: ObjectEventsOptions,
  props: { clusterName: string; tags: { [key: string]: string } },
): IObjectEventQueue {
  if (store instanceof S3ObjectStore) return new SqsObjectEventQueue(scope, 'Default', { ...options, ...props, store });
  reportProblems(scope, [
    `store ${store.node.path} is not an S3 bucket made by AWS data services, so no S3 event can reach a queue; call addObjectEvents on an ObjectStore of an EKS cluster`,
  ]);
  return new UnavailableObjectEventQueue(scope);
}
