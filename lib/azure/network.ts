import { lazyModule } from '../private/lazy';
import type { NetworkSecurityGroup } from '@cdktf/provider-azurerm/lib/network-security-group';
import type { Subnet } from '@cdktf/provider-azurerm/lib/subnet';
import type { VirtualNetwork } from '@cdktf/provider-azurerm/lib/virtual-network';
import { Fn } from 'cdktf';
import { Construct } from 'constructs';

const networkSecurityGroupLib = lazyModule<typeof import('@cdktf/provider-azurerm/lib/network-security-group')>(
  '@cdktf/provider-azurerm/lib/network-security-group',
);
const subnetLib = lazyModule<typeof import('@cdktf/provider-azurerm/lib/subnet')>('@cdktf/provider-azurerm/lib/subnet');
const subnetNetworkSecurityGroupAssociationLib = lazyModule<
  typeof import('@cdktf/provider-azurerm/lib/subnet-network-security-group-association')
>('@cdktf/provider-azurerm/lib/subnet-network-security-group-association');
const virtualNetworkLib = lazyModule<typeof import('@cdktf/provider-azurerm/lib/virtual-network')>(
  '@cdktf/provider-azurerm/lib/virtual-network',
);

/** Options of the cluster VNet. */
export interface AzureNetworkProps {
  /** Name prefix. */
  readonly clusterName: string;
  /** Resource group name. */
  readonly resourceGroupName: string;
  /** Location. */
  readonly location: string;
  /** VNet address space. */
  readonly cidr: string;
  /** Tags. */
  readonly tags: { [key: string]: string };
}

/**
 * A VNet with one node subnet. With Azure CNI overlay, pods take addresses from a private overlay range,
 * so the subnet only needs room for nodes (a /20 holds 4,000). The subnet carries a network security
 * group with Azure's default rules only: traffic inside the VNet and from Azure's load balancer probes is
 * allowed, inbound traffic from the internet is denied (a public LoadBalancer Service needs its own rule).
 */
export class AzureNetwork extends Construct {
  /** The VNet. */
  public readonly vnet: VirtualNetwork;
  /** The node subnet. */
  public readonly nodeSubnet: Subnet;
  /** The node subnet id, available once its security group is attached. */
  public readonly nodeSubnetId: string;
  /** The node subnet's network security group. */
  public readonly nodeSecurityGroup: NetworkSecurityGroup;

  constructor(scope: Construct, id: string, props: AzureNetworkProps) {
    super(scope, id);
    this.vnet = new (virtualNetworkLib().VirtualNetwork)(this, 'Resource', {
      name: `${props.clusterName}-vnet`,
      resourceGroupName: props.resourceGroupName,
      location: props.location,
      addressSpace: [props.cidr],
      tags: props.tags,
    });
    this.nodeSubnet = new (subnetLib().Subnet)(this, 'Nodes', {
      name: 'nodes',
      resourceGroupName: props.resourceGroupName,
      virtualNetworkName: this.vnet.name,
      addressPrefixes: [Fn.cidrsubnet(props.cidr, 4, 0)],
    });
    this.nodeSecurityGroup = new (networkSecurityGroupLib().NetworkSecurityGroup)(this, 'NodeSecurityGroup', {
      name: `${props.clusterName}-nodes-nsg`,
      resourceGroupName: props.resourceGroupName,
      location: props.location,
      tags: props.tags,
    });
    const association = new (subnetNetworkSecurityGroupAssociationLib().SubnetNetworkSecurityGroupAssociation)(
      this,
      'NodeSecurityGroupAssociation',
      {
        subnetId: this.nodeSubnet.id,
        networkSecurityGroupId: this.nodeSecurityGroup.id,
      },
    );
    // Read through the association, so the cluster is created once the subnet has its security group.
    this.nodeSubnetId = association.subnetId;
  }
}
