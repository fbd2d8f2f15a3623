import { lazyModule } from '../private/lazy';
import { Construct } from 'constructs';
import { CapacityReservationKind } from '../core/capacity-reservation';
import { CloudProvider } from '../core/cluster';
import { GpuNodePool } from '../core/node-pool';

const dataAwsSubnetsLib = lazyModule<typeof import('@cdktf/provider-aws/lib/data-aws-subnets')>('@cdktf/provider-aws/lib/data-aws-subnets');

/** What a managed node group cannot do with the pool's reservation. */
export function validateAwsReservation(pool: GpuNodePool): string[] {
  const r = pool.capacityReservation;
  if (!r) return [];
  const p = `nodePools[${pool.name}].capacityReservation`;
  // Another cloud's reservation is reported for every cloud at once (reservationCloudProblems).
  if (r.cloud !== CloudProvider.AWS) return [];
  const out: string[] = [];
  // The group spans every subnet it is given; instances launched in another zone cannot use a
  // reservation there (EKS docs: give a Capacity Block group only the reservation zone's subnet).
  if (
    (r.kind === CapacityReservationKind.EC2_TARGETED || r.kind === CapacityReservationKind.EC2_CAPACITY_BLOCK) &&
    r.availabilityZone === undefined
  ) {
    out.push(
      `${p}.availabilityZone undefined spreads the node group over every zone, where instances outside the reservation's zone fail to launch; set the reservation's zone, e.g. 'us-east-1a'`,
    );
  }
  // A Capacity Block node group takes its one instance type from the launch template: without one from
  // the pool or the block, the catalog's first pick would go there, and fail to launch unless it is the block's.
  if (r.kind === CapacityReservationKind.EC2_CAPACITY_BLOCK && pool.requestedInstanceTypes === undefined) {
    out.push(
      `${p}.instanceType undefined leaves the Capacity Block's node group without the block's instance type (the pool names none either); pass CapacityReservation.ec2CapacityBlock(id, { instanceType: 'p5.48xlarge' }) with the block's type, or set the pool's instanceTypes`,
    );
  }
  return out;
}

/**
 * The subnets among `subnetIds` in `zone` (a reservation's), read at plan time: ids from variables or
 * another stack work, and a zone without a subnet gives an empty list (the node group then fails to create).
 */
export function subnetsInZone(scope: Construct, id: string, subnetIds: string[], zone: string): string[] {
  return new (dataAwsSubnetsLib().DataAwsSubnets)(scope, id, {
    filter: [
      { name: 'subnet-id', values: subnetIds },
      { name: 'availability-zone', values: [zone] },
    ],
  }).ids;
}
