import { lazyModule } from '../private/lazy';
import type { EksNodeGroup } from '@cdktf/provider-aws/lib/eks-node-group';
import type { LaunchTemplate } from '@cdktf/provider-aws/lib/launch-template';
import { Annotations, ITerraformDependable, Token } from 'cdktf';
import { Construct } from 'constructs';
import { CapacityReservation, CapacityReservationKind } from '../core/capacity-reservation';
import { ExtendedResource, NodeTaint, TaintEffect } from '../core/node-pool';
import { reportProblems } from '../private/problems';
import { validateWholeNumber } from '../private/validation';

const autoscalingGroupTagLib = lazyModule<typeof import('@cdktf/provider-aws/lib/autoscaling-group-tag')>(
  '@cdktf/provider-aws/lib/autoscaling-group-tag',
);
const eksNodeGroupLib = lazyModule<typeof import('@cdktf/provider-aws/lib/eks-node-group')>('@cdktf/provider-aws/lib/eks-node-group');
const launchTemplateLib = lazyModule<typeof import('@cdktf/provider-aws/lib/launch-template')>('@cdktf/provider-aws/lib/launch-template');

/** EKS AMI types this library uses. */
export class EksAmiType {
  /** Amazon Linux 2023, no accelerator drivers. */
  public static readonly AL2023_STANDARD = 'AL2023_x86_64_STANDARD';
  /** Amazon Linux 2023 with the NVIDIA driver and container toolkit. */
  public static readonly AL2023_NVIDIA = 'AL2023_x86_64_NVIDIA';
  /** Amazon Linux 2023 with the Neuron driver. */
  public static readonly AL2023_NEURON = 'AL2023_x86_64_NEURON';
}

/** Options of one EKS managed node group. */
export interface EksNodeGroupPoolProps {
  /** Cluster name (a reference to the cluster resource, so the group waits for it). */
  readonly clusterName: string;
  /** Node group name. */
  readonly nodeGroupName: string;
  /** IAM role of the nodes. */
  readonly nodeRoleArn: string;
  /** Subnets (private). */
  readonly subnetIds: string[];
  /** Instance types; spot groups spread over several. */
  readonly instanceTypes: string[];
  /** EKS AMI type. */
  readonly amiType: string;
  /** Spot capacity. */
  readonly spot: boolean;
  /** Fewest nodes. */
  readonly minNodes: number;
  /** Most nodes. */
  readonly maxNodes: number;
  /** Root volume GiB. */
  readonly diskSizeGib: number;
  /** Node labels. */
  readonly labels: { [key: string]: string };
  /** Node taints. */
  readonly taints: NodeTaint[];
  /** Extended resources per node, tagged on the ASG so cluster-autoscaler can scale up from zero. */
  readonly extendedResources: ExtendedResource[];
  /** Tags. */
  readonly tags: { [key: string]: string };
  /**
   * IMDS (IMDSv2 PUT response) hop limit, 1-64. 1 keeps pods other than host-network ones away from
   * instance metadata and the node role's credentials; pods that call AWS take a Pod Identity instead.
   * Raise it only for a workload that cannot: every pod on the group can then act as the node.
   * @default 1
   */
  readonly metadataHopLimit?: number;
  /** What the group waits for (network add-on, access for nodes). */
  readonly dependsOn: ITerraformDependable[];
  /**
   * Reserved capacity the nodes launch into. A Capacity Block takes its one instance type in the launch
   * template (EKS rejects it on the group) and the group's capacity type CAPACITY_BLOCK.
   * @default - no reservation
   */
  readonly capacityReservation?: CapacityReservation;
  /**
   * EKS node auto repair: nodes whose conditions (NodeReady, and the node monitoring agent's
   * AcceleratedHardwareReady and others) stay unhealthy are rebooted or replaced.
   * @default false
   */
  readonly nodeRepair?: boolean;
}

/** The launch template's capacity reservation block for `r`. */
function reservationSpecification(r: CapacityReservation) {
  switch (r.kind) {
    case CapacityReservationKind.EC2_OPEN:
      return { capacityReservationPreference: 'open' };
    case CapacityReservationKind.EC2_RESOURCE_GROUP:
      return { capacityReservationTarget: { capacityReservationResourceGroupArn: r.id } };
    default:
      return { capacityReservationTarget: { capacityReservationId: r.id } };
  }
}

const EKS_TAINT_EFFECT: { [k in TaintEffect]: string } = {
  [TaintEffect.NO_SCHEDULE]: 'NO_SCHEDULE',
  [TaintEffect.PREFER_NO_SCHEDULE]: 'PREFER_NO_SCHEDULE',
  [TaintEffect.NO_EXECUTE]: 'NO_EXECUTE',
};

/**
 * An EKS managed node group behind its own launch template: IMDSv2 required, encrypted gp3 root volume.
 * The desired size belongs to the autoscaler after creation, so Terraform ignores it.
 */
export class EksNodeGroupPool extends Construct {
  /** The node group. */
  public readonly nodeGroup: EksNodeGroup;
  /** Its launch template. */
  public readonly launchTemplate: LaunchTemplate;

  constructor(scope: Construct, id: string, props: EksNodeGroupPoolProps) {
    super(scope, id);
    const hopLimit = props.metadataHopLimit ?? 1;
    reportProblems(
      this,
      validateWholeNumber('metadataHopLimit', hopLimit, 1, 64, 'use 1 and give pods that call AWS a Pod Identity (the EC2 range is 1-64)'),
    );
    const nameTags = { ...props.tags, Name: `${props.nodeGroupName}` };
    const reservation = props.capacityReservation;
    const block = reservation?.capacityBlock ?? false;
    if (block) {
      // EKS updates a Capacity Block node group only at desired size 0: a new launch template version
      // (AMI, disk, metadata options) waits for, or fails on, a group that still has nodes.
      Annotations.of(this).addWarning(
        `capacityReservation ${CapacityReservationKind.EC2_CAPACITY_BLOCK}: changes to the launch template need the group at 0 nodes; apply them between blocks, or after the workloads finish and the autoscaler scales the group to 0`,
      );
    }
    this.launchTemplate = new (launchTemplateLib().LaunchTemplate)(this, 'LaunchTemplate', {
      // 'lt' keeps the prefix within the provider's 3-character minimum for one-letter pool names.
      namePrefix: `${props.nodeGroupName}-lt-`,
      description: `Nodes of EKS node group ${props.nodeGroupName}`,
      updateDefaultVersion: true,
      metadataOptions: {
        httpEndpoint: 'enabled',
        httpTokens: 'required',
        // Pods take cloud identities through Pod Identity, never the node role: one hop keeps pod-network
        // containers from IMDS on every group, system included, so no pod can act as the node (its role may
        // modify any network interface). Host-network agents (VPC CNI, Pod Identity agent) are one hop away.
        httpPutResponseHopLimit: hopLimit,
        instanceMetadataTags: 'disabled',
      },
      blockDeviceMappings: [
        {
          deviceName: '/dev/xvda',
          ebs: {
            volumeSize: props.diskSizeGib,
            volumeType: 'gp3',
            iops: 3000,
            throughput: 250,
            encrypted: 'true',
            deleteOnTermination: 'true',
          },
        },
      ],
      monitoring: { enabled: true },
      capacityReservationSpecification: reservation ? reservationSpecification(reservation) : undefined,
      // A Capacity Block is its own market with one instance type; EKS reads both from the template.
      instanceMarketOptions: block ? { marketType: 'capacity-block' } : undefined,
      instanceType: block ? props.instanceTypes[0] : undefined,
      tagSpecifications: [
        { resourceType: 'instance', tags: nameTags },
        { resourceType: 'volume', tags: nameTags },
      ],
      tags: props.tags,
    });

    this.nodeGroup = new (eksNodeGroupLib().EksNodeGroup)(this, 'Resource', {
      clusterName: props.clusterName,
      nodeGroupName: props.nodeGroupName,
      nodeRoleArn: props.nodeRoleArn,
      subnetIds: props.subnetIds,
      instanceTypes: block ? undefined : props.instanceTypes,
      amiType: props.amiType,
      capacityType: block ? 'CAPACITY_BLOCK' : props.spot ? 'SPOT' : 'ON_DEMAND',
      scalingConfig: { minSize: props.minNodes, maxSize: props.maxNodes, desiredSize: props.minNodes },
      updateConfig: { maxUnavailable: 1 },
      labels: props.labels,
      taint: props.taints.map((t) => ({ key: t.key, value: t.value, effect: EKS_TAINT_EFFECT[t.effect] })),
      launchTemplate: { id: this.launchTemplate.id, version: Token.asString(this.launchTemplate.latestVersion) },
      nodeRepairConfig: props.nodeRepair ? { enabled: true } : undefined,
      tags: props.tags,
      lifecycle: { ignoreChanges: ['scaling_config[0].desired_size'] },
      dependsOn: props.dependsOn,
    });

    const asgName = this.nodeGroup.resources.get(0).autoscalingGroups.get(0).name;
    props.extendedResources.forEach((r, i) => {
      new (autoscalingGroupTagLib().AutoscalingGroupTagA)(this, `ScaleFromZero${i}`, {
        autoscalingGroupName: asgName,
        tag: { key: `k8s.io/cluster-autoscaler/node-template/resources/${r.name}`, value: String(r.count), propagateAtLaunch: false },
      });
    });
  }
}
