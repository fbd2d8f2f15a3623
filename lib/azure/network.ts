import { NetworkSecurityGroup } from '@cdktf/provider-azurerm/lib/network-security-group';
import { Subnet } from '@cdktf/provider-azurerm/lib/subnet';
import { SubnetNetworkSecurityGroupAssociation } from '@cdktf/provider-azurerm/lib/subnet-network-security-group-association';
import { VirtualNetwork } from '@cdktf/provider-azurerm/lib/virtual-network';
import { Fn } from 'cdktf';
import { Construct } from 'constructs';

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
    this.vnet = new VirtualNetwork(this, 'Resource', {
      name: `${props.clusterName}-vnet`,
      resourceGroupName: props.resourceGroupName,
      location: props.location,
      addressSpace: [props.cidr],
      tags: props.tags,
    });
    this.nodeSubnet = new Subnet(this, 'Nodes', {
      name: 'nodes',
      resourceGroupName: props.resourceGroupName,
      virtualNetworkName: this.vnet.name,
      addressPrefixes: [Fn.cidrsubnet(props.cidr, 4, 0)],
    });
    this.nodeSecurityGroup = new NetworkSecurityGroup(this, 'NodeSecurityGroup', {
      name: `${props.clusterName}-nodes-nsg`,
      resourceGroupName: props.resourceGroupName,
      location: props.location,
      tags: props.tags,
    });
    const association = new SubnetNetworkSecurityGroupAssociation(this, 'NodeSecurityGroupAssociation', {
      subnetId: this.nodeSubnet.id,
      networkSecurityGroupId: this.nodeSecurityGroup.id,
    });
    // Read through the association, so the cluster is created once the subnet has its security group.
    this.nodeSubnetId = association.subnetId;
  }
}
