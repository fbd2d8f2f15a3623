import { lazyModule } from '../private/lazy';
import type { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import type { FlowLog } from '@cdktf/provider-aws/lib/flow-log';
import type { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import type { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import { Construct } from 'constructs';
import { awsContext } from './account';
import { encryptedLogGroup, logKey } from './encrypted-log-group';

const dataAwsIamPolicyDocumentLib = lazyModule<typeof import('@cdktf/provider-aws/lib/data-aws-iam-policy-document')>(
  '@cdktf/provider-aws/lib/data-aws-iam-policy-document',
);
const flowLogLib = lazyModule<typeof import('@cdktf/provider-aws/lib/flow-log')>('@cdktf/provider-aws/lib/flow-log');
const iamRoleLib = lazyModule<typeof import('@cdktf/provider-aws/lib/iam-role')>('@cdktf/provider-aws/lib/iam-role');
const iamRolePolicyLib = lazyModule<typeof import('@cdktf/provider-aws/lib/iam-role-policy')>('@cdktf/provider-aws/lib/iam-role-policy');

/** Options of the flow logs of one VPC. */
export interface VpcFlowLogsProps {
  /** The VPC whose traffic is recorded. */
  readonly vpcId: string;
  /** Cluster name: names the log group (`/aws/vpc-flow-logs/<name>`), its key alias and the delivery role. */
  readonly clusterName: string;
  /**
   * Retention in days; one of CloudWatch Logs' retention values (the caller validates it).
   * @default 365
   */
  readonly retentionDays?: number;
  /**
   * Keep the log group when its stack is destroyed.
   * @default true
   */
  readonly retainOnDestroy?: boolean;
  /**
   * The VPC lives in a data stack that outlives the cluster: a retained log group and its key get
   * `prevent_destroy` and stay in that stack's state instead of leaving it through `skip_destroy`.
   * @default false
   */
  readonly inDataStack?: boolean;
  /** Tags. */
  readonly tags: { [key: string]: string };
}

/**
 * VPC flow logs (all traffic, one-minute records) in a CloudWatch log group encrypted with a key of its own,
 * delivered by a role only the flow-logs service of this account may assume, allowed to write that group only.
 */
export class VpcFlowLogs extends Construct {
  /** The flow log. */
  public readonly flowLog: FlowLog;
  /** The log group the records go to. */
  public readonly logGroup: CloudwatchLogGroup;
  /** The key encrypting the log group. */
  public readonly key: KmsKey;
  /** The role the flow-logs service delivers with. */
  public readonly role: IamRole;

  constructor(scope: Construct, id: string, props: VpcFlowLogsProps) {
    super(scope, id);
    const ctx = awsContext(this);
    const partition = ctx.partition.partition;
    const region = ctx.region.name;
    const account = ctx.caller.accountId;
    const retain = props.retainOnDestroy ?? true;
    const protect = retain && props.inDataStack === true;
    const groupName = `/aws/vpc-flow-logs/${props.clusterName}`;
    const policyDocument = (docId: string, statement: any[]) =>
      new (dataAwsIamPolicyDocumentLib().DataAwsIamPolicyDocument)(this, docId, { statement });

    // As the control-plane log key: the account administers it, CloudWatch Logs may use it for this group only.
    this.key = logKey(this, 'Key', {
      description: `VPC flow logs of EKS cluster ${props.clusterName}`,
      aliasName: `alias/vpc/${props.clusterName}-flow-logs`,
      logGroup: { sid: 'FlowLogGroup', name: groupName },
      preventDestroy: protect,
      tags: props.tags,
    });

    // The network's audit trail: kept like the control-plane logs (prevent_destroy in a data stack, else
    // skip_destroy) unless retainOnDestroy is off.
    this.logGroup = encryptedLogGroup(this, 'Resource', {
      name: groupName,
      retentionInDays: props.retentionDays ?? 365,
      kmsKeyArn: this.key.arn,
      skipDestroy: retain && !protect ? true : undefined,
      preventDestroy: protect,
      tags: props.tags,
    });

    // Confused-deputy guard: only flow logs of this account and region may use the role.
    const trust = policyDocument('Trust', [
      {
        effect: 'Allow',
        principals: [{ type: 'Service', identifiers: ['vpc-flow-logs.amazonaws.com'] }],
        actions: ['sts:AssumeRole'],
        condition: [
          { test: 'StringEquals', variable: 'aws:SourceAccount', values: [account] },
          { test: 'ArnLike', variable: 'aws:SourceArn', values: [`arn:${partition}:ec2:${region}:${account}:vpc-flow-log/*`] },
        ],
      },
    ]);
    this.role = new (iamRoleLib().IamRole)(this, 'Role', {
      name: `${props.clusterName}-vpc-flow-logs`,
      assumeRolePolicy: trust.json,
      tags: props.tags,
    });
    // The group exists already, so no logs:CreateLogGroup; streams and events of this group only.
    // DescribeLogGroups takes no resource narrower than the account's groups in the region.
    const deliver = policyDocument('DeliveryPolicy', [
      {
        sid: 'WriteFlowLogGroup',
        effect: 'Allow',
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
        resources: [this.logGroup.arn, `${this.logGroup.arn}:log-stream:*`],
      },
      {
        sid: 'DescribeGroups',
        effect: 'Allow',
        actions: ['logs:DescribeLogGroups'],
        resources: [`arn:${partition}:logs:${region}:${account}:log-group:*`],
      },
    ]);
    const rolePolicy = new (iamRolePolicyLib().IamRolePolicy)(this, 'Delivery', {
      name: 'deliver-flow-logs',
      role: this.role.id,
      policy: deliver.json,
    });

    // CreateFlowLogs checks it can assume the role (the provider retries while IAM propagates); records
    // are written only once the role's policy exists, hence the dependency.
    this.flowLog = new (flowLogLib().FlowLog)(this, 'FlowLog', {
      vpcId: props.vpcId,
      trafficType: 'ALL',
      logDestinationType: 'cloud-watch-logs',
      logDestination: this.logGroup.arn,
      iamRoleArn: this.role.arn,
      // Nitro nodes aggregate per minute whatever is set; 60 gives NAT gateway and endpoint interfaces the
      // same timeline resolution, at a little more ingestion than 600.
      maxAggregationInterval: 60,
      tags: { ...props.tags, Name: `${props.clusterName}-vpc` },
      dependsOn: [rolePolicy],
    });
  }
}
