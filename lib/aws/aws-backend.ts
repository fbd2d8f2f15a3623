import { Annotations } from 'cdktf';
import { Construct } from 'constructs';
import { ClusterSpec, CloudProvider, ICloudBackend, IPlatformCluster } from '../core/cluster';
import { NodePoolRole } from '../core/node-pool';
import { validateNetworkCidr } from '../core/validation';
import { EksClusterAutoscaler } from './cluster-autoscaler';
import { EksPlatformCluster } from './eks-cluster';
import { EndpointAccess } from './endpoint-access';
import { selectAwsInstances } from './instance-selection';
import { AwsNetwork } from './network';
import { NeuronDevicePlugin } from './neuron';

/** A VPC the cluster joins instead of creating one. */
export interface ExistingVpc {
  /** VPC id. */
  readonly vpcId: string;
  /** Private subnets in at least two availability zones, with a route to a NAT gateway. */
  readonly privateSubnetIds: string[];
}

/** AWS-specific options of a GpuInferenceCluster. */
export interface AwsCloudOptions {
  /**
   * Join an existing VPC.
   * @default - a new VPC
   */
  readonly existingVpc?: ExistingVpc;
  /**
   * CIDR of the new VPC.
   * @default '10.0.0.0/16'
   */
  readonly vpcCidr?: string;
  /**
   * Availability zones of the new VPC (2-4).
   * @default 3
   */
  readonly availabilityZoneCount?: number;
  /**
   * One NAT gateway instead of one per zone.
   * @default false
   */
  readonly singleNatGateway?: boolean;
  /**
   * API server exposure.
   * @default EndpointAccess.PRIVATE
   */
  readonly endpointAccess?: EndpointAccess;
  /**
   * IAM principal ARNs given cluster admin (besides the identity that creates the cluster).
   * @default - none
   */
  readonly adminPrincipalArns?: string[];
  /**
   * Instance type of the system node group that runs add-ons.
   * @default 'm6i.xlarge'
   */
  readonly systemInstanceType?: string;
  /**
   * Retention of control-plane logs in CloudWatch, days.
   * @default 90
   */
  readonly controlPlaneLogRetentionDays?: number;
}

const LOG_RETENTION = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];

/** Builds GpuInferenceClusters on EKS. Created by `Cloud.aws()`. */
export class AwsBackend implements ICloudBackend {
  public readonly cloudProvider = CloudProvider.AWS;
  private readonly options: AwsCloudOptions;

  constructor(options: AwsCloudOptions = {}) {
    this.options = options;
  }

  public validate(spec: ClusterSpec): string[] {
    const o = this.options;
    const out: string[] = [];
    if (!/^[a-zA-Z][a-zA-Z0-9-]{0,37}$/.test(spec.clusterName)) {
      // 38, not EKS's 100: role names '<cluster>-<suffix>' must stay within IAM's 64 characters.
      out.push(`clusterName '${spec.clusterName}' is not a valid EKS cluster name; use 1-38 letters, digits or '-', starting with a letter`);
    }
    out.push(...(o.endpointAccess ?? EndpointAccess.PRIVATE).validate());
    const azs = o.availabilityZoneCount ?? 3;
    if (!o.existingVpc && (!Number.isInteger(azs) || azs < 2 || azs > 4)) {
      out.push(`availabilityZoneCount ${azs} is out of range; EKS needs subnets in at least 2 zones, use 2-4`);
    }
    if (o.vpcCidr !== undefined) out.push(...validateNetworkCidr('vpcCidr', o.vpcCidr, 16, 20, 'pod IPs come from the VPC, so use e.g. 10.0.0.0/16'));
    if (o.existingVpc && o.existingVpc.privateSubnetIds.length < 2) {
      out.push(`existingVpc.privateSubnetIds ${JSON.stringify(o.existingVpc.privateSubnetIds)} has fewer than 2 subnets; EKS needs subnets in at least two availability zones`);
    }
    const retention = o.controlPlaneLogRetentionDays ?? 90;
    if (!LOG_RETENTION.includes(retention)) {
      out.push(`controlPlaneLogRetentionDays ${retention} is not a CloudWatch retention; use one of ${LOG_RETENTION.join(', ')}`);
    }
    for (const pool of spec.nodePools) out.push(...selectAwsInstances(pool).errors);
    return out;
  }

  public createCluster(scope: Construct, id: string, spec: ClusterSpec): IPlatformCluster {
    const o = this.options;
    let subnets: string[];
    let networkDependables: AwsNetwork['egressDependables'] = [];
    if (o.existingVpc) {
      subnets = o.existingVpc.privateSubnetIds;
    } else {
      const network = new AwsNetwork(scope, 'Network', {
        clusterName: spec.clusterName,
        cidr: o.vpcCidr,
        availabilityZoneCount: o.availabilityZoneCount,
        singleNatGateway: o.singleNatGateway,
        tags: spec.tags,
      });
      subnets = network.privateSubnetIds;
      networkDependables = network.egressDependables;
    }
    if (spec.nodePools.length + 1 > 30) {
      Annotations.of(scope).addWarning(`nodePools ${spec.nodePools.length} (+1 system) exceed EKS's default quota of 30 managed node groups per cluster; request a quota increase before deploying`);
    }
    const cluster = new EksPlatformCluster(scope, id, {
      spec,
      privateSubnetIds: subnets,
      endpointAccess: o.endpointAccess ?? EndpointAccess.PRIVATE,
      adminPrincipalArns: o.adminPrincipalArns ?? [],
      systemInstanceType: o.systemInstanceType ?? 'm6i.xlarge',
      logRetentionDays: o.controlPlaneLogRetentionDays ?? 90,
      networkDependables,
    });
    new EksClusterAutoscaler(scope, 'ClusterAutoscaler', { cluster });
    if (spec.nodePools.some((p) => p.role === NodePoolRole.NEURON)) {
      new NeuronDevicePlugin(scope, 'Neuron', { cluster });
    }
    return cluster;
  }
}
