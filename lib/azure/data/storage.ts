import { lazyModule } from '../../private/lazy';
import type { AzurermProvider } from '@cdktf/provider-azurerm/lib/provider';
import type { PrivateEndpoint } from '@cdktf/provider-azurerm/lib/private-endpoint';
import type { StorageAccount, StorageAccountConfig } from '@cdktf/provider-azurerm/lib/storage-account';
import type { StorageContainer } from '@cdktf/provider-azurerm/lib/storage-container';
import type { StorageManagementPolicy } from '@cdktf/provider-azurerm/lib/storage-management-policy';
import { IResolvable, TerraformProvider, TerraformStack } from 'cdktf';
import { Construct, IConstruct, Node } from 'constructs';
import { IWorkloadIdentity } from '../../core/cluster';
import { dataScopeIn } from '../../core/data-scope';
import { IObjectStore, ObjectStoreOptions } from '../../core/data-services';
import { Duration } from '../../core/duration';
import { reportProblems } from '../../private/problems';
import { isToken } from '../../private/validation';
import { azureIdentity, isThrowaway, retainLifecycle, serviceTags, wholeDays } from './common';
import type { AzureDataServicesProps } from './index';
import { alnum, clip, literal, serviceHash, slug } from './names';
import { PrivateLinkService, privateEndpoint } from './private-endpoint';

const storageAccountLib = lazyModule<typeof import('@cdktf/provider-azurerm/lib/storage-account')>(
  '@cdktf/provider-azurerm/lib/storage-account',
);
const storageContainerLib = lazyModule<typeof import('@cdktf/provider-azurerm/lib/storage-container')>(
  '@cdktf/provider-azurerm/lib/storage-container',
);
const storageManagementPolicyLib = lazyModule<typeof import('@cdktf/provider-azurerm/lib/storage-management-policy')>(
  '@cdktf/provider-azurerm/lib/storage-management-policy',
);

/** Soft delete of blobs and containers, in days. */
const SOFT_DELETE_DAYS = 14;
/** Azure container names: 3-63 lower-case letters, digits and single '-', a letter or digit at both ends. */
const CONTAINER_NAME = /^(?!.*--)[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;

/**
 * An object store on Azure: a StorageV2 account (ZRS, TLS 1.2, Entra only: shared keys off, no public
 * network access, no anonymous blobs, infrastructure encryption, versioning and 14-day soft delete) with one
 * private container, a lifecycle rule that deletes noncurrent versions, and a private endpoint for 'blob'.
 * Access is granted with Azure RBAC on the container to workload identities.
 */
export class AzureObjectStore implements IObjectStore {
  public readonly node: Node;
  public readonly bucketName: string;
  public readonly url: string;
  /** The storage account. */
  public readonly account: StorageAccount;
  /** The container. */
  public readonly container: StorageContainer;
  /** The rule deleting noncurrent versions. */
  public readonly managementPolicy: StorageManagementPolicy;
  /** The private endpoint for the blob service. */
  public readonly privateEndpoint: PrivateEndpoint;
  private readonly scope: Construct;

  constructor(scope: Construct, props: AzureDataServicesProps, options: ObjectStoreOptions) {
    this.scope = scope;
    this.node = scope.node;
    const throwaway = isThrowaway(options.removalPolicy);
    const tags = serviceTags(props.tags, throwaway);
    const retention = options.noncurrentVersionRetention ?? Duration.days(30);
    const retentionDays = wholeDays(retention);
    const problems: string[] = [];
    const name = literal(options.name);
    if (name !== undefined && !CONTAINER_NAME.test(name)) {
      problems.push(
        `name '${name}' is not a valid Azure container name (3-63 lower-case letters, digits and '-', a letter or digit at both ends, no '--'); rename it, e.g. '${containerNameFrom(name)}'`,
      );
    }
    if (retentionDays === undefined || retentionDays < 1) {
      problems.push(
        `noncurrentVersionRetention ${retention} is not a whole number of days of at least 1 (the lifecycle rule counts days); use e.g. Duration.days(30)`,
      );
    }
    if (problems.length) reportProblems(scope, problems);
    // The account and what belongs to it outlive the cluster in its data stack, if any; grants stay here.
    const home = dataScopeIn(props.dataStack, scope);
    warnIfStorageDataPlaneOn(home);

    const hash = serviceHash(scope, props.clusterName, props.resourceGroupName);
    // 3-24 lower-case letters and digits, unique across Azure (it is the <account>.blob.core.windows.net host).
    const accountBase = alnum(name ?? `${literal(props.clusterName) ?? ''}${scope.node.id}`);
    const accountName = `${accountBase.slice(0, 24 - hash.length) || 'st'}${hash}`;
    const containerName = options.name ?? containerNameFrom(`${literal(props.clusterName) ?? ''}-${scope.node.id}`);

    this.account = new (storageAccountLib().StorageAccount)(home, 'Account', {
      ...accountBaseline(accountName, props),
      // Reached through the private endpoint only. The container and the lifecycle rule go through the
      // management plane (Microsoft.Storage), which works with shared keys and public network access off.
      publicNetworkAccessEnabled: false,
      blobProperties: {
        versioningEnabled: true,
        deleteRetentionPolicy: { days: SOFT_DELETE_DAYS },
        containerDeleteRetentionPolicy: { days: SOFT_DELETE_DAYS },
      },
      tags,
      lifecycle: retainLifecycle(throwaway),
    });
    // storage_account_id (not storage_account_name) makes azurerm create the container through Resource
    // Manager rather than the blob data plane, which this account does not expose publicly.
    this.container = new (storageContainerLib().StorageContainer)(home, 'Container', {
      name: containerName,
      storageAccountId: this.account.id,
      containerAccessType: 'private',
      lifecycle: retainLifecycle(throwaway),
    });
    this.managementPolicy = new (storageManagementPolicyLib().StorageManagementPolicy)(home, 'Lifecycle', {
      storageAccountId: this.account.id,
      rule: [
        {
          name: 'delete-noncurrent-versions',
          enabled: true,
          filters: { blobTypes: ['blockBlob'] },
          actions: { version: { deleteAfterDaysSinceCreation: Math.max(1, retentionDays ?? 30) } },
        },
      ],
    });
    this.privateEndpoint = privateEndpoint(home, {
      existingZoneIds: props.privateDnsZoneIds,
      service: PrivateLinkService.BLOB,
      resourceId: this.account.id,
      resourceName: accountName,
      location: props.location,
      resourceGroupName: props.resourceGroupName,
      network: props.network,
      tags: props.tags,
      endpointTags: tags,
    });
    this.bucketName = containerName;
    this.url = `https://${accountName}.blob.core.windows.net/${containerName}`;
  }

  public grantRead(identity: IWorkloadIdentity): void {
    azureIdentity(this.scope, 'grantRead', identity)?.assignRole(this.container.id, 'Storage Blob Data Reader');
  }

  public grantReadWrite(identity: IWorkloadIdentity): void {
    azureIdentity(this.scope, 'grantReadWrite', identity)?.assignRole(this.container.id, 'Storage Blob Data Contributor');
  }
}

/**
 * What every storage account of the Azure data services is (the documents' account, the events account):
 * StorageV2, zone-redundant, HTTPS with TLS 1.2 at least, infrastructure encryption, no public blobs, and
 * Entra ID only: no account keys, no SAS signed with them (workloads use their managed identity). The network
 * is each account's own.
 */
export function accountBaseline(
  name: string,
  props: AzureDataServicesProps,
): Pick<
  StorageAccountConfig,
  | 'name'
  | 'resourceGroupName'
  | 'location'
  | 'accountKind'
  | 'accountTier'
  | 'accountReplicationType'
  | 'httpsTrafficOnlyEnabled'
  | 'minTlsVersion'
  | 'sharedAccessKeyEnabled'
  | 'defaultToOauthAuthentication'
  | 'allowNestedItemsToBePublic'
  | 'infrastructureEncryptionEnabled'
> {
  return {
    name,
    resourceGroupName: props.resourceGroupName,
    location: props.location,
    accountKind: 'StorageV2',
    accountTier: 'Standard',
    accountReplicationType: 'ZRS',
    httpsTrafficOnlyEnabled: true,
    minTlsVersion: 'TLS1_2',
    sharedAccessKeyEnabled: false,
    defaultToOauthAuthentication: true,
    allowNestedItemsToBePublic: false,
    infrastructureEncryptionEnabled: true,
  };
}

/** A valid container name made from `text` ('data' when nothing of it is left). */
function containerNameFrom(text: string): string {
  const name = clip(slug(text), 63);
  return name.length >= 3 ? name : clip(`${name ? `${name}-` : ''}data`, 63);
}

const warned = new WeakSet<TerraformStack>();

/**
 * azurerm 4.x reads queue properties and the static website of every StorageV2 account through the data
 * plane (account keys unless `storage_use_azuread`, over the public endpoint), unless the provider has
 * `features { storage { data_plane_available = false } }`: with shared keys and public network access off,
 * the first apply then fails with 403 after the account is created. Reported once per stack (a synth
 * problem) when an azurerm provider of the stack does not turn it off.
 * See hashicorp/terraform-provider-azurerm#27752, #33454 and the features-block guide.
 */
function warnIfStorageDataPlaneOn(scope: IConstruct): void {
  const stack = TerraformStack.of(scope);
  if (warned.has(stack)) return;
  warned.add(stack);
  // Checked at synth, when every provider of the stack exists.
  reportProblems(scope, () => {
    const providers = stack.node
      .findAll()
      .filter((c): c is TerraformProvider => c instanceof TerraformProvider && c.terraformResourceType === 'azurerm');
    const off = (p: TerraformProvider) => {
      const features = (p as AzurermProvider).features;
      if (!Array.isArray(features)) return isToken(features);
      return features.some((f) => {
        const storage = f.storage as unknown[] | IResolvable | undefined;
        if (!Array.isArray(storage)) return isToken(storage);
        return storage.some((x) => (x as { dataPlaneAvailable?: unknown }).dataPlaneAvailable === false);
      });
    };
    if (!providers.length || providers.every(off)) return [];
    return [
      'azurerm provider features.storage.dataPlaneAvailable (unset) makes azurerm read this private, Entra-only storage account through its data plane, which refuses it (403 on the first apply, the account left tainted); ' +
        'set features: [{ storage: [{ dataPlaneAvailable: false }] }] on the AzurermProvider',
    ];
  });
}
