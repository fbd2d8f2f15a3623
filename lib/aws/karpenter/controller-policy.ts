import { PolicyStatement } from '../pod-identity';

/** Where the controller's permissions are scoped to. */
export interface KarpenterPolicyScope {
  /** EKS cluster name. */
  readonly clusterName: string;
  /** AWS partition. */
  readonly partition: string;
  /** Region of the cluster. */
  readonly region: string;
  /** Account id. */
  readonly accountId: string;
  /** The nodes' IAM role (the only role the controller may pass). */
  readonly nodeRoleArn: string;
  /** The interruption queue. */
  readonly queueArn: string;
}

/**
 * The controller's least-privilege policy, after Karpenter's reference CloudFormation (getting-started,
 * v1.14): launches and tags only with this cluster's ownership tag and a nodepool tag, terminates only what
 * it tagged, reads the interruption queue. The instance profile is Terraform's (`spec.instanceProfile`),
 * so the controller's only IAM writes are passing the node role to EC2 and creating EC2 Spot's service-linked role.
 */
export function karpenterControllerStatements(s: KarpenterPolicyScope): PolicyStatement[] {
  const ec2 = (type: string, account = '*') => `arn:${s.partition}:ec2:${s.region}:${account}:${type}/*`;
  const owned = { test: 'StringEquals', variable: `aws:ResourceTag/kubernetes.io/cluster/${s.clusterName}`, values: ['owned'] };
  const tagged = { test: 'StringLike', variable: 'aws:ResourceTag/karpenter.sh/nodepool', values: ['*'] };
  const created = ['fleet', 'instance', 'volume', 'network-interface', 'launch-template', 'spot-instances-request'].map((t) => ec2(t));
  const requestOwned = [
    { test: 'StringEquals', variable: `aws:RequestTag/kubernetes.io/cluster/${s.clusterName}`, values: ['owned'] },
    { test: 'StringEquals', variable: 'aws:RequestTag/eks:eks-cluster-name', values: [s.clusterName] },
    { test: 'StringLike', variable: 'aws:RequestTag/karpenter.sh/nodepool', values: ['*'] },
  ];
  return [
    {
      sid: 'AllowScopedEC2InstanceAccessActions',
      actions: ['ec2:RunInstances', 'ec2:CreateFleet'],
      resources: [
        `arn:${s.partition}:ec2:${s.region}::image/*`,
        `arn:${s.partition}:ec2:${s.region}::snapshot/*`,
        ec2('security-group'),
        ec2('subnet'),
        ec2('capacity-reservation'),
        ec2('placement-group'),
      ],
    },
    {
      sid: 'AllowScopedEC2LaunchTemplateAccessActions',
      actions: ['ec2:RunInstances', 'ec2:CreateFleet'],
      resources: [ec2('launch-template')],
      conditions: [owned, tagged],
    },
    {
      sid: 'AllowScopedEC2InstanceActionsWithTags',
      actions: ['ec2:RunInstances', 'ec2:CreateFleet', 'ec2:CreateLaunchTemplate'],
      resources: created,
      conditions: requestOwned,
    },
    {
      sid: 'AllowScopedResourceCreationTagging',
      actions: ['ec2:CreateTags'],
      resources: created,
      conditions: [
        ...requestOwned,
        { test: 'StringEquals', variable: 'ec2:CreateAction', values: ['RunInstances', 'CreateFleet', 'CreateLaunchTemplate'] },
      ],
    },
    {
      sid: 'AllowScopedResourceTagging',
      actions: ['ec2:CreateTags'],
      resources: [ec2('instance')],
      conditions: [
        owned,
        tagged,
        { test: 'StringEqualsIfExists', variable: 'aws:RequestTag/eks:eks-cluster-name', values: [s.clusterName] },
        { test: 'ForAllValues:StringEquals', variable: 'aws:TagKeys', values: ['eks:eks-cluster-name', 'karpenter.sh/nodeclaim', 'Name'] },
      ],
    },
    {
      sid: 'AllowScopedDeletion',
      actions: ['ec2:TerminateInstances', 'ec2:DeleteLaunchTemplate'],
      resources: [ec2('instance'), ec2('launch-template')],
      conditions: [owned, tagged],
    },
    {
      sid: 'AllowPassingInstanceRole',
      actions: ['iam:PassRole'],
      resources: [s.nodeRoleArn],
      conditions: [{ test: 'StringEquals', variable: 'iam:PassedToService', values: ['ec2.amazonaws.com', 'ec2.amazonaws.com.cn'] }],
    },
    {
      // EC2 needs its Spot service-linked role before the first spot launch in an account and creates it on the
      // caller's behalf; without this a spot NodePool in a fresh account fails every launch. Granted always: one
      // AWS-defined role (its policy is AWS's, so nothing to escalate with), and a spot pool added later, or one
      // the user applies, then works on first launch instead of after an extra apply.
      sid: 'AllowSpotServiceLinkedRoleCreation',
      actions: ['iam:CreateServiceLinkedRole'],
      resources: [`arn:${s.partition}:iam::*:role/aws-service-role/spot.amazonaws.com/*`],
      conditions: [{ test: 'StringEquals', variable: 'iam:AWSServiceName', values: ['spot.amazonaws.com'] }],
    },
    {
      sid: 'AllowAPIServerEndpointDiscovery',
      actions: ['eks:DescribeCluster'],
      resources: [`arn:${s.partition}:eks:${s.region}:${s.accountId}:cluster/${s.clusterName}`],
    },
    {
      sid: 'AllowInterruptionQueueActions',
      actions: ['sqs:DeleteMessage', 'sqs:GetQueueUrl', 'sqs:ReceiveMessage'],
      resources: [s.queueArn],
    },
    {
      sid: 'AllowRegionalReadActions',
      actions: [
        'ec2:DescribeCapacityReservations',
        'ec2:DescribeImages',
        'ec2:DescribeInstances',
        'ec2:DescribeInstanceStatus',
        'ec2:DescribeInstanceTypeOfferings',
        'ec2:DescribeInstanceTypes',
        'ec2:DescribeLaunchTemplates',
        'ec2:DescribePlacementGroups',
        'ec2:DescribeSecurityGroups',
        'ec2:DescribeSpotPriceHistory',
        'ec2:DescribeSubnets',
      ],
      resources: ['*'],
      conditions: [{ test: 'StringEquals', variable: 'aws:RequestedRegion', values: [s.region] }],
    },
    {
      sid: 'AllowSSMReadActions',
      actions: ['ssm:GetParameter'],
      resources: [`arn:${s.partition}:ssm:${s.region}::parameter/aws/service/*`],
    },
    { sid: 'AllowPricingReadActions', actions: ['pricing:GetProducts'], resources: ['*'] },
    // Karpenter's instance-profile garbage collection lists profiles even when the node class names one.
    { sid: 'AllowUnscopedInstanceProfileListAction', actions: ['iam:ListInstanceProfiles'], resources: ['*'] },
    {
      sid: 'AllowInstanceProfileReadActions',
      actions: ['iam:GetInstanceProfile'],
      resources: [`arn:${s.partition}:iam::${s.accountId}:instance-profile/*`],
    },
  ];
}
