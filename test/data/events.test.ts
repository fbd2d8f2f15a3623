import { HelmProvider } from '@cdktf/provider-helm/lib/provider';
import { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import { TerraformOutput, TerraformStack, TerraformVariable, Testing } from 'cdktf';
import { Construct } from 'constructs';
import { AwsDataServices } from '../../lib/aws/data';
import { SqsObjectEventQueue } from '../../lib/aws/data/events';
import { PodIdentityBinding } from '../../lib/aws/pod-identity';
import { AzureDataServices } from '../../lib/azure/data';
import { AzureObjectEventQueue } from '../../lib/azure/data/events';
import { FederatedWorkloadIdentity } from '../../lib/azure/workload-identity';
import { CloudProvider, ClusterProviders, IClusterInstallTarget, IPlatformCluster, IWorkloadIdentity } from '../../lib/core/cluster';
import { IObjectStore, ObjectEventsOptions, RemovalPolicy } from '../../lib/core/data-services';
import { Duration } from '../../lib/core/duration';
import { Cloud, Gpu, GpuInferenceCluster, GpuNodePool } from '../../lib';
import { ObjectStore } from '../../lib/data-services';
import { awsStack, azureStack, problemLines, resourceNamed, resources, synthJson } from '../helpers';

const VNET = '/subscriptions/0/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v';
const SUBNET = `${VNET}/subnets/nodes`;

/** Kubernetes and Helm providers made in the test stack on first use, as a cluster's install target does. */
const testProviders = new WeakMap<TerraformStack, ClusterProviders>();
const installTarget: IClusterInstallTarget = {
  providers: (scope) => {
    const stack = TerraformStack.of(scope);
    let made = testProviders.get(stack);
    if (!made) {
      made = { kubernetes: new KubernetesProvider(stack, 'kubernetes', {}), helm: new HelmProvider(stack, 'helm', {}) };
      testProviders.set(stack, made);
    }
    return made;
  },
  addonDependencies: () => [],
};

/** The one resource of a type (there must be exactly one). */
function only(doc: any, type: string): any {
  const all = Object.values(resources(doc, type));
  expect(all).toHaveLength(1);
  return all[0];
}

/** What Terraform sees of a value (an attribute reference for a token), through an output. */
function resolved(stack: TerraformStack, value: unknown): any {
  const id = `probe${stack.node.children.length}`;
  new TerraformOutput(stack, id, { value });
  return JSON.parse(Testing.synth(stack)).output[id].value;
}

/** An identity of no cloud in particular, which neither cloud's queue can grant anything to. */
function foreignIdentity(scope: Construct, id: string, cloudProvider: CloudProvider): IWorkloadIdentity {
  return Object.assign(new Construct(scope, id), {
    cloudProvider,
    namespace: 'rag',
    serviceAccountName: 'rag',
    principal: 'someone',
    serviceAccountAnnotations: {},
    podLabels: {},
    dependables: [],
  });
}

/** A store of neither data service (a user's own implementation). */
function foreignStore(scope: Construct): IObjectStore {
  return Object.assign(new Construct(scope, 'Foreign'), {
    bucketName: 'b',
    url: 's3://b',
    grantRead: () => undefined,
    grantReadWrite: () => undefined,
  });
}

describe('AWS: S3 to SQS', () => {
  const services = () =>
    new AwsDataServices({
      clusterName: 'ai',
      network: { networkId: 'vpc-1', privateSubnetIds: ['a', 'b'] },
      tags: { team: 'x' },
      cluster: installTarget,
    });

  function aws(options: ObjectEventsOptions = {}, removalPolicy?: RemovalPolicy) {
    const stack = awsStack();
    const data = services();
    const docs = new Construct(stack, 'Docs');
    const store = data.objectStore(docs, { removalPolicy });
    const events = data.objectEvents(new Construct(docs, 'Ingest'), store, options);
    return { stack, data, docs, store, events };
  }

  function podIdentity(stack: TerraformStack, id: string): PodIdentityBinding {
    return new PodIdentityBinding(stack, id, {
      clusterName: 'ai',
      namespace: 'rag',
      serviceAccountName: id.toLowerCase(),
      roleName: `ai-${id.toLowerCase()}`,
      tags: {},
      dependsOn: [],
    });
  }

  test('an SSE-SQS queue with a dead-letter queue after 5 receives, retention 4 days, visibility 5 minutes', () => {
    const { stack, events } = aws();
    expect(events).toBeInstanceOf(SqsObjectEventQueue);
    const doc = synthJson(stack);
    const queue = resourceNamed(doc, 'aws_sqs_queue', 'Ingest_Queue');
    const dlq = resourceNamed(doc, 'aws_sqs_queue', 'Ingest_DeadLetterQueue');
    expect(queue).toMatchObject({
      name: expect.stringMatching(/^ai-docs-ingest-[0-9a-f]{6}$/),
      sqs_managed_sse_enabled: true,
      message_retention_seconds: 345600,
      visibility_timeout_seconds: 300,
      tags: { team: 'x' },
    });
    expect(queue.kms_master_key_id).toBeUndefined();
    expect(JSON.parse(queue.redrive_policy)).toEqual({
      deadLetterTargetArn: expect.stringMatching(/^\$\{aws_sqs_queue\.Docs_Ingest_DeadLetterQueue_\w+\.arn\}$/),
      maxReceiveCount: 5,
    });
    expect(events.queueName).toBe(queue.name);
    expect(dlq).toMatchObject({ name: `${queue.name}-dlq`, sqs_managed_sse_enabled: true, message_retention_seconds: 1209600 });
    const allow = only(doc, 'aws_sqs_queue_redrive_allow_policy');
    expect(allow.queue_url).toMatch(/aws_sqs_queue\.Docs_Ingest_DeadLetterQueue_\w+\.url/);
    expect(JSON.parse(allow.redrive_allow_policy)).toEqual({
      redrivePermission: 'byQueue',
      sourceQueueArns: [expect.stringMatching(/aws_sqs_queue\.Docs_Ingest_Queue_\w+\.arn/)],
    });
  });

  test('only this bucket of this account may send, and nothing without TLS, to either queue', () => {
    const doc = synthJson(aws().stack);
    const policies = doc.data.aws_iam_policy_document;
    const queuePolicy = Object.entries(policies).find(([n]) => n.includes('Ingest_QueuePolicyDocument'))![1] as any;
    expect(queuePolicy.statement).toEqual([
      {
        sid: 'AllowObjectCreatedEventsOfTheBucket',
        effect: 'Allow',
        principals: [{ type: 'Service', identifiers: ['s3.amazonaws.com'] }],
        actions: ['sqs:SendMessage'],
        resources: [expect.stringMatching(/^\$\{aws_sqs_queue\.Docs_Ingest_Queue_\w+\.arn\}$/)],
        condition: [
          { test: 'ArnLike', variable: 'aws:SourceArn', values: [expect.stringMatching(/^\$\{aws_s3_bucket\.Docs_Bucket_\w+\.arn\}$/)] },
          {
            test: 'StringEquals',
            variable: 'aws:SourceAccount',
            values: [expect.stringMatching(/data\.aws_caller_identity\.\w+\.account_id/)],
          },
        ],
      },
      {
        sid: 'DenyInsecureTransport',
        effect: 'Deny',
        principals: [{ type: '*', identifiers: ['*'] }],
        actions: ['sqs:*'],
        resources: [expect.stringMatching(/aws_sqs_queue\.Docs_Ingest_Queue_\w+\.arn/)],
        condition: [{ test: 'Bool', variable: 'aws:SecureTransport', values: ['false'] }],
      },
    ]);
    const dlqPolicy = Object.entries(policies).find(([n]) => n.includes('Ingest_DeadLetterPolicyDocument'))![1] as any;
    expect(dlqPolicy.statement).toEqual([
      expect.objectContaining({
        effect: 'Deny',
        resources: [expect.stringMatching(/aws_sqs_queue\.Docs_Ingest_DeadLetterQueue_\w+\.arn/)],
        condition: [{ test: 'Bool', variable: 'aws:SecureTransport', values: ['false'] }],
      }),
    ]);
    const queuePolicies = resources(doc, 'aws_sqs_queue_policy');
    expect(Object.values(queuePolicies).map((p: any) => p.queue_url)).toEqual(
      expect.arrayContaining([expect.stringMatching(/Ingest_Queue_\w+\.url/), expect.stringMatching(/Ingest_DeadLetterQueue_\w+\.url/)]),
    );
  });

  test('the bucket notification sends ObjectCreated under the prefix, after the queue policy exists', () => {
    const doc = synthJson(aws({ prefix: 'incoming/' }).stack);
    const notification = only(doc, 'aws_s3_bucket_notification');
    expect(notification.bucket).toMatch(/^\$\{aws_s3_bucket\.Docs_Bucket_\w+\.id\}$/);
    expect(notification.queue).toEqual([
      {
        id: expect.stringMatching(/^Ingest-[0-9a-f]{6}$/),
        queue_arn: expect.stringMatching(/^\$\{aws_sqs_queue\.Docs_Ingest_Queue_\w+\.arn\}$/),
        events: ['s3:ObjectCreated:*'],
        filter_prefix: 'incoming/',
      },
    ]);
    const policyName = Object.keys(resources(doc, 'aws_sqs_queue_policy')).find((n) => n.includes('Ingest_QueuePolicy'));
    expect(notification.depends_on).toEqual([`aws_sqs_queue_policy.${policyName}`]);
  });

  test('a bucket keeps one notification configuration: a second queue is one more block of it', () => {
    const { stack, data, docs, store } = aws({ prefix: 'a/' });
    data.objectEvents(new Construct(docs, 'Audit'), store, { prefix: 'b/' });
    const doc = synthJson(stack);
    const notification = only(doc, 'aws_s3_bucket_notification');
    expect(Object.keys(resources(doc, 'aws_s3_bucket_notification'))).toEqual([expect.stringMatching(/^Docs_Notification_/)]);
    expect(notification.queue.map((q: any) => q.filter_prefix)).toEqual(['a/', 'b/']);
    expect(notification.queue.map((q: any) => q.queue_arn)).toEqual([
      expect.stringMatching(/Docs_Ingest_Queue_/),
      expect.stringMatching(/Docs_Audit_Queue_/),
    ]);
    expect(notification.depends_on).toEqual([
      expect.stringMatching(/^aws_sqs_queue_policy\.Docs_Ingest_QueuePolicy_/),
      expect.stringMatching(/^aws_sqs_queue_policy\.Docs_Audit_QueuePolicy_/),
    ]);
    expect(Object.keys(resources(doc, 'aws_sqs_queue'))).toHaveLength(4);
  });

  test('overlapping prefixes on one bucket are refused (S3 sends each object to one destination)', () => {
    const { stack, data, docs, store } = aws({ prefix: 'docs/' });
    data.objectEvents(new Construct(docs, 'Pdf'), store, { prefix: 'docs/pdf/' });
    data.objectEvents(new Construct(docs, 'All'), store, {});
    expect(problemLines(stack)).toEqual([
      "test/Docs/Pdf: prefix 'docs/pdf/' overlaps the prefix 'docs/' of test/Docs/Ingest on the same bucket, and S3 sends each new object to one queue only; use prefixes that do not contain each other, or consume one queue",
      "test/Docs/All: prefix (every object) overlaps the prefix 'docs/' of test/Docs/Ingest on the same bucket, and S3 sends each new object to one queue only; use prefixes that do not contain each other, or consume one queue",
    ]);
  });

  test('grants: consume and monitor, exactly, once per identity', () => {
    const { stack, events } = aws();
    const worker = podIdentity(stack, 'Worker');
    const keda = podIdentity(stack, 'Keda');
    events.grantConsume(worker);
    events.grantConsume(worker);
    events.grantMonitor(keda);
    const doc = synthJson(stack);
    const policy = (name: string) => JSON.parse(resourceNamed(doc, 'aws_iam_role_policy', name).policy).Statement;
    const queueArn = expect.stringMatching(/^\$\{aws_sqs_queue\.Docs_Ingest_Queue_\w+\.arn\}$/);
    expect(policy('Worker')).toEqual([
      {
        Sid: expect.stringMatching(/^SqsConsume[0-9a-f]{8}$/),
        Effect: 'Allow',
        Action: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueAttributes'],
        Resource: [queueArn],
      },
    ]);
    expect(policy('Keda')).toEqual([
      { Sid: expect.stringMatching(/^SqsMonitor[0-9a-f]{8}$/), Effect: 'Allow', Action: ['sqs:GetQueueAttributes'], Resource: [queueArn] },
    ]);
  });

  test("KEDA trigger: aws-sqs-queue with the queue URL and the provider's region, operator identity", () => {
    const { stack, events } = aws();
    const trigger = events.kedaTrigger(10);
    expect(trigger.type).toBe('aws-sqs-queue');
    expect(trigger.podIdentityProvider).toBe('aws');
    expect(Object.keys(trigger.metadata).sort()).toEqual(['awsRegion', 'queueLength', 'queueURL']);
    expect(trigger.metadata.queueLength).toBe('10');
    expect(resolved(stack, trigger.metadata.queueURL)).toMatch(/^\$\{aws_sqs_queue\.Docs_Ingest_Queue_\w+\.url\}$/);
    expect(resolved(stack, trigger.metadata.awsRegion)).toMatch(/^\$\{data\.aws_region\.\w+\.name\}$/);
    expect(resolved(stack, events.queueUrl)).toBe(resolved(stack, trigger.metadata.queueURL));
  });

  test('retention is taken as given; a throwaway bucket has throwaway queues', () => {
    const doc = synthJson(aws({ retention: Duration.hours(12) }, RemovalPolicy.DESTROY).stack);
    const queue = resourceNamed(doc, 'aws_sqs_queue', 'Ingest_Queue');
    expect(queue.message_retention_seconds).toBe(43200);
    expect(queue.tags).toEqual({ team: 'x', throwaway: 'true' });
    expect(resourceNamed(doc, 'aws_sqs_queue', 'DeadLetterQueue').tags.throwaway).toBe('true');
  });

  test('problems: leading slash, retention out of SQS limits, target length, foreign identity and store', () => {
    const { stack, data, docs, store, events } = aws({ prefix: '/in/', retention: Duration.days(15) });
    data.objectEvents(new Construct(docs, 'Short'), store, { prefix: 'short/', retention: Duration.seconds(30) });
    events.kedaTrigger(0);
    events.kedaTrigger(2.5);
    events.grantConsume(foreignIdentity(stack, 'Entra', CloudProvider.AZURE));
    const other = data.objectEvents(new Construct(stack, 'Elsewhere'), foreignStore(stack), {});
    expect(other.queueName).toBe('');
    expect(problemLines(stack)).toEqual([
      "test/Docs/Ingest: prefix '/in/' starts with '/', but object keys do not; drop the leading '/', e.g. 'in/'",
      'test/Docs/Ingest: retention 15d is not a whole number of seconds between 1m and 14d; use e.g. Duration.days(4)',
      'test/Docs/Short: retention 30s is not a whole number of seconds between 1m and 14d; use e.g. Duration.days(4)',
      'test/Docs/Ingest: kedaTrigger targetLength 0 is not a whole number of messages of at least 1; pass e.g. 5',
      'test/Docs/Ingest: kedaTrigger targetLength 2.5 is not a whole number of messages of at least 1; pass e.g. 5',
      'test/Docs/Ingest: grantConsume identity test/Entra is not an EKS Pod Identity; bind the service account with cluster.bindServiceAccount on this EKS cluster',
      'test/Elsewhere: store test/Foreign is not an S3 bucket made by AWS data services, so no S3 event can reach a queue; call addObjectEvents on an ObjectStore of an EKS cluster',
    ]);
  });

  test('a cluster name and a prefix from variables are not rejected', () => {
    const stack = awsStack();
    const cluster = new TerraformVariable(stack, 'cluster', { type: 'string' });
    const prefix = new TerraformVariable(stack, 'prefix', { type: 'string' });
    const data = new AwsDataServices({
      clusterName: cluster.stringValue,
      network: { networkId: 'vpc-1', privateSubnetIds: ['a', 'b'] },
      tags: {},
      cluster: installTarget,
    });
    const docs = new Construct(stack, 'Docs');
    const store = data.objectStore(docs, {});
    data.objectEvents(new Construct(docs, 'Ingest'), store, { prefix: prefix.stringValue });
    data.objectEvents(new Construct(docs, 'Audit'), store, { prefix: 'audit/' });
    expect(problemLines(stack)).toEqual([]);
    const doc = synthJson(stack);
    expect(resourceNamed(doc, 'aws_sqs_queue', 'Ingest_Queue').name).toMatch(/\$\{.*var\.cluster.*\}/);
    expect(only(doc, 'aws_s3_bucket_notification').queue[0].filter_prefix).toBe('${var.prefix}');
  });

  test('ObjectStore.addObjectEvents goes through the cluster data services', () => {
    const stack = awsStack();
    const cluster = { dataServices: services() } as unknown as IPlatformCluster;
    const docs = new ObjectStore(stack, 'Docs', { cluster });
    const events = docs.addObjectEvents('Ingest', { prefix: 'in/' });
    expect(events).toBeInstanceOf(SqsObjectEventQueue);
    expect(events.node.path).toBe('test/Docs/Ingest/Default');
    const doc = synthJson(stack);
    expect(Object.keys(resources(doc, 'aws_sqs_queue')).sort()).toEqual([
      expect.stringMatching(/^Docs_Ingest_DeadLetterQueue_/),
      expect.stringMatching(/^Docs_Ingest_Queue_/),
    ]);
    expect(only(doc, 'aws_s3_bucket_notification').queue[0].filter_prefix).toBe('in/');
  });
});

describe('Azure: Event Grid to a Storage queue', () => {
  const services = () =>
    new AzureDataServices({
      clusterName: 'ai',
      location: 'eastus2',
      resourceGroupName: 'rg',
      network: { networkId: VNET, privateSubnetIds: [SUBNET] },
      tags: { team: 'ml' },
      cluster: { providers: () => ({}) as any, addonDependencies: () => [] },
    });

  function azure(options: ObjectEventsOptions = {}, removalPolicy?: RemovalPolicy) {
    const stack = azureStack();
    const data = services();
    const docs = new Construct(stack, 'Docs');
    const store = data.objectStore(docs, { removalPolicy });
    const events = data.objectEvents(new Construct(docs, 'Ingest'), store, options);
    return { stack, data, docs, store, events };
  }

  function workloadIdentity(stack: TerraformStack, id: string): FederatedWorkloadIdentity {
    return new FederatedWorkloadIdentity(stack, id, {
      identityName: id.toLowerCase(),
      resourceGroupName: 'rg',
      location: 'eastus2',
      oidcIssuerUrl: 'https://eastus2.oic.prod-aks.azure.com/0/1/',
      namespace: 'rag',
      serviceAccountName: id.toLowerCase(),
      tags: {},
    });
  }

  test('the queues live in an events account: Entra only, TLS 1.2, denied by default but open to trusted Azure services', () => {
    const { stack, events } = azure();
    expect(events).toBeInstanceOf(AzureObjectEventQueue);
    const doc = synthJson(stack);
    const docsAccount = resourceNamed(doc, 'azurerm_storage_account', 'Docs_Account');
    // The documents' account stays closed to the public network: Event Grid never writes there.
    expect(docsAccount.public_network_access_enabled).toBe(false);
    const account = resourceNamed(doc, 'azurerm_storage_account', 'Docs_Events_Account');
    expect(account).toMatchObject({
      name: expect.stringMatching(/^[a-z0-9]{3,24}$/),
      account_kind: 'StorageV2',
      https_traffic_only_enabled: true,
      min_tls_version: 'TLS1_2',
      shared_access_key_enabled: false,
      default_to_oauth_authentication: true,
      allow_nested_items_to_be_public: false,
      infrastructure_encryption_enabled: true,
      public_network_access_enabled: true,
      network_rules: { default_action: 'Deny', bypass: ['AzureServices'] },
      lifecycle: { prevent_destroy: true },
      tags: { team: 'ml' },
    });
    expect(account.network_rules.ip_rules).toBeUndefined();
    const queue = only(doc, 'azurerm_storage_queue');
    expect(queue).toEqual({
      name: expect.stringMatching(/^ingest-[0-9a-f]{6}$/),
      storage_account_id: expect.stringMatching(/Docs_Events_Account_\w+\.id/),
    });
    const pe = resourceNamed(doc, 'azurerm_private_endpoint', 'Docs_Events');
    expect(pe.subnet_id).toBe(SUBNET);
    expect(pe.private_service_connection).toMatchObject({ subresource_names: ['queue'], is_manual_connection: false });
    expect(pe.private_service_connection.private_connection_resource_id).toMatch(/Docs_Events_Account_\w+\.id/);
    expect(pe.private_dns_zone_group.private_dns_zone_ids).toEqual([
      expect.stringMatching(/azurerm_private_dns_zone\.AzurePrivateDns_Queue_\w+\.id/),
    ]);
    const zones = Object.values(resources(doc, 'azurerm_private_dns_zone')).map((z: any) => z.name);
    expect(zones.sort()).toEqual(['privatelink.blob.core.windows.net', 'privatelink.queue.core.windows.net']);
    expect(resourceNamed(doc, 'azurerm_private_dns_zone_virtual_network_link', 'QueueLink')).toMatchObject({
      virtual_network_id: VNET,
      registration_enabled: false,
    });
    expect(events.queueUrl).toBe(`https://${account.name}.queue.core.windows.net/${queue.name}`);
    expect(events.queueName).toBe(queue.name);
  });

  test('a system topic with its own identity, allowed to send to the queue; the subscription waits for RBAC', () => {
    const doc = synthJson(azure({ prefix: 'incoming/' }).stack);
    const topic = only(doc, 'azurerm_eventgrid_system_topic');
    expect(topic).toMatchObject({
      topic_type: 'Microsoft.Storage.StorageAccounts',
      location: 'eastus2',
      resource_group_name: 'rg',
      identity: { type: 'SystemAssigned' },
    });
    expect(topic.source_resource_id).toMatch(/^\$\{azurerm_storage_account\.Docs_Account_\w+\.id\}$/);
    const principal = expect.stringMatching(/^\$\{azurerm_eventgrid_system_topic\.Docs_Events_Topic_\w+\.identity\[0\]\.principal_id\}$/);
    const sender = resourceNamed(doc, 'azurerm_role_assignment', 'TopicSender');
    expect(sender).toEqual({
      scope: expect.stringMatching(/^\$\{azurerm_storage_queue\.Docs_Ingest_Queue_\w+\.id\}$/),
      role_definition_name: 'Storage Queue Data Message Sender',
      principal_id: principal,
      principal_type: 'ServicePrincipal',
    });
    const deadLetters = resourceNamed(doc, 'azurerm_role_assignment', 'DeadLetterWriter');
    expect(deadLetters).toMatchObject({ role_definition_name: 'Storage Blob Data Contributor', principal_id: principal });
    expect(deadLetters.scope).toMatch(/azurerm_storage_container\.Docs_Events_DeadLetters_\w+\.id/);

    const wait = only(doc, 'time_sleep');
    const names = Object.keys(resources(doc, 'azurerm_role_assignment'));
    expect(wait.create_duration).toBe('300s');
    expect(wait.depends_on.sort()).toEqual(names.map((n) => `azurerm_role_assignment.${n}`).sort());
    expect(Object.keys(wait.triggers).sort()).toEqual(['deadLetterWriter', 'sender']);
    const sleepName = Object.keys(resources(doc, 'time_sleep'))[0];

    const subscription = only(doc, 'azurerm_eventgrid_system_topic_event_subscription');
    expect(subscription).toMatchObject({
      system_topic: expect.stringMatching(/azurerm_eventgrid_system_topic\.Docs_Events_Topic_\w+\.name/),
      resource_group_name: 'rg',
      event_delivery_schema: 'EventGridSchema',
      included_event_types: ['Microsoft.Storage.BlobCreated'],
      subject_filter: { subject_begins_with: '/blobServices/default/containers/ai-docs/blobs/incoming/', case_sensitive: true },
      delivery_identity: { type: 'SystemAssigned' },
      dead_letter_identity: { type: 'SystemAssigned' },
      storage_blob_dead_letter_destination: { storage_blob_container_name: 'deadletters' },
      retry_policy: { max_delivery_attempts: 30, event_time_to_live: 1440 },
      storage_queue_endpoint: { queue_message_time_to_live_in_seconds: 345600 },
      depends_on: [`time_sleep.${sleepName}`],
    });
    expect(subscription.storage_queue_endpoint.queue_name).toMatch(/azurerm_storage_queue\.Docs_Ingest_Queue_\w+\.name/);
    expect(subscription.storage_queue_endpoint.storage_account_id).toMatch(/Docs_Events_Account_\w+\.id/);
  });

  test('without a prefix the filter is the container; the retention is the message time to live', () => {
    const doc = synthJson(azure({ retention: Duration.days(14) }).stack);
    const subscription = only(doc, 'azurerm_eventgrid_system_topic_event_subscription');
    expect(subscription.subject_filter.subject_begins_with).toBe('/blobServices/default/containers/ai-docs/blobs/');
    expect(subscription.storage_queue_endpoint.queue_message_time_to_live_in_seconds).toBe(1209600);
  });

  test('one system topic and one events account per store, one queue and subscription per event queue', () => {
    const { stack, data, docs, store } = azure({ prefix: 'a/' });
    data.objectEvents(new Construct(docs, 'Audit'), store, { prefix: 'a/' });
    const doc = synthJson(stack);
    expect(Object.keys(resources(doc, 'azurerm_eventgrid_system_topic'))).toHaveLength(1);
    expect(Object.keys(resources(doc, 'azurerm_storage_account'))).toHaveLength(2);
    expect(Object.keys(resources(doc, 'azurerm_private_dns_zone'))).toHaveLength(2);
    const queues = Object.values(resources(doc, 'azurerm_storage_queue')).map((q: any) => q.name);
    expect(new Set(queues).size).toBe(2);
    expect(Object.keys(resources(doc, 'azurerm_eventgrid_system_topic_event_subscription'))).toHaveLength(2);
    expect(Object.keys(resources(doc, 'time_sleep'))).toHaveLength(2);
  });

  test('grants: Message Processor to consume, Reader to monitor, on the queue', () => {
    const { stack, events } = azure();
    const worker = workloadIdentity(stack, 'Worker');
    const keda = workloadIdentity(stack, 'Keda');
    events.grantConsume(worker);
    events.grantMonitor(keda);
    const doc = synthJson(stack);
    const queueId = expect.stringMatching(/^\$\{azurerm_storage_queue\.Docs_Ingest_Queue_\w+\.id\}$/);
    expect(resourceNamed(doc, 'azurerm_role_assignment', 'Worker_Grant0')).toEqual({
      scope: queueId,
      role_definition_name: 'Storage Queue Data Message Processor',
      principal_id: expect.stringMatching(/azurerm_user_assigned_identity\.Worker_Identity_\w+\.principal_id/),
      principal_type: 'ServicePrincipal',
    });
    expect(resourceNamed(doc, 'azurerm_role_assignment', 'Keda_Grant0')).toMatchObject({
      scope: queueId,
      role_definition_name: 'Storage Queue Data Reader',
    });
  });

  test('KEDA trigger: azure-queue with queue and account names, operator workload identity', () => {
    const { stack, events } = azure();
    const account = resourceNamed(synthJson(stack), 'azurerm_storage_account', 'Docs_Events_Account');
    expect(events.kedaTrigger(5)).toEqual({
      type: 'azure-queue',
      metadata: { queueName: events.queueName, accountName: account.name, queueLength: '5' },
      podIdentityProvider: 'azure-workload',
    });
  });

  test('a throwaway store has a throwaway events account', () => {
    const doc = synthJson(azure({}, RemovalPolicy.DESTROY).stack);
    const account = resourceNamed(doc, 'azurerm_storage_account', 'Docs_Events_Account');
    expect(account.tags).toEqual({ team: 'ml', throwaway: 'true' });
    expect(account.lifecycle).toBeUndefined();
  });

  test('problems: leading slash, retention, target length, foreign identity and store', () => {
    const { stack, data, events } = azure({ prefix: '//in/', retention: Duration.millis(90_500) });
    events.kedaTrigger(-1);
    events.grantMonitor(foreignIdentity(stack, 'Eks', CloudProvider.AWS));
    const other = data.objectEvents(new Construct(stack, 'Elsewhere'), foreignStore(stack), {});
    expect(other.kedaTrigger(1).type).toBe('');
    expect(problemLines(stack)).toEqual([
      "test/Docs/Ingest: prefix '//in/' starts with '/', but blob names do not; drop the leading '/', e.g. 'in/'",
      'test/Docs/Ingest: retention 90500ms is not a whole number of seconds between 1m and 14d; use e.g. Duration.days(4)',
      'test/Docs/Ingest: kedaTrigger targetLength -1 is not a whole number of messages of at least 1; pass e.g. 5',
      'test/Docs/Ingest: grantMonitor identity test/Eks is not an Azure workload identity; bind the service account with cluster.bindServiceAccount on this AKS cluster',
      'test/Elsewhere: store test/Foreign is not an Azure storage account made by Azure data services, so Event Grid has no source; call addObjectEvents on an ObjectStore of an AKS cluster',
    ]);
  });
});

test("a queue id the store already holds is refused with the library's message, never a constructs error", () => {
  const stack = azureStack();
  const cluster = new GpuInferenceCluster(stack, 'Gpu', {
    cloud: Cloud.azure({ location: 'eastus2', authorizedIpRanges: ['203.0.113.0/24'] }),
    clusterName: 'events',
    nodePools: [GpuNodePool.inference('t4', { gpu: Gpu.T4, maxNodes: 1 })],
  });
  const store = new ObjectStore(stack, 'Docs', { cluster });
  store.addObjectEvents('Uploads');
  // The first queue made the store's shared events part under 'Events': that id is taken now.
  store.addObjectEvents('Events');
  store.addObjectEvents('Uploads');
  expect(problemLines(stack)).toEqual([
    "test/Docs: addObjectEvents id 'Events' is already taken under this store (by another queue or the store's shared events part); pass an id of its own, e.g. 'EventsQueue'",
    "test/Docs: addObjectEvents id 'Uploads' is already taken under this store (by another queue or the store's shared events part); pass an id of its own, e.g. 'UploadsQueue'",
  ]);
});
