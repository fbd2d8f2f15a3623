import { Annotations, ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import { ChartOverrides } from '../addons/chart';
import { ClusterSpec, CloudProvider, IAcceleratorCluster, ICloudBackend, ICloudCluster } from '../core/cluster';
import { dataScopeIn } from '../core/data-scope';
import { GpuNodePool, NodePoolRole } from '../core/node-pool';
import { sameStack } from '../private/cluster-access';
import { isToken, shown, validateAwsTags, validateIds, validateNetworkCidr, validateSystemNodes } from '../private/validation';
import { EksClusterAutoscaler } from './cluster-autoscaler';
import { EksPlatformCluster } from './eks-cluster';
import { EndpointAccess } from './endpoint-access';
import { validateAwsReservation } from './capacity-reservation';
import { selectAwsInstances } from './instance-selection';
import { AwsNetwork } from './network';
import { NeuronDevicePlugin } from './neuron';
import { GpuProvisioner } from './karpenter/gpu-provisioner';
import { Karpenter } from './karpenter/karpenter';

/** A VPC the cluster joins instead of creating one. */
export interface ExistingVpc {
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
   * API server exposure. A private endpoint needs Terraform to run inside the VPC: with a VPC this stack
   * creates, that is only possible for an in-cluster part in a second stack (`inClusterStack`).
   * @default EndpointAccess.PRIVATE
   */
  readonly endpointAccess?: EndpointAccess;
  /**
   * IAM principal ARNs given cluster admin through access entries; a Terraform list variable works too.
   * Do not list the deployer here: its entry is managed through `deployerPrincipalArn`.
   * @default - none
   */
  readonly adminPrincipalArns?: string[];
  /**
   * The IAM role (or user) ARN that runs `terraform apply`; it gets a cluster-admin access entry that every
   * in-cluster resource waits for. Pin it (e.g. to the CI role, from a variable) when several principals
   * apply the same stack, or each apply by another principal replaces the entry.
   * @default - the caller's role, read at apply time (aws_iam_session_context)
   */
  readonly deployerPrincipalArn?: string;
  /**
   * Instance type of the system node group that runs add-ons.
   * @default 'm6i.xlarge'
   */
  readonly systemInstanceType?: string;
  /**
   * Fewest system nodes.
   * @default 2
   */
  readonly systemMinNodes?: number;
  /**
   * Most system nodes.
   * @default 4
   */
  readonly systemMaxNodes?: number;
  /**
   * Retention of control-plane (audit) logs in CloudWatch, days.
   * @default 365
   */
  readonly controlPlaneLogRetentionDays?: number;
  /**
   * Record all traffic of the new VPC (VPC flow logs) in a CloudWatch log group encrypted with a KMS key of
   * its own. Turn off only where the account's central logging records the VPC already. Not used with
   * `existingVpc`: its owner decides.
   * @default true
   */
  readonly vpcFlowLogs?: boolean;
  /**
   * Retention of the VPC flow logs in CloudWatch, days.
   * @default 365
   */
  readonly vpcFlowLogRetentionDays?: number;
  /**
   * Keep the control-plane (audit) log group and the VPC flow log group when the stack is destroyed (in a
   * `dataStack`: with `prevent_destroy` there). Turn off for throwaway environments: a retained group must
   * be deleted or imported before a cluster of the same name is created again.
   * @default true
   */
  readonly retainLogsOnDestroy?: boolean;
  /**
   * Version and values overrides of the cluster-autoscaler chart.
   * @default - the pinned version and the library's values
   */
  readonly clusterAutoscalerChart?: ChartOverrides;
  /**
   * What provisions the accelerator pools: managed node groups scaled by cluster-autoscaler, or Karpenter
   * (`GpuProvisioner.karpenter()`: NodePools with the same labels, taints and limits, launched for pending pods,
   * spot interruptions handled through SQS). The system node group is a managed node group either way.
   * @default GpuProvisioner.managedNodeGroups()
   */
  readonly gpuProvisioner?: GpuProvisioner;
  /**
   * Version and values overrides of the Neuron (device plugin, scheduler, node problem detector) chart.
   * @default - the pinned version and the library's values
   */
  readonly neuronChart?: ChartOverrides;
  /**
   * Self-healing accelerator nodes: the EKS node monitoring agent add-on (pinned) reports GPU, Neuron,
   * kernel, network and runtime faults as node conditions, and node auto repair on every accelerator
   * node group reboots or replaces nodes whose conditions stay unhealthy; with Karpenter as the GPU
   * provisioner, its node repair feature gate replaces them instead.
   * @default true
   */
  readonly nodeAutoRepair?: boolean;
}

/** An IAM role or user ARN, as EKS access entries take it. */
const PRINCIPAL_ARN = /^arn:aws[a-z-]*:(iam|sts)::\d{12}:(role|user)\/.+/;

const LOG_RETENTION = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];

/** Builds GpuInferenceClusters on EKS. Created by `Cloud.aws()`. */
export class AwsBackend implements ICloudBackend {
  public readonly cloudProvider = CloudProvider.AWS;
  public readonly serviceName = 'EKS';
  private readonly options: AwsCloudOptions;

  constructor(options: AwsCloudOptions = {}) {
    this.options = options;
  }

  public validate(spec: ClusterSpec): string[] {
    const o = this.options;
    const out: string[] = [];
    if (!isToken(spec.clusterName) && !/^[a-zA-Z][a-zA-Z0-9-]{0,37}$/.test(spec.clusterName)) {
      // 38, not EKS's 100: role names '<cluster>-<suffix>' must stay within IAM's 64 characters.
      out.push(
        `clusterName '${spec.clusterName}' is not a valid EKS cluster name; use 1-38 letters, digits or '-', starting with a letter`,
      );
    }
    out.push(...(o.endpointAccess ?? EndpointAccess.PRIVATE).validate());
    const azs = o.availabilityZoneCount ?? 3;
    if (!o.existingVpc && !isToken(azs) && (!Number.isInteger(azs) || azs < 2 || azs > 4)) {
      out.push(`availabilityZoneCount ${azs} is out of range; EKS needs subnets in at least 2 zones, use 2-4`);
    }
    if (o.vpcCidr !== undefined)
      out.push(...validateNetworkCidr('vpcCidr', o.vpcCidr, 16, 20, 'pod IPs come from the VPC, so use e.g. 10.0.0.0/16'));
    if (o.existingVpc && !isToken(o.existingVpc.privateSubnetIds) && o.existingVpc.privateSubnetIds.length < 2) {
      out.push(
        `existingVpc.privateSubnetIds ${JSON.stringify(o.existingVpc.privateSubnetIds)} has fewer than 2 subnets; EKS needs subnets in at least two availability zones`,
      );
    }
    const retention = o.controlPlaneLogRetentionDays ?? 365;
    if (!isToken(retention) && !LOG_RETENTION.includes(retention)) {
      out.push(`controlPlaneLogRetentionDays ${retention} is not a CloudWatch retention; use one of ${LOG_RETENTION.join(', ')}`);
    }
    const flowRetention = o.vpcFlowLogRetentionDays ?? 365;
    if (!o.existingVpc && !isToken(flowRetention) && !LOG_RETENTION.includes(flowRetention)) {
      out.push(`vpcFlowLogRetentionDays ${flowRetention} is not a CloudWatch retention; use one of ${LOG_RETENTION.join(', ')}`);
    }
    out.push(...validateSystemNodes(o.systemMinNodes ?? 2, o.systemMaxNodes ?? 4));
    if (o.gpuProvisioner) out.push(...o.gpuProvisioner.validate(o.systemMinNodes ?? 2, spec.nodePools));
    out.push(...validateAwsTags('tags', spec.tags));
    if (o.existingVpc) out.push(...validateIds('existingVpc.privateSubnetIds', o.existingVpc.privateSubnetIds, 'subnet-0123456789abcdef0'));
    if (o.systemInstanceType !== undefined && !isToken(o.systemInstanceType) && !/^[a-z][a-z0-9-]*\.[a-z0-9]+$/.test(o.systemInstanceType))
      out.push(`systemInstanceType ${shown(o.systemInstanceType)} is not an EC2 instance type; use e.g. 'm6i.xlarge'`);
    if (o.deployerPrincipalArn !== undefined && !isToken(o.deployerPrincipalArn) && !PRINCIPAL_ARN.test(o.deployerPrincipalArn))
      out.push(
        `deployerPrincipalArn ${shown(o.deployerPrincipalArn)} is not an IAM role or user ARN; pass arn:aws:iam::<account>:role/<name> (from a variable), or leave it unset for the caller`,
      );
    const admins = o.adminPrincipalArns ?? [];
    if (!isToken(admins)) {
      for (const arn of admins) {
        if (!isToken(arn) && !PRINCIPAL_ARN.test(arn)) {
          out.push(`adminPrincipalArns '${arn}' is not an IAM role or user ARN; pass arn:aws:iam::<account>:role/<name> (from a variable)`);
        }
        if (!isToken(arn) && o.deployerPrincipalArn !== undefined && arn === o.deployerPrincipalArn) {
          out.push(
            `adminPrincipalArns '${arn}' is also the deployerPrincipalArn; its access entry would be created twice (409), list it once as deployerPrincipalArn`,
          );
        }
      }
    }
    return out;
  }

  public validatePool(pool: GpuNodePool): string[] {
    // The zone rule is a managed node group's (one group over several zones); Karpenter finds the zone
    // of a reservation itself and checks the reservation's cloud and kind in its own validation.
    const reservation = this.options.gpuProvisioner?.isKarpenter ? [] : validateAwsReservation(pool);
    return reservation.length ? reservation : selectAwsInstances(pool).errors;
  }

  public dataStackValues(): { [prop: string]: unknown } {
    const o = this.options;
    return {
      'cloud.existingVpc.privateSubnetIds': o.existingVpc?.privateSubnetIds,
      'cloud.vpcCidr': o.vpcCidr,
      'cloud.availabilityZoneCount': o.availabilityZoneCount,
      'cloud.vpcFlowLogRetentionDays': o.vpcFlowLogRetentionDays,
    };
  }

  public createCluster(scope: Construct, id: string, spec: ClusterSpec): ICloudCluster {
    const o = this.options;
    let subnets: string[];
    let networkDependables: ITerraformDependable[] = [];
    let vpcId: string | undefined;
    let vpcCidr: string | undefined;
    const karpenter = o.gpuProvisioner?.isKarpenter ?? false;
    if (o.existingVpc) {
      subnets = o.existingVpc.privateSubnetIds;
      if (karpenter && isToken(subnets)) {
        Annotations.of(scope).addWarning(
          `existingVpc.privateSubnetIds is a Terraform list, which Karpenter's node classes cannot name one by one at synth; they select subnets tagged 'karpenter.sh/discovery: ${spec.clusterName}': tag your private subnets so, or pass the ids as a list of strings`,
        );
      }
    } else {
      // With a data stack, the VPC outlives the cluster: databases, caches and file systems have their
      // network interfaces in its subnets.
      const network = new AwsNetwork(dataScopeIn(spec.dataStack, scope), 'Network', {
        clusterName: spec.clusterName,
        cidr: o.vpcCidr,
        availabilityZoneCount: o.availabilityZoneCount,
        singleNatGateway: o.singleNatGateway,
        flowLogs: o.vpcFlowLogs,
        flowLogRetentionDays: o.vpcFlowLogRetentionDays,
        retainFlowLogsOnDestroy: o.retainLogsOnDestroy,
        inDataStack: spec.dataStack !== undefined,
        karpenterDiscovery: karpenter,
        tags: spec.tags,
      });
      subnets = network.privateSubnetIds;
      // Nodes need the NAT routes until they are gone; a data stack is destroyed after the cluster's anyway.
      networkDependables = sameStack(scope, network.egressDependables);
      vpcId = network.vpcId;
      vpcCidr = network.vpc.cidrBlock;
    }
    if (!karpenter && spec.nodePools.length + 1 > 30) {
      Annotations.of(scope).addWarning(
        `nodePools ${spec.nodePools.length} (+1 system) exceed EKS's default quota of 30 managed node groups per cluster; request a quota increase before deploying`,
      );
    }
    const endpointAccess = o.endpointAccess ?? EndpointAccess.PRIVATE;
    const cluster = new EksPlatformCluster(scope, id, {
      spec,
      privateSubnetIds: subnets,
      endpointAccess,
      adminPrincipalArns: o.adminPrincipalArns ?? [],
      deployerPrincipalArn: o.deployerPrincipalArn,
      systemInstanceType: o.systemInstanceType ?? 'm6i.xlarge',
      systemMinNodes: o.systemMinNodes ?? 2,
      systemMaxNodes: o.systemMaxNodes ?? 4,
      logRetentionDays: o.controlPlaneLogRetentionDays ?? 365,
      retainLogsOnDestroy: o.retainLogsOnDestroy ?? true,
      nodeAutoRepair: o.nodeAutoRepair ?? true,
      networkDependables,
      gpuProvisioner: o.gpuProvisioner,
      subnetsTaggedForKarpenter: karpenter && !o.existingVpc,
      vpcId,
      vpcCidr,
      unreachableBecause:
        !endpointAccess.publicAccess && !o.existingVpc
          ? 'cloud.endpointAccess PRIVATE with a VPC this stack creates cannot be reached by Terraform, which installs the in-cluster part (charts, Kubernetes objects) in the same apply; ' +
            "allow the deployer's egress CIDR with EndpointAccess.publicAndPrivate([deployerCidr]) (from a TerraformVariable), join an existingVpc your runner lives in, " +
            'or set inClusterStack to a second stack applied from inside the VPC'
          : undefined,
    });
    return cluster;
  }

  public installAddons(cloudCluster: ICloudCluster, cluster: IAcceleratorCluster, spec: ClusterSpec): void {
    const eks = cloudCluster as EksPlatformCluster;
    // The autoscaler's IAM role is a cloud resource: it stays with the cluster; its chart goes in-cluster.
    const autoscalerIdentity = eks.podIdentity(eks, 'autoscaler', {
      namespace: 'kube-system',
      serviceAccountName: 'cluster-autoscaler',
    });
    new EksClusterAutoscaler(spec.inClusterScope, 'ClusterAutoscaler', {
      cluster,
      identity: autoscalerIdentity,
      chart: this.options.clusterAutoscalerChart,
    });
    // With Karpenter the autoscaler still sizes the system group; Karpenter's nodes belong to no Auto Scaling
    // group, so it neither sees nor scales them, and their pools need no scale-from-zero tags.
    if (eks.karpenter) {
      const karpenter = new Karpenter(spec.inClusterScope, 'Karpenter', {
        cluster,
        cloud: eks.karpenter,
        pools: eks._karpenterPools(),
        nodeClass: eks._karpenterNodeClass(),
        chart: eks.gpuProvisioner.karpenterOptions.chart,
        crdChart: eks.gpuProvisioner.karpenterOptions.crdChart,
        nodeRepair: this.options.nodeAutoRepair ?? true,
      });
      // Add-ons created after this (GPU operator, serving) find their pools in place, and go before them on destroy.
      eks.addAddonDependency(karpenter.nodePools.release);
    }
    if (spec.nodePools.some((p) => p.role === NodePoolRole.NEURON)) {
      new NeuronDevicePlugin(spec.inClusterScope, 'Neuron', { cluster, chart: this.options.neuronChart });
    }
  }
}
