import { lazyModule } from '../../private/lazy';
import type { PrivateDnsZone } from '@cdktf/provider-azurerm/lib/private-dns-zone';
import type { PrivateEndpoint } from '@cdktf/provider-azurerm/lib/private-endpoint';
import { Fn, ITerraformDependable, TerraformStack } from 'cdktf';
import { Construct, IConstruct } from 'constructs';
import { ClusterNetwork } from '../../core/cluster';
import { reportProblems } from '../../private/problems';
import { isToken } from '../../private/validation';
import { literal, shortHash, slug } from './names';

const privateDnsZoneLib = lazyModule<typeof import('@cdktf/provider-azurerm/lib/private-dns-zone')>(
  '@cdktf/provider-azurerm/lib/private-dns-zone',
);
const privateDnsZoneVirtualNetworkLinkLib = lazyModule<typeof import('@cdktf/provider-azurerm/lib/private-dns-zone-virtual-network-link')>(
  '@cdktf/provider-azurerm/lib/private-dns-zone-virtual-network-link',
);
const privateEndpointLib = lazyModule<typeof import('@cdktf/provider-azurerm/lib/private-endpoint')>(
  '@cdktf/provider-azurerm/lib/private-endpoint',
);

/**
 * The one private-connectivity mechanism of the Azure data services: a private endpoint in the cluster's
 * node subnet, and the service's `privatelink.*` private DNS zone linked to the cluster's VNet, which the
 * endpoint's DNS zone group fills with the A record. Clients keep using the public host name; inside the
 * VNet it resolves to the endpoint's private address.
 * https://learn.microsoft.com/azure/private-link/private-endpoint-dns
 */
export enum PrivateLinkService {
  /** Blob storage: subresource 'blob'. */
  BLOB = 'blob',
  /** PostgreSQL Flexible Server: subresource 'postgresqlServer'. */
  POSTGRES = 'postgresqlServer',
  /** Azure Managed Redis (Microsoft.Cache/redisEnterprise): subresource 'redisEnterprise'. */
  MANAGED_REDIS = 'redisEnterprise',
  /** Queue storage: subresource 'queue'. */
  QUEUE = 'queue',
}

const ZONES: { [service in PrivateLinkService]: { zone: string; id: string } } = {
  [PrivateLinkService.BLOB]: { zone: 'privatelink.blob.core.windows.net', id: 'Blob' },
  [PrivateLinkService.POSTGRES]: { zone: 'privatelink.postgres.database.azure.com', id: 'Postgres' },
  // Azure Managed Redis answers on <name>.<region>.redis.azure.net (Azure Cache for Redis used
  // privatelink.redis.cache.windows.net, a different zone).
  [PrivateLinkService.MANAGED_REDIS]: { zone: 'privatelink.redis.azure.net', id: 'ManagedRedis' },
  [PrivateLinkService.QUEUE]: { zone: 'privatelink.queue.core.windows.net', id: 'Queue' },
};

/** Where a service of one cluster puts its private endpoint. */
export interface PrivateLinkPlacement {
  /** Location of the endpoint. */
  readonly location: string;
  /** Resource group of the endpoint and of the private DNS zone. */
  readonly resourceGroupName: string;
  /** The cluster's VNet (zone link) and node subnet (endpoint). */
  readonly network: ClusterNetwork;
  /** Tags of the zone and its link. */
  readonly tags: { [key: string]: string };
  /**
   * Private DNS zones that already serve the VNet (a hub's central zones), by zone name
   * (`privatelink.blob.core.windows.net`, ...): endpoints register there and no zone or link is created.
   * @default - none: each zone is created and linked
   */
  readonly existingZoneIds?: { [zoneName: string]: string };
}

/** Zones and links already created, per stack: key `<service>|<resource group>` and `<zone key>|<vnet>`. */
const zones = new WeakMap<TerraformStack, Map<string, PrivateDnsZone>>();
const links = new WeakMap<TerraformStack, Set<string>>();
/** Per stack and kind, the construct id suffix given to each resource group or VNet ('' for the first). */
const suffixes = new WeakMap<TerraformStack, Map<string, Map<string, string>>>();

/**
 * A construct id suffix for `value` (a resource group or VNet id) among the values of `kind` in `stack`:
 * '' for the first, so the common case (one cluster per stack) has short ids; later literals get their slug,
 * later tokens their rank. Ids stay stable as long as the first value stays first.
 */
function suffixFor(stack: TerraformStack, kind: string, value: string): string {
  const byKind = suffixes.get(stack) ?? new Map<string, Map<string, string>>();
  suffixes.set(stack, byKind);
  const seen = byKind.get(kind) ?? new Map<string, string>();
  byKind.set(kind, seen);
  const known = seen.get(value);
  if (known !== undefined) return known;
  const lit = literal(value);
  const suffix = seen.size === 0 ? '' : `-${lit !== undefined ? slug(lit) || seen.size : seen.size}`;
  seen.set(value, suffix);
  return suffix;
}

/**
 * The private DNS zone of `service` for the resource group and VNet of `placement`, linked to the VNet:
 * created at most once per resource group (zone) and VNet (link) per stack, under a construct at the stack's
 * top (`AzurePrivateDns`), so removing the first service that asked for it does not move it.
 */
export function privateDnsZone(scope: IConstruct, service: PrivateLinkService, placement: PrivateLinkPlacement): string {
  const stack = TerraformStack.of(scope);
  const { zone: zoneName, id } = ZONES[service];
  // A VNet can be linked to one zone of a name only: a hub's zone, when given, is used as it is.
  const existing = placement.existingZoneIds?.[zoneName];
  if (existing) return existing;
  const zoneKey = `${service}|${placement.resourceGroupName}`;
  const byStack = zones.get(stack) ?? new Map<string, PrivateDnsZone>();
  zones.set(stack, byStack);
  const host = (stack.node.tryFindChild('AzurePrivateDns') as Construct | undefined) ?? new Construct(stack, 'AzurePrivateDns');
  let zone = byStack.get(zoneKey);
  const rgSuffix = suffixFor(stack, 'rg', placement.resourceGroupName);
  if (!zone) {
    zone = new (privateDnsZoneLib().PrivateDnsZone)(host, `${id}${rgSuffix}`, {
      name: zoneName,
      resourceGroupName: placement.resourceGroupName,
      tags: placement.tags,
    });
    byStack.set(zoneKey, zone);
  }
  const linkKey = `${zoneKey}|${placement.network.networkId}`;
  const linked = links.get(stack) ?? new Set<string>();
  links.set(stack, linked);
  if (!linked.has(linkKey)) {
    linked.add(linkKey);
    const vnetSuffix = suffixFor(stack, 'vnet', placement.network.networkId);
    const vnetName = literal(placement.network.networkId)?.split('/').pop();
    // Link names are unique per zone: the VNet's name when known, else a hash of the stack and the suffix.
    const linkName = vnetName
      ? `${vnetName}-link`.slice(0, 80)
      : `vnet-${shortHash(10, stack.node.path, zoneName, rgSuffix, vnetSuffix)}-link`;
    new (privateDnsZoneVirtualNetworkLinkLib().PrivateDnsZoneVirtualNetworkLink)(host, `${id}${rgSuffix}Link${vnetSuffix}`, {
      name: linkName,
      resourceGroupName: placement.resourceGroupName,
      privateDnsZoneName: zone.name,
      virtualNetworkId: placement.network.networkId,
      registrationEnabled: false,
      tags: placement.tags,
    });
  }
  return zone.id;
}

/** The subnet private endpoints go to: the first of network.privateSubnetIds (a list token is indexed by Terraform). */
export function endpointSubnet(scope: IConstruct, network: ClusterNetwork): string {
  const ids = network.privateSubnetIds;
  if (isToken(ids)) return Fn.element(ids, 0);
  if (!ids.length) {
    reportProblems(scope, [
      `network.privateSubnetIds [] is empty, so the private endpoint has no subnet; pass the cluster's node subnet id`,
    ]);
    return '';
  }
  return ids[0];
}

/** Options of a private endpoint. */
export interface PrivateEndpointOptions extends PrivateLinkPlacement {
  /** The service's resource id. */
  readonly resourceId: string;
  /** Name of the service resource (literal); the endpoint is `<name>-pe`. */
  readonly resourceName: string;
  /** Which service, hence subresource and DNS zone. */
  readonly service: PrivateLinkService;
  /** Tags of the endpoint. */
  readonly endpointTags: { [key: string]: string };
  /**
   * Resources the endpoint waits for.
   * @default - none
   */
  readonly dependsOn?: ITerraformDependable[];
}

/** A private endpoint for one service, with its DNS zone group, under `scope` (id 'PrivateEndpoint'). */
export function privateEndpoint(scope: Construct, options: PrivateEndpointOptions): PrivateEndpoint {
  const zoneId = privateDnsZone(scope, options.service, options);
  // Private endpoint names: 1-80 characters, letters, digits, '_', '.', '-'; resource names here are
  // at most 63 characters of letters, digits and '-'.
  return new (privateEndpointLib().PrivateEndpoint)(scope, 'PrivateEndpoint', {
    name: `${options.resourceName}-pe`,
    location: options.location,
    resourceGroupName: options.resourceGroupName,
    subnetId: endpointSubnet(scope, options.network),
    privateServiceConnection: {
      name: `${options.resourceName}-${options.service.toLowerCase()}`.slice(0, 80),
      privateConnectionResourceId: options.resourceId,
      isManualConnection: false,
      subresourceNames: [options.service],
    },
    privateDnsZoneGroup: { name: 'default', privateDnsZoneIds: [zoneId] },
    tags: options.endpointTags,
    dependsOn: options.dependsOn,
  });
}
