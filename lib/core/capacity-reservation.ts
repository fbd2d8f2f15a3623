import { Token } from 'cdktf';
import { CloudProvider } from './cluster';
import { shown } from '../private/validation';

/** The shape of reserved capacity a pool runs on. */
export enum CapacityReservationKind {
  /** An EC2 On-Demand Capacity Reservation, targeted by its id (cr-…). */
  EC2_TARGETED = 'ec2-targeted',
  /** The EC2 On-Demand Capacity Reservations of a resource group, targeted by the group's ARN. */
  EC2_RESOURCE_GROUP = 'ec2-resource-group',
  /** Any open EC2 On-Demand Capacity Reservation that matches; plain On-Demand when none does. */
  EC2_OPEN = 'ec2-open',
  /** An EC2 Capacity Block for ML (cr-…): a fixed number of GPU instances for a fixed window. */
  EC2_CAPACITY_BLOCK = 'ec2-capacity-block',
  /** An Azure capacity reservation group. */
  AZURE_GROUP = 'azure-group',
}

/** Options of an EC2 On-Demand Capacity Reservation or Capacity Block. */
export interface Ec2CapacityReservationOptions {
  /**
   * Availability zone of the reservation (e.g. us-east-1a): the node group launches only in the cluster's
   * subnets of that zone, because an instance in another zone cannot use the reservation.
   * @default - every subnet of the cluster (a managed node group on a Capacity Block or a reservation
   * targeted by id needs it)
   */
  readonly availabilityZone?: string;
  /**
   * The instance type the reservation holds, checked against the pool's and used when the pool names none.
   * @default - the pool's instance type (required for a Capacity Block when the pool names none)
   */
  readonly instanceType?: string;
}

/** Options of an Azure capacity reservation group. */
export interface AzureCapacityReservationGroupOptions {
  /**
   * The VM size reserved in the group, checked against the pool's and used when the pool names none.
   * @default - the pool's VM size
   */
  readonly vmSize?: string;
  /**
   * Availability zones of the group ('1', '2', '3'), set as the pool's zones. They must be the group's:
   * AKS cannot associate a pool whose zones the group does not reserve in, and a zonal group's
   * reservations are used only by VMs in their zone.
   * @default - no zones on the pool (a regional group)
   */
  readonly zones?: string[];
}

const EC2_RESERVATION_ID = /^cr-[0-9a-f]{8}([0-9a-f]{9})?$/;
const RESOURCE_GROUP_ARN = /^arn:aws[a-z-]*:resource-groups:[a-z0-9-]+:\d{12}:group\/[A-Za-z0-9_.-]{1,128}$/;
// Case-sensitive, like azurerm's validator of capacity_reservation_group_id (a lower-case segment fails its plan).
const AZURE_GROUP_ID = /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.Compute\/capacityReservationGroups\/[^/]+$/;
const AZURE_ZONE = /^[1-9]$/;
const AZ = /^[a-z]{2}(-[a-z]+)+-\d[a-z]$/;

/**
 * Reserved capacity a pool runs on, in the shape its cloud sells it. Ids come from variables; a token is
 * never checked.
 *
 * ```ts
 * const blockId = new TerraformVariable(this, 'capacity_block_id', { type: 'string' });
 * GpuNodePool.training('train', {
 *   gpu: Gpu.H100_80GB, minNodes: 0, maxNodes: 2,
 *   capacityReservation: CapacityReservation.ec2CapacityBlock(blockId.stringValue, { availabilityZone: 'us-east-1a', instanceType: 'p5.48xlarge' }),
 * })
 * ```
 */
export class CapacityReservation {
  /** An EC2 On-Demand Capacity Reservation targeted by id: nodes launch into it or fail to launch. */
  public static ec2(reservationId: string, options: Ec2CapacityReservationOptions = {}): CapacityReservation {
    return new CapacityReservation(
      CapacityReservationKind.EC2_TARGETED,
      CloudProvider.AWS,
      reservationId,
      options.availabilityZone,
      options.instanceType,
    );
  }

  /**
   * The EC2 On-Demand Capacity Reservations of a resource group (they may hold several types and zones).
   * Once they are used, nodes launch as plain On-Demand: the pool is labelled and priced on-demand.
   */
  public static ec2ResourceGroup(resourceGroupArn: string, options: Ec2CapacityReservationOptions = {}): CapacityReservation {
    return new CapacityReservation(
      CapacityReservationKind.EC2_RESOURCE_GROUP,
      CloudProvider.AWS,
      resourceGroupArn,
      options.availabilityZone,
      options.instanceType,
    );
  }

  /** Whatever open EC2 On-Demand Capacity Reservation matches a node; plain On-Demand when none does. */
  public static ec2Open(options: Ec2CapacityReservationOptions = {}): CapacityReservation {
    return new CapacityReservation(
      CapacityReservationKind.EC2_OPEN,
      CloudProvider.AWS,
      undefined,
      options.availabilityZone,
      options.instanceType,
    );
  }

  /**
   * An EC2 Capacity Block for ML: nodes run only inside the block's window, on its one instance type, in
   * its one zone.
   */
  public static ec2CapacityBlock(reservationId: string, options: Ec2CapacityReservationOptions = {}): CapacityReservation {
    return new CapacityReservation(
      CapacityReservationKind.EC2_CAPACITY_BLOCK,
      CloudProvider.AWS,
      reservationId,
      options.availabilityZone,
      options.instanceType,
    );
  }

  /**
   * An Azure capacity reservation group (its resource id). The group may run more VMs than it reserves:
   * the extra ones are billed at normal rates and have no capacity guarantee.
   */
  public static azureGroup(capacityReservationGroupId: string, options: AzureCapacityReservationGroupOptions = {}): CapacityReservation {
    return new CapacityReservation(
      CapacityReservationKind.AZURE_GROUP,
      CloudProvider.AZURE,
      capacityReservationGroupId,
      undefined,
      options.vmSize,
      options.zones,
    );
  }

  /** The shape of the reservation. */
  public readonly kind: CapacityReservationKind;
  /** The cloud that sells it. */
  public readonly cloud: CloudProvider;
  /**
   * The reservation's id: cr-… (EC2 targeted, Capacity Block), the resource group ARN, or the Azure
   * capacity reservation group id; undefined for EC2 open.
   */
  public readonly id?: string;
  /** Availability zone, when given. */
  public readonly availabilityZone?: string;
  /** The reserved instance type (AWS) or VM size (Azure), when given. */
  public readonly instanceType?: string;
  /** Availability zones of an Azure group, when given. */
  public readonly zones?: string[];

  private constructor(
    kind: CapacityReservationKind,
    cloud: CloudProvider,
    id?: string,
    availabilityZone?: string,
    instanceType?: string,
    zones?: string[],
  ) {
    this.kind = kind;
    this.cloud = cloud;
    this.id = id;
    this.availabilityZone = availabilityZone;
    this.instanceType = instanceType;
    this.zones = zones;
  }

  /** True for a Capacity Block for ML. */
  public get capacityBlock(): boolean {
    return this.kind === CapacityReservationKind.EC2_CAPACITY_BLOCK;
  }

  /**
   * True when every node the pool launches runs on the reservation (or fails to launch): an EC2
   * reservation targeted by id, a Capacity Block, an Azure capacity reservation group. False for EC2
   * open reservations and resource groups, whose nodes fall back to plain On-Demand once the reserved
   * instances are used (the pool's nodes are then labelled and priced on-demand, and Karpenter may launch
   * on-demand). An Azure group may still run more VMs than it reserves (overallocation): those run at
   * normal pay-as-you-go rates, without the reservation's capacity SLA.
   */
  public get guaranteed(): boolean {
    return (
      this.kind === CapacityReservationKind.EC2_TARGETED ||
      this.kind === CapacityReservationKind.EC2_CAPACITY_BLOCK ||
      this.kind === CapacityReservationKind.AZURE_GROUP
    );
  }

  /**
   * Checks of the reservation's own literals (ids, zone) that hold for every provisioner; each message
   * reads `<prop> <value> …; <fix>`.
   */
  public validate(prop: string): string[] {
    const out: string[] = [];
    const literal = (v: string | undefined): v is string => v !== undefined && !Token.isUnresolved(v);
    switch (this.kind) {
      case CapacityReservationKind.EC2_TARGETED:
      case CapacityReservationKind.EC2_CAPACITY_BLOCK:
        if (literal(this.id) && !EC2_RESERVATION_ID.test(this.id))
          out.push(`${prop} ${shown(this.id)} is not an EC2 capacity reservation id; pass cr-0123456789abcdef0 (from a variable)`);
        break;
      case CapacityReservationKind.EC2_RESOURCE_GROUP:
        if (literal(this.id) && !RESOURCE_GROUP_ARN.test(this.id))
          out.push(
            `${prop} ${shown(this.id)} is not a resource group ARN; pass arn:aws:resource-groups:<region>:<account>:group/<name> (from a variable)`,
          );
        break;
      case CapacityReservationKind.AZURE_GROUP:
        if (literal(this.id) && !AZURE_GROUP_ID.test(this.id))
          out.push(
            `${prop} ${shown(this.id)} is not a capacity reservation group id; pass /subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.Compute/capacityReservationGroups/<name> (from a variable)`,
          );
        break;
      default:
        break;
    }
    for (const z of (this.zones ?? []).filter(literal)) {
      if (!AZURE_ZONE.test(z)) out.push(`${prop}.zones ${shown(z)} is not an Azure availability zone; use the group's zones, e.g. ['1']`);
    }
    if (literal(this.availabilityZone) && !AZ.test(this.availabilityZone))
      out.push(`${prop}.availabilityZone ${shown(this.availabilityZone)} is not an availability zone name; use e.g. 'us-east-1a'`);
    return out;
  }
}

/** What of a pool bears on its reservation. */
export interface ReservedPoolShape {
  /** Spot capacity. */
  readonly spot: boolean;
  /**
   * Fewest nodes.
   * @default - unknown (a token)
   */
  readonly minNodes?: number;
  /** The instance types (or VM size) the pool names; empty when it names none. */
  readonly instanceTypes: string[];
}

/**
 * What cannot work with a pool's reservation, whatever the cloud or provisioner; each message reads
 * `<p>.<prop> <value> …; <fix>`.
 */
export function reservedPoolProblems(p: string, r: CapacityReservation, pool: ReservedPoolShape): string[] {
  const out = r.validate(`${p}.capacityReservation`);
  if (pool.spot) {
    out.push(
      `${p}.spot true cannot run on capacityReservation ${r.kind}: reserved capacity is On-Demand capacity; set spot: false, or drop capacityReservation`,
    );
  }
  // EKS upgrades a Capacity Block node group only at desired size 0, and scales it to 0 itself 40
  // minutes before the block ends (EC2 reclaims the instances 30 minutes before): a floor above 0 holds
  // nodes against both. Nodes come when the autoscaler (or a scheduled action) asks inside the window.
  if (r.kind === CapacityReservationKind.EC2_CAPACITY_BLOCK && pool.minNodes !== undefined && pool.minNodes > 0) {
    out.push(
      `${p}.minNodes ${pool.minNodes} on a Capacity Block keeps nodes the block reclaims at its end and blocks node group upgrades (EKS needs desired size 0); use minNodes: 0 and let the autoscaler scale up inside the block's window`,
    );
  }
  // A reservation holds one instance type: a targeted one (or a block) launches nothing else.
  const types = pool.instanceTypes;
  const single = r.kind === CapacityReservationKind.EC2_TARGETED || r.kind === CapacityReservationKind.EC2_CAPACITY_BLOCK;
  if (single && types.length > 1) {
    out.push(
      `${p}.instanceTypes ${JSON.stringify(types)} name several types, but capacityReservation ${r.kind} holds one; name only the reserved type`,
    );
  }
  const reserved = r.instanceType;
  if (reserved !== undefined && !Token.isUnresolved(reserved) && r.guaranteed) {
    const other = types.filter((t) => !Token.isUnresolved(t) && t !== reserved);
    if (other.length) {
      out.push(
        `${p}.instanceType ${shown(other[0])} is not the reserved ${shown(reserved)} of capacityReservation ${r.kind}; use ${shown(reserved)}, or leave the pool's type unset`,
      );
    }
  }
  return out;
}

/** How a cluster's cloud is named in messages, and the reservations it takes. */
const RESERVATIONS_OF: { [cloud: string]: { name: string; use: string } } = {
  [CloudProvider.AWS]: { name: 'AWS', use: 'CapacityReservation.ec2(…), .ec2Open(), .ec2CapacityBlock(…) or .ec2ResourceGroup(…)' },
  [CloudProvider.AZURE]: { name: 'Azure', use: 'CapacityReservation.azureGroup(<capacity reservation group id>)' },
};

/** A pool's reservation of another cloud than its cluster's, as `<prop> <value> <problem>; <fix>` (one place for every cloud). */
export function reservationCloudProblems(poolName: string, r: CapacityReservation | undefined, cloud: CloudProvider): string[] {
  if (!r || r.cloud === cloud) return [];
  const of = RESERVATIONS_OF[cloud];
  return [`nodePools[${poolName}].capacityReservation ${r.kind} is an ${r.cloud} reservation on an ${of.name} cluster; use ${of.use}`];
}
