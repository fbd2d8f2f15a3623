import { lazyModule } from '../../private/lazy';
import type { ManagedRedis } from '@cdktf/provider-azurerm/lib/managed-redis';
import type { PrivateEndpoint } from '@cdktf/provider-azurerm/lib/private-endpoint';
import type { SecretV1 } from '@cdktf/provider-kubernetes/lib/secret-v1';
import { ITerraformDependable, dependable } from 'cdktf';
import { Construct, Node } from 'constructs';
import { CloudProvider, IWorkloadIdentity } from '../../core/cluster';
import { dataScopeIn } from '../../core/data-scope';
import { IKeyValueCache, KeyValueCacheOptions, ServiceLogin } from '../../core/data-services';
import { requestGrantEgress } from '../../core/egress-requests';
import { sameStack } from '../../private/cluster-access';
import { reportProblems } from '../../private/problems';
import { isToken } from '../../private/validation';
import { isThrowaway, retainLifecycle, serviceTags } from './common';
import type { AzureDataServicesProps } from './index';
import { clip, hyphenatedName, literal, serviceHash, slug } from './names';
import { PrivateLinkService, privateEndpoint } from './private-endpoint';

const managedRedisLib = lazyModule<typeof import('@cdktf/provider-azurerm/lib/managed-redis')>('@cdktf/provider-azurerm/lib/managed-redis');
const secretV1Lib = lazyModule<typeof import('@cdktf/provider-kubernetes/lib/secret-v1')>('@cdktf/provider-kubernetes/lib/secret-v1');

const SKU_PREFIX = /^(Balanced|MemoryOptimized|ComputeOptimized|FlashOptimized)_/;

/**
 * Azure Managed Redis (Microsoft.Cache/redisEnterprise; Azure Cache for Redis is being retired): TLS only,
 * public network access disabled (a private endpoint in the node subnet), high availability by default,
 * no eviction. Workloads authenticate with the access key, which Terraform writes into a Kubernetes secret
 * in the workload's namespace: the key lives in Terraform state and in the cluster, never in synth output.
 */
export class AzureManagedRedis implements IKeyValueCache {
  public readonly node: Node;
  public readonly host: string;
  public readonly port: number;
  /** The Managed Redis instance with its default database. */
  public readonly redis: ManagedRedis;
  /** The private endpoint. */
  public readonly privateEndpoint: PrivateEndpoint;
  private readonly scope: Construct;
  private readonly props: AzureDataServicesProps;
  private readonly secretName: string;
  /** The access key secret per namespace (one, whatever the number of grants), with what it waits for. */
  private readonly secrets = new Map<string, { secret: SecretV1; waitsFor: Set<ITerraformDependable> }>();

  constructor(scope: Construct, props: AzureDataServicesProps, options: KeyValueCacheOptions) {
    this.scope = scope;
    this.props = props;
    this.node = scope.node;
    const throwaway = isThrowaway(options.removalPolicy);
    const tags = serviceTags(props.tags, throwaway);
    const sku = options.instanceType ?? 'Balanced_B5';
    const problems: string[] = [];
    if (!isToken(sku) && !SKU_PREFIX.test(sku)) {
      problems.push(
        `instanceType '${sku}' is not an Azure Managed Redis SKU (Balanced_, MemoryOptimized_, ComputeOptimized_ or FlashOptimized_ followed by the size); use e.g. 'Balanced_B5'`,
      );
    }
    if (options.transitEncryption === false) {
      problems.push(`transitEncryption false would send keys in clear text; remove it: Azure Managed Redis is TLS only here`);
    }
    if (problems.length) reportProblems(scope, problems);

    // <name>.<region>.redis.azure.net: unique across Azure; 3-63 letters, digits and single '-'.
    const name = hyphenatedName(scope, props.clusterName, props.resourceGroupName, 63);
    this.secretName = `${clip(slug(scope.node.id) || 'cache', 40)}-${serviceHash(scope, props.clusterName, props.resourceGroupName, 6)}-redis`;
    // The cache outlives the cluster in its data stack, if any; the access key secrets stay here.
    const home = dataScopeIn(props.dataStack, scope);
    this.redis = new (managedRedisLib().ManagedRedis)(home, 'Redis', {
      name,
      resourceGroupName: props.resourceGroupName,
      location: props.location,
      skuName: sku,
      highAvailabilityEnabled: options.highAvailability ?? true,
      publicNetworkAccess: 'Disabled',
      defaultDatabase: {
        clientProtocol: 'Encrypted',
        // Access keys, because azurerm 4.53 has no resource for Managed Redis access policy assignments
        // (azurerm_managed_redis_access_policy_assignment arrived in 4.60): Entra ID data-plane access could not
        // be granted to a workload identity from Terraform.
        accessKeysAuthenticationEnabled: true,
        // One endpoint behind Azure's proxy, which routes keys to shards: any Redis client works, where
        // OSSCluster hands out shard addresses and needs a cluster-aware client
        // (https://learn.microsoft.com/azure/redis/choose-clustering-policy). ForceNew, like the other
        // database settings.
        clusteringPolicy: 'EnterpriseCluster',
        // A store, not only a cache: writes fail when memory is full rather than silently dropping keys.
        evictionPolicy: 'NoEviction',
      },
      tags,
      lifecycle: retainLifecycle(throwaway),
    });
    this.privateEndpoint = privateEndpoint(home, {
      existingZoneIds: props.privateDnsZoneIds,
      service: PrivateLinkService.MANAGED_REDIS,
      resourceId: this.redis.id,
      resourceName: name,
      location: props.location,
      resourceGroupName: props.resourceGroupName,
      network: props.network,
      tags: props.tags,
      endpointTags: tags,
    });
    this.host = this.redis.hostname;
    this.port = this.redis.defaultDatabase.port;
  }

  public grantReadWrite(identity: IWorkloadIdentity, after?: ITerraformDependable[]): ServiceLogin {
    requestGrantEgress(identity, 'cache', this.port);
    if (identity.cloudProvider !== CloudProvider.AZURE) {
      reportProblems(this.scope, [
        `grantReadWrite identity ${identity.node.path} is not an Azure workload identity; bind the service account with cluster.bindServiceAccount on this AKS cluster`,
      ]);
    }
    const namespace = identity.namespace;
    const waitFor = [...this.props.cluster.addonDependencies(this.scope), ...(after ?? [])];
    let entry = this.secrets.get(namespace);
    if (!entry) {
      const ns = literal(namespace);
      const id = ns !== undefined ? `Secret-${ns}` : `Secret${this.secrets.size}`;
      const secret = new (secretV1Lib().SecretV1)(this.scope, id, {
        provider: this.props.cluster.providers(this.scope).kubernetes,
        metadata: { name: this.secretName, namespace },
        type: 'Opaque',
        // A reference: the key is read at apply time and kept in state, never written into synth output.
        data: { password: this.redis.defaultDatabase.primaryAccessKey },
        dependsOn: waitFor.length ? waitFor : undefined,
      });
      entry = { secret, waitsFor: new Set(waitFor) };
      this.secrets.set(namespace, entry);
    } else {
      // A second grant in the namespace reuses the secret, which also waits for what this grant waits for.
      const more = waitFor.filter((d) => !entry!.waitsFor.has(d));
      more.forEach((d) => entry!.waitsFor.add(d));
      if (more.length) entry.secret.dependsOn = [...(entry.secret.dependsOn ?? []), ...more.map((d) => dependable(d))];
    }
    const secret = entry.secret;
    return {
      user: 'default',
      authentication: 'access-key',
      passwordSecret: { namespace, name: this.secretName, key: 'password' },
      dependables: [secret, ...sameStack(this.scope, [this.privateEndpoint])],
    };
  }
}
