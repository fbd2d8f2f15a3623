import { lazyModule } from '../private/lazy';
import type { NatGateway } from '@cdktf/provider-aws/lib/nat-gateway';
import type { Vpc } from '@cdktf/provider-aws/lib/vpc';
import { Fn } from 'cdktf';
import { Construct } from 'constructs';
import { VpcFlowLogs } from './vpc-flow-logs';

const dataAwsAvailabilityZonesLib = lazyModule<typeof import('@cdktf/provider-aws/lib/data-aws-availability-zones')>(
  '@cdktf/provider-aws/lib/data-aws-availability-zones',
);
const eipLib = lazyModule<typeof import('@cdktf/provider-aws/lib/eip')>('@cdktf/provider-aws/lib/eip');
const internetGatewayLib = lazyModule<typeof import('@cdktf/provider-aws/lib/internet-gateway')>(
  '@cdktf/provider-aws/lib/internet-gateway',
);
const natGatewayLib = lazyModule<typeof import('@cdktf/provider-aws/lib/nat-gateway')>('@cdktf/provider-aws/lib/nat-gateway');
const routeTableLib = lazyModule<typeof import('@cdktf/provider-aws/lib/route-table')>('@cdktf/provider-aws/lib/route-table');
const routeTableAssociationLib = lazyModule<typeof import('@cdktf/provider-aws/lib/route-table-association')>(
  '@cdktf/provider-aws/lib/route-table-association',
);
const subnetLib = lazyModule<typeof import('@cdktf/provider-aws/lib/subnet')>('@cdktf/provider-aws/lib/subnet');
const vpcLib = lazyModule<typeof import('@cdktf/provider-aws/lib/vpc')>('@cdktf/provider-aws/lib/vpc');
const defaultSecurityGroupLib = lazyModule<typeof import('@cdktf/provider-aws/lib/default-security-group')>(
  '@cdktf/provider-aws/lib/default-security-group',
);

/** Availability-zone ids EKS does not support for clusters (Amazon EKS user guide, cluster creation). */
export const EKS_UNSUPPORTED_ZONE_IDS: string[] = ['use1-az3', 'usw1-az2', 'cac1-az3'];

/** Options of the cluster VPC. */
export interface AwsNetworkProps {
  /** Name used in tags and for the Kubernetes cluster tag. */
  readonly clusterName: string;
  /**
   * VPC CIDR; /16 leaves room for pod IPs from the VPC CNI.
   * @default '10.0.0.0/16'
   */
  readonly cidr?: string;
  /**
   * Availability zones to spread subnets over (2-4).
   * @default 3
   */
  readonly availabilityZoneCount?: number;
  /**
   * One NAT gateway for all zones: cheaper, but a zone outage cuts egress for the others.
   * @default false
   */
  readonly singleNatGateway?: boolean;
  /**
   * Record all traffic of the VPC (VPC flow logs) in a KMS-encrypted CloudWatch log group. Turn off only
   * where the account's central logging records the VPC already.
   * @default true
   */
  readonly flowLogs?: boolean;
  /**
   * Retention of the flow logs in days, one of CloudWatch Logs' retention values.
   * @default 365
   */
  readonly flowLogRetentionDays?: number;
  /**
   * Keep the flow log group when the VPC is destroyed (`skip_destroy`: it leaves the state and stays; a VPC
   * of the same cluster name then needs it deleted or imported first).
   * @default true
   */
  readonly retainFlowLogsOnDestroy?: boolean;
  /**
   * The VPC lives in a data stack that outlives the cluster: a retained flow log group and its key get
   * `prevent_destroy` instead of `skip_destroy`, so they stay in that stack's state.
   * @default false
   */
  readonly inDataStack?: boolean;
  /**
   * Tag the private subnets `karpenter.sh/discovery: <cluster>`, where Karpenter's node classes look for them.
   * @default false
   */
  readonly karpenterDiscovery?: boolean;
  /** Tags for every resource. */
  readonly tags: { [key: string]: string };
}

/**
 * A VPC for EKS: private subnets (one /19 per zone) for nodes and internal load balancers, small public
 * subnets for NAT gateways and internet-facing load balancers, a default security group that allows
 * nothing, and flow logs of all its traffic (unless turned off).
 */
export class AwsNetwork extends Construct {
  /** The VPC. */
  public readonly vpc: Vpc;
  /** VPC id. */
  public readonly vpcId: string;
  /** Private subnet ids, one per zone. */
  public readonly privateSubnetIds: string[];
  /** Public subnet ids, one per zone. */
  public readonly publicSubnetIds: string[];
  /** Resources whose removal must wait until cluster resources are gone (NAT routes used by nodes). */
  public readonly egressDependables: NatGateway[];
  /** The VPC's flow logs, unless turned off. */
  public readonly flowLogs?: VpcFlowLogs;

  constructor(scope: Construct, id: string, props: AwsNetworkProps) {
    super(scope, id);
    const cidr = props.cidr ?? '10.0.0.0/16';
    const azCount = props.availabilityZoneCount ?? 3;
    const clusterTag = `kubernetes.io/cluster/${props.clusterName}`;
    const name = (suffix: string) => ({ ...props.tags, Name: `${props.clusterName}-${suffix}` });

    const azs = new (dataAwsAvailabilityZonesLib().DataAwsAvailabilityZones)(this, 'Zones', {
      state: 'available',
      filter: [{ name: 'opt-in-status', values: ['opt-in-not-required'] }],
      // Zones where EKS cannot place a control plane: CreateCluster rejects subnets in them.
      excludeZoneIds: [...EKS_UNSUPPORTED_ZONE_IDS],
    });
    this.vpc = new (vpcLib().Vpc)(this, 'Resource', {
      cidrBlock: cidr,
      enableDnsHostnames: true,
      enableDnsSupport: true,
      tags: name('vpc'),
    });
    this.vpcId = this.vpc.id;
    if (props.flowLogs ?? true) {
      this.flowLogs = new VpcFlowLogs(this, 'FlowLogs', {
        vpcId: this.vpc.id,
        clusterName: props.clusterName,
        retentionDays: props.flowLogRetentionDays,
        retainOnDestroy: props.retainFlowLogsOnDestroy,
        inDataStack: props.inDataStack,
        tags: props.tags,
      });
    }
    // The default security group is reachable by anything that forgets to pick one: strip its rules.
    new (defaultSecurityGroupLib().DefaultSecurityGroup)(this, 'DefaultSecurityGroup', { vpcId: this.vpc.id, tags: name('default-deny') });

    const igw = new (internetGatewayLib().InternetGateway)(this, 'InternetGateway', { vpcId: this.vpc.id, tags: name('igw') });
    const publicRt = new (routeTableLib().RouteTable)(this, 'PublicRoutes', {
      vpcId: this.vpc.id,
      route: [{ cidrBlock: '0.0.0.0/0', gatewayId: igw.id }],
      tags: name('public'),
    });

    this.privateSubnetIds = [];
    this.publicSubnetIds = [];
    this.egressDependables = [];
    for (let i = 0; i < azCount; i++) {
      const az = Fn.element(azs.names, i);
      const pub = new (subnetLib().Subnet)(this, `Public${i}`, {
        vpcId: this.vpc.id,
        availabilityZone: az,
        // /22 public subnets start at the upper half of the range, clear of the /19 private subnets.
        cidrBlock: Fn.cidrsubnet(cidr, 6, 32 + i),
        mapPublicIpOnLaunch: false,
        tags: { ...name(`public-${i}`), 'kubernetes.io/role/elb': '1', [clusterTag]: 'shared' },
      });
      new (routeTableAssociationLib().RouteTableAssociation)(this, `PublicAssoc${i}`, { subnetId: pub.id, routeTableId: publicRt.id });
      this.publicSubnetIds.push(pub.id);
      if (i === 0 || !props.singleNatGateway) {
        const eip = new (eipLib().Eip)(this, `NatIp${i}`, { domain: 'vpc', tags: name(`nat-${i}`), dependsOn: [igw] });
        this.egressDependables.push(
          new (natGatewayLib().NatGateway)(this, `Nat${i}`, { allocationId: eip.id, subnetId: pub.id, tags: name(`nat-${i}`) }),
        );
      }
      const nat = this.egressDependables[props.singleNatGateway ? 0 : i];
      const priv = new (subnetLib().Subnet)(this, `Private${i}`, {
        vpcId: this.vpc.id,
        availabilityZone: az,
        cidrBlock: Fn.cidrsubnet(cidr, 3, i),
        tags: {
          ...name(`private-${i}`),
          'kubernetes.io/role/internal-elb': '1',
          [clusterTag]: 'shared',
          ...(props.karpenterDiscovery ? { 'karpenter.sh/discovery': props.clusterName } : {}),
        },
      });
      const rt = new (routeTableLib().RouteTable)(this, `PrivateRoutes${i}`, {
        vpcId: this.vpc.id,
        route: [{ cidrBlock: '0.0.0.0/0', natGatewayId: nat.id }],
        tags: name(`private-${i}`),
      });
      new (routeTableAssociationLib().RouteTableAssociation)(this, `PrivateAssoc${i}`, { subnetId: priv.id, routeTableId: rt.id });
      this.privateSubnetIds.push(priv.id);
    }
  }
}
