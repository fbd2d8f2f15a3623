import { Subnet } from '@cdktf/provider-azurerm/lib/subnet';
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
 * so the subnet only needs room for nodes (a /20 holds 4,000).
 */
export class AzureNetwork extends Construct {
  /** The VNet. */
  public readonly vnet: VirtualNetwork;
  /** The node subnet. */
  public readonly nodeSubnet: Subnet;

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
  }
}
