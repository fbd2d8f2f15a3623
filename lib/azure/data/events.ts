import { lazyModule } from '../../private/lazy';
import type { EventgridSystemTopic } from '@cdktf/provider-azurerm/lib/eventgrid-system-topic';
import type { EventgridSystemTopicEventSubscription } from '@cdktf/provider-azurerm/lib/eventgrid-system-topic-event-subscription';
import type { PrivateEndpoint } from '@cdktf/provider-azurerm/lib/private-endpoint';
import type { RoleAssignment } from '@cdktf/provider-azurerm/lib/role-assignment';
import type { StorageAccount } from '@cdktf/provider-azurerm/lib/storage-account';
import type { StorageQueue } from '@cdktf/provider-azurerm/lib/storage-queue';
import { Construct, Node } from 'constructs';
import { IWorkloadIdentity } from '../../core/cluster';
import { IObjectEventQueue, IObjectStore, KedaTriggerSpec, ObjectEventsOptions } from '../../core/data-services';
import { Duration } from '../../core/duration';
import { sameStack } from '../../private/cluster-access';
import { UnavailableObjectEventQueue } from '../../private/object-events';
import { reportProblems } from '../../private/problems';
import { waitAfter } from '../../private/time';
import { isToken } from '../../private/validation';
import { azureIdentity, retainLifecycle, serviceTags } from './common';
import type { AzureDataServicesProps } from './index';
import { alnum, clip, literal, shortHash, slug } from './names';
import { PrivateLinkService, privateEndpoint } from './private-endpoint';
import { AzureObjectStore, accountBaseline } from './storage';

const eventgridSystemTopicLib = lazyModule<typeof import('@cdktf/provider-azurerm/lib/eventgrid-system-topic')>(
  '@cdktf/provider-azurerm/lib/eventgrid-system-topic',
);
const eventgridSystemTopicEventSubscriptionLib = lazyModule<
  typeof import('@cdktf/provider-azurerm/lib/eventgrid-system-topic-event-subscription')
>('@cdktf/provider-azurerm/lib/eventgrid-system-topic-event-subscription');
const roleAssignmentLib = lazyModule<typeof import('@cdktf/provider-azurerm/lib/role-assignment')>(
  '@cdktf/provider-azurerm/lib/role-assignment',
);
const storageAccountLib = lazyModule<typeof import('@cdktf/provider-azurerm/lib/storage-account')>(
  '@cdktf/provider-azurerm/lib/storage-account',
);
const storageContainerLib = lazyModule<typeof import('@cdktf/provider-azurerm/lib/storage-container')>(
  '@cdktf/provider-azurerm/lib/storage-container',
);
const storageQueueLib = lazyModule<typeof import('@cdktf/provider-azurerm/lib/storage-queue')>('@cdktf/provider-azurerm/lib/storage-queue');

/** Retention limits, the same as on AWS (SQS: 60 seconds to 14 days) so an app valid on one cloud is on the other. */
const MIN_RETENTION = Duration.seconds(60);
const MAX_RETENTION = Duration.days(14);
/**
 * How long subscriptions wait after the role assignments of the system topic's identity: Azure RBAC is
 * eventually consistent (minutes), and Event Grid checks the destination when the subscription is created.
 * The same default as AzureBackend's `rbacPropagationDelay`.
 */
const RBAC_PROPAGATION = Duration.minutes(5);
/** Event Grid retries: the most attempts and the longest time to live (minutes) the service accepts. */
const MAX_DELIVERY_ATTEMPTS = 30;
const EVENT_TTL_MINUTES = 1440;
const DEAD_LETTER_CONTAINER = 'deadletters';

/** Problems of object-event options (`<prop> <value> <problem>; <fix>`). */
function validateOptions(options: ObjectEventsOptions): string[] {
  const out: string[] = [];
  const { prefix, retention: r } = options;
  if (prefix !== undefined && !isToken(prefix) && prefix.startsWith('/'))
    out.push(`prefix '${prefix}' starts with '/', but blob names do not; drop the leading '/', e.g. '${prefix.replace(/^\/+/, '')}'`);
  const outside = r !== undefined && (r.isShorterThan(MIN_RETENTION) || MAX_RETENTION.isShorterThan(r));
  if (r !== undefined && (outside || r.toMilliseconds() % 1000 !== 0))
    out.push(`retention ${r} is not a whole number of seconds between ${MIN_RETENTION} and ${MAX_RETENTION}; use e.g. Duration.days(4)`);
  return out;
}

/**
 * What the object events of one store share: the storage account holding the queues, its private endpoint for
 * the queue service, the store's Event Grid system topic (Azure allows one per source resource) and the
 * dead-letter container. Created with the store's first event queue, under the store's construct ('Events').
 */
interface StoreEvents {
  readonly account: StorageAccount;
  readonly accountName: string;
  readonly topic: EventgridSystemTopic;
  readonly deadLetterWriter: RoleAssignment;
}

const storeEvents = new WeakMap<AzureObjectStore, StoreEvents>();

/**
 * The events account. Event Grid pushes to a Storage queue from its own public addresses (it cannot deliver
 * through private endpoints) as a trusted Microsoft service with the system topic's managed identity. The
 * documents' account has public network access Disabled, which admits private endpoints only and ignores the
 * trusted-services exception, so the queues live in a small account of their own with the same settings except
 * the network: public endpoint on but denied by default, trusted Azure services let through; workloads and
 * KEDA reach it through a private endpoint for 'queue'.
 * https://learn.microsoft.com/azure/event-grid/consume-private-endpoints,
 * https://learn.microsoft.com/azure/event-grid/handler-storage-queues,
 * https://learn.microsoft.com/azure/storage/common/storage-network-security-set-default-access
 */
function eventsOf(store: AzureObjectStore, props: AzureDataServicesProps): StoreEvents {
  const existing = storeEvents.get(store);
  if (existing) return existing;
  const storeScope = store.account.node.scope as Construct;
  // 'Events' unless the first queue took that id itself (RagStack's `addObjectEvents('Events')`): the shared
  // part must not collide with it, and existing stores keep their construct paths (and account names).
  const scope = new Construct(storeScope, storeScope.node.tryFindChild('Events') ? 'SharedEvents' : 'Events');
  const throwaway = store.account.tagsInput?.throwaway === 'true';
  const tags = serviceTags(props.tags, throwaway);
  // Hashed from the store's own path, so the name stays when the store's resources move to a data stack.
  const hash = shortHash(8, `${store.node.path}/Events`, literal(props.clusterName) ?? '', literal(props.resourceGroupName) ?? '');
  const base = alnum(`${literal(props.clusterName) ?? ''}${storeScope.node.id}ev`);
  const accountName = `${base.slice(0, 24 - hash.length) || 'ev'}${hash}`;

  const account = new (storageAccountLib().StorageAccount)(scope, 'Account', {
    ...accountBaseline(accountName, props),
    // Enabled, but only for trusted Azure services (Event Grid's identity-based delivery); the rest goes
    // through the private endpoint below.
    publicNetworkAccessEnabled: true,
    networkRules: { defaultAction: 'Deny', bypass: ['AzureServices'] },
    blobProperties: { deleteRetentionPolicy: { days: 14 }, containerDeleteRetentionPolicy: { days: 14 } },
    tags,
    lifecycle: retainLifecycle(throwaway),
  });
  queueEndpoint(scope, account, accountName, props, tags);

  const docsAccountName = store.account.nameInput ?? accountName;
  const topic = new (eventgridSystemTopicLib().EventgridSystemTopic)(scope, 'Topic', {
    name: `${docsAccountName}-blob-events`,
    resourceGroupName: props.resourceGroupName,
    location: props.location,
    sourceResourceId: store.account.id,
    topicType: 'Microsoft.Storage.StorageAccounts',
    identity: { type: 'SystemAssigned' },
    tags,
  });
  // Events Event Grid cannot deliver (queue gone, access lost) after its retries land here as blobs.
  const deadLetters = new (storageContainerLib().StorageContainer)(scope, 'DeadLetters', {
    name: DEAD_LETTER_CONTAINER,
    storageAccountId: account.id,
    containerAccessType: 'private',
  });
  const deadLetterWriter = new (roleAssignmentLib().RoleAssignment)(scope, 'DeadLetterWriter', {
    scope: deadLetters.id,
    roleDefinitionName: 'Storage Blob Data Contributor',
    principalId: topic.identity.principalId,
    principalType: 'ServicePrincipal',
  });
  const events = { account, accountName, topic, deadLetterWriter };
  storeEvents.set(store, events);
  return events;
}

/** The private endpoint for the queue service of the events account, through the shared private-link helper. */
function queueEndpoint(
  scope: Construct,
  account: StorageAccount,
  accountName: string,
  props: AzureDataServicesProps,
  tags: { [key: string]: string },
): PrivateEndpoint {
  return privateEndpoint(scope, {
    service: PrivateLinkService.QUEUE,
    resourceId: account.id,
    resourceName: accountName,
    location: props.location,
    resourceGroupName: props.resourceGroupName,
    network: props.network,
    tags: props.tags,
    existingZoneIds: props.privateDnsZoneIds,
    endpointTags: tags,
  });
}

/**
 * A queue receiving an Event Grid event (EventGridSchema) for each blob created in an Azure object store's
 * container: a Storage queue in the store's events account, fed by a subscription of the store's Event Grid
 * system topic filtered on `Microsoft.Storage.BlobCreated` and the container (and prefix). The topic delivers
 * with its system-assigned identity, which holds 'Storage Queue Data Message Sender' on this queue only; the
 * subscription is created after that assignment has had time to propagate. Undeliverable events end up in the
 * events account's 'deadletters' container.
 */
export class AzureObjectEventQueue implements IObjectEventQueue {
  public readonly node: Node;
  public readonly queueName: string;
  public readonly queueUrl: string;
  /** The Storage queue. */
  public readonly queue: StorageQueue;
  /** The storage account holding the queue. */
  public readonly account: StorageAccount;
  /** The Event Grid subscription feeding the queue. */
  public readonly subscription: EventgridSystemTopicEventSubscription;
  private readonly scope: Construct;
  private readonly accountName: string;

  constructor(scope: Construct, props: AzureDataServicesProps, store: AzureObjectStore, options: ObjectEventsOptions) {
    this.scope = scope;
    this.node = scope.node;
    reportProblems(scope, validateOptions(options));
    const retention = options.retention ?? Duration.days(4);
    const ttl = Math.min(Math.max(Math.round(retention.toSeconds()), MIN_RETENTION.toSeconds()), MAX_RETENTION.toSeconds());
    const events = eventsOf(store, props);
    this.account = events.account;
    this.accountName = events.accountName;

    // Queue names: 3-63 lower-case letters, digits and single '-'; unique in the account through the hash.
    const hash = shortHash(6, scope.node.path);
    this.queueName = `${clip(slug(scope.node.id) || 'events', 63 - hash.length - 1)}-${hash}`;
    // storage_account_id: created through Resource Manager, not the queue data plane (closed to the deployer).
    this.queue = new (storageQueueLib().StorageQueue)(scope, 'Queue', { name: this.queueName, storageAccountId: events.account.id });
    const sender = new (roleAssignmentLib().RoleAssignment)(scope, 'TopicSender', {
      scope: this.queue.id,
      roleDefinitionName: 'Storage Queue Data Message Sender',
      principalId: events.topic.identity.principalId,
      principalType: 'ServicePrincipal',
    });
    // The dead-letter writer of a store in a data stack was applied with that stack.
    const propagated = waitAfter(scope, 'RbacPropagation', RBAC_PROPAGATION, [sender, ...sameStack(scope, [events.deadLetterWriter])], {
      sender: sender.id,
      deadLetterWriter: events.deadLetterWriter.id,
    });
    this.subscription = new (eventgridSystemTopicEventSubscriptionLib().EventgridSystemTopicEventSubscription)(scope, 'Subscription', {
      name: this.queueName,
      systemTopic: events.topic.name,
      resourceGroupName: props.resourceGroupName,
      eventDeliverySchema: 'EventGridSchema',
      includedEventTypes: ['Microsoft.Storage.BlobCreated'],
      subjectFilter: {
        subjectBeginsWith: `/blobServices/default/containers/${store.bucketName}/blobs/${options.prefix ?? ''}`,
        caseSensitive: true,
      },
      storageQueueEndpoint: {
        storageAccountId: events.account.id,
        queueName: this.queue.name,
        queueMessageTimeToLiveInSeconds: ttl,
      },
      deliveryIdentity: { type: 'SystemAssigned' },
      retryPolicy: { maxDeliveryAttempts: MAX_DELIVERY_ATTEMPTS, eventTimeToLive: EVENT_TTL_MINUTES },
      deadLetterIdentity: { type: 'SystemAssigned' },
      storageBlobDeadLetterDestination: { storageAccountId: events.account.id, storageBlobContainerName: DEAD_LETTER_CONTAINER },
      dependsOn: [propagated],
    });
    this.queueUrl = `https://${events.accountName}.queue.core.windows.net/${this.queueName}`;
  }

  public grantConsume(identity: IWorkloadIdentity): void {
    azureIdentity(this.scope, 'grantConsume', identity)?.assignRole(this.queue.id, 'Storage Queue Data Message Processor');
  }

  public grantMonitor(identity: IWorkloadIdentity): void {
    azureIdentity(this.scope, 'grantMonitor', identity)?.assignRole(this.queue.id, 'Storage Queue Data Reader');
  }

  /**
   * KEDA's `azure-queue` scaler with the `azure-workload` pod identity provider: without `identityId` the KEDA
   * operator's own workload identity is used, which `grantMonitor` must have been given. The operator reaches
   * the queue through the events account's private endpoint.
   * https://keda.sh/docs/2.20/scalers/azure-storage-queue/
   */
  public kedaTrigger(targetLength: number): KedaTriggerSpec {
    if (!Number.isInteger(targetLength) || targetLength < 1)
      reportProblems(this.scope, [`kedaTrigger targetLength ${targetLength} is not a whole number of messages of at least 1; pass e.g. 5`]);
    return {
      type: 'azure-queue',
      metadata: { queueName: this.queueName, accountName: this.accountName, queueLength: String(targetLength) },
      podIdentityProvider: 'azure-workload',
    };
  }
}

/**
 * The queue of `store`'s object events on Azure, or a stand-in after reporting that the store is not a storage
 * account made by Azure data services.
 */
export function azureObjectEvents(
  scope: Construct,
  props: AzureDataServicesProps,
  store: IObjectStore,
  options: ObjectEventsOptions,
): IObjectEventQueue {
  if (store instanceof AzureObjectStore) return new AzureObjectEventQueue(scope, props, store, options);
  reportProblems(scope, [
    `store ${store.node.path} is not an Azure storage account made by Azure data services, so Event Grid has no source; call addObjectEvents on an ObjectStore of an AKS cluster`,
  ]);
  return new UnavailableObjectEventQueue(scope);
}
