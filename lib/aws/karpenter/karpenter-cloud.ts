import { lazyModule } from '../../private/lazy';
import type { IamInstanceProfile } from '@cdktf/provider-aws/lib/iam-instance-profile';
import type { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import { awsContext } from '../account';
import { PodIdentityBinding } from '../pod-identity';
import { karpenterControllerStatements } from './controller-policy';
import { KarpenterInterruptionQueue } from './interruption-queue';

const dataAwsIamPolicyDocumentLib = lazyModule<typeof import('@cdktf/provider-aws/lib/data-aws-iam-policy-document')>(
  '@cdktf/provider-aws/lib/data-aws-iam-policy-document',
);
const ec2TagLib = lazyModule<typeof import('@cdktf/provider-aws/lib/ec2-tag')>('@cdktf/provider-aws/lib/ec2-tag');
const eksAccessEntryLib = lazyModule<typeof import('@cdktf/provider-aws/lib/eks-access-entry')>('@cdktf/provider-aws/lib/eks-access-entry');
const iamInstanceProfileLib = lazyModule<typeof import('@cdktf/provider-aws/lib/iam-instance-profile')>(
  '@cdktf/provider-aws/lib/iam-instance-profile',
);
const iamRoleLib = lazyModule<typeof import('@cdktf/provider-aws/lib/iam-role')>('@cdktf/provider-aws/lib/iam-role');
const iamRolePolicyAttachmentLib = lazyModule<typeof import('@cdktf/provider-aws/lib/iam-role-policy-attachment')>(
  '@cdktf/provider-aws/lib/iam-role-policy-attachment',
);

/** Tag key Karpenter's subnet and security group selectors look for; the value is the cluster name. */
export const KARPENTER_DISCOVERY_TAG = 'karpenter.sh/discovery';
/** Namespace and service account of the controller. */
export const KARPENTER_NAMESPACE = 'kube-system';
export const KARPENTER_SERVICE_ACCOUNT = 'karpenter';

/** Options of Karpenter's cloud side. */
export interface KarpenterCloudResourcesProps {
  /** The cluster name (a reference to the cluster resource, so everything waits for it). */
  readonly clusterName: string;
  /** The cluster name as written (for IAM names; at most 38 characters, or a token). */
  readonly literalClusterName: string;
  /** The EKS-created cluster security group every node carries; tagged for the node class selector. */
  readonly clusterSecurityGroupId: string;
  /** AWS managed policies of the nodes (the managed node groups' set). */
  readonly nodePolicies: string[];
  /** The controller's Pod Identity (kube-system/karpenter), made by the cluster. */
  readonly identity: PodIdentityBinding;
  /** Tags. */
  readonly tags: { [key: string]: string };
}

/**
 * Karpenter's half in the cluster's stack: a node role of its own with an EC2_LINUX access entry and a
 * Terraform-managed instance profile, the discovery tag on the cluster security group, the interruption queue,
 * and the controller's least-privilege policy on its Pod Identity.
 *
 * The node role is not the managed node groups' one: EKS creates an access entry for a managed node group's
 * role by itself, so a second, Terraform-managed entry for the same role fails with 409 (ResourceInUse), and
 * the implicit one is never removed (aws/containers-roadmap#2631, #2425).
 */
export class KarpenterCloudResources extends Construct {
  /** The nodes' role. */
  public readonly nodeRole: IamRole;
  /** The nodes' instance profile, named in every EC2NodeClass. */
  public readonly instanceProfile: IamInstanceProfile;
  /** The interruption queue. */
  public readonly interruptionQueue: KarpenterInterruptionQueue;
  /** The controller's identity. */
  public readonly identity: PodIdentityBinding;
  /** What the controller waits for: identity with its policy, queue and rules. */
  public readonly controllerDependables: ITerraformDependable[];
  /** What node classes and pools wait for, and so outlive on destroy: the nodes' role, profile, access entry. */
  public readonly nodeDependables: ITerraformDependable[];

  constructor(scope: Construct, id: string, props: KarpenterCloudResourcesProps) {
    super(scope, id);
    const ctx = awsContext(this);
    const partition = ctx.partition.partition;
    const trust = new (dataAwsIamPolicyDocumentLib().DataAwsIamPolicyDocument)(this, 'NodeTrust', {
      statement: [{ effect: 'Allow', principals: [{ type: 'Service', identifiers: ['ec2.amazonaws.com'] }], actions: ['sts:AssumeRole'] }],
    });
    this.nodeRole = new (iamRoleLib().IamRole)(this, 'NodeRole', {
      name: `${props.literalClusterName}-karpenter-node`,
      description: `Nodes Karpenter launches for EKS cluster ${props.literalClusterName}`,
      assumeRolePolicy: trust.json,
      tags: props.tags,
    });
    const attachments = props.nodePolicies.map(
      (p) =>
        new (iamRolePolicyAttachmentLib().IamRolePolicyAttachment)(this, `Node${p.replace(/[^A-Za-z0-9]/g, '')}`, {
          role: this.nodeRole.name,
          policyArn: `arn:${partition}:iam::aws:policy/${p}`,
        }),
    );
    this.instanceProfile = new (iamInstanceProfileLib().IamInstanceProfile)(this, 'InstanceProfile', {
      name: `${props.literalClusterName}-karpenter-node`,
      role: this.nodeRole.name,
      tags: props.tags,
    });
    // EC2_LINUX: the node joins as system:node:<private DNS name> in system:nodes (no policy association).
    const entry = new (eksAccessEntryLib().EksAccessEntry)(this, 'NodeAccess', {
      clusterName: props.clusterName,
      principalArn: this.nodeRole.arn,
      type: 'EC2_LINUX',
      tags: props.tags,
    });
    const sgTag = new (ec2TagLib().Ec2Tag)(this, 'SecurityGroupDiscovery', {
      resourceId: props.clusterSecurityGroupId,
      key: KARPENTER_DISCOVERY_TAG,
      value: props.clusterName,
    });
    this.nodeDependables = [this.instanceProfile, entry, sgTag, ...attachments];

    this.interruptionQueue = new KarpenterInterruptionQueue(this, 'InterruptionQueue', {
      clusterName: props.literalClusterName,
      tags: props.tags,
    });
    this.identity = props.identity;
    for (const statement of karpenterControllerStatements({
      clusterName: props.clusterName,
      partition,
      region: ctx.region.name,
      accountId: ctx.caller.accountId,
      nodeRoleArn: this.nodeRole.arn,
      queueArn: this.interruptionQueue.queue.arn,
    }))
      this.identity.addToPolicy(statement);
    this.controllerDependables = [...this.identity.dependables, ...this.interruptionQueue.dependables];
  }
}
