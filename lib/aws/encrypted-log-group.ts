import { lazyModule } from '../private/lazy';
import type { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import type { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import { Construct } from 'constructs';
import { awsContext } from './account';

const cloudwatchLogGroupLib = lazyModule<typeof import('@cdktf/provider-aws/lib/cloudwatch-log-group')>(
  '@cdktf/provider-aws/lib/cloudwatch-log-group',
);
const dataAwsIamPolicyDocumentLib = lazyModule<typeof import('@cdktf/provider-aws/lib/data-aws-iam-policy-document')>(
  '@cdktf/provider-aws/lib/data-aws-iam-policy-document',
);
const kmsAliasLib = lazyModule<typeof import('@cdktf/provider-aws/lib/kms-alias')>('@cdktf/provider-aws/lib/kms-alias');
const kmsKeyLib = lazyModule<typeof import('@cdktf/provider-aws/lib/kms-key')>('@cdktf/provider-aws/lib/kms-key');

/** A log group CloudWatch Logs may encrypt with a key, named in that key's policy. */
export interface KeyLogGroup {
  /** Statement id in the key policy. */
  readonly sid: string;
  /** Log group name. */
  readonly name: string;
}

/** A customer-managed KMS key with a policy of its own and an alias. */
export interface LogKeyProps {
  /** Key description. */
  readonly description: string;
  /** Alias name ('alias/...'). */
  readonly aliasName: string;
  /**
   * The log group CloudWatch Logs may use the key for.
   * @default - none: the account alone uses it
   */
  readonly logGroup?: KeyLogGroup;
  /**
   * `prevent_destroy` on the key (retained logs in a stack that outlives the cluster).
   * @default false
   */
  readonly preventDestroy?: boolean;
  /** Tags. */
  readonly tags: { [key: string]: string };
}

/**
 * A rotating KMS key (`id`), its policy document (`<id>Policy`) and alias (`<id>Alias`), in `scope`. The
 * policy names who may use the key instead of relying on the default policy: the account administers it;
 * CloudWatch Logs of the region may use it for the one log group named, only. Encrypts the EKS
 * control-plane logs (and secrets) and the VPC flow logs.
 */
export function logKey(scope: Construct, id: string, props: LogKeyProps): KmsKey {
  const c = awsContext(scope);
  const partition = c.partition.partition;
  const account = c.caller.accountId;
  const statement: any[] = [
    {
      sid: 'AccountAdministers',
      effect: 'Allow',
      principals: [{ type: 'AWS', identifiers: [`arn:${partition}:iam::${account}:root`] }],
      actions: ['kms:*'],
      resources: ['*'],
    },
  ];
  if (props.logGroup) {
    // Built from the name, not read from the group: the group needs the key first.
    const groupArn = `arn:${partition}:logs:${c.region.name}:${account}:log-group:${props.logGroup.name}`;
    statement.push({
      sid: props.logGroup.sid,
      effect: 'Allow',
      principals: [{ type: 'Service', identifiers: [`logs.${c.region.name}.amazonaws.com`] }],
      actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
      resources: ['*'],
      condition: [{ test: 'ArnEquals', variable: 'kms:EncryptionContext:aws:logs:arn', values: [groupArn] }],
    });
  }
  const policy = new (dataAwsIamPolicyDocumentLib().DataAwsIamPolicyDocument)(scope, `${id}Policy`, { statement });
  const key = new (kmsKeyLib().KmsKey)(scope, id, {
    description: props.description,
    enableKeyRotation: true,
    deletionWindowInDays: 30,
    policy: policy.json,
    tags: props.tags,
    lifecycle: props.preventDestroy ? { preventDestroy: true } : undefined,
  });
  new (kmsAliasLib().KmsAlias)(scope, `${id}Alias`, { name: props.aliasName, targetKeyId: key.keyId });
  return key;
}

/** A CloudWatch log group encrypted with a key of `logKey`. */
export interface EncryptedLogGroupProps {
  /** Log group name, as the key policy names it. */
  readonly name: string;
  /** Retention, days (one of CloudWatch's values; the caller validates it). */
  readonly retentionInDays: number;
  /** ARN of the key. */
  readonly kmsKeyArn: string;
  /**
   * `skip_destroy`: the group leaves the state on destroy and stays in the account.
   * @default - unset
   */
  readonly skipDestroy?: boolean;
  /**
   * `prevent_destroy`: the group stays in a stack that outlives the cluster.
   * @default false
   */
  readonly preventDestroy?: boolean;
  /** Tags. */
  readonly tags: { [key: string]: string };
}

/**
 * A log group created before AWS writes to it: retention and encryption set, instead of "never expire" in
 * plain text. An audit trail is kept beyond its stack either way: `preventDestroy` in a data stack (kept in
 * state, found again by the next cluster of the name), else `skipDestroy`.
 */
export function encryptedLogGroup(scope: Construct, id: string, props: EncryptedLogGroupProps): CloudwatchLogGroup {
  return new (cloudwatchLogGroupLib().CloudwatchLogGroup)(scope, id, {
    name: props.name,
    retentionInDays: props.retentionInDays,
    kmsKeyId: props.kmsKeyArn,
    skipDestroy: props.skipDestroy,
    tags: props.tags,
    lifecycle: props.preventDestroy ? { preventDestroy: true } : undefined,
  });
}
