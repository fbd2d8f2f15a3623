import type { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import { Construct } from 'constructs';
import { RemovalPolicy } from '../../core/data-services';
import { lazyModule } from '../../private/lazy';
import { awsContext } from '../account';
import { lifecycleFor } from './common';

const dataAwsIamPolicyDocumentLib = lazyModule<typeof import('@cdktf/provider-aws/lib/data-aws-iam-policy-document')>(
  '@cdktf/provider-aws/lib/data-aws-iam-policy-document',
);
const kmsAliasLib = lazyModule<typeof import('@cdktf/provider-aws/lib/kms-alias')>('@cdktf/provider-aws/lib/kms-alias');
const kmsKeyLib = lazyModule<typeof import('@cdktf/provider-aws/lib/kms-key')>('@cdktf/provider-aws/lib/kms-key');

/** Options of the customer-managed key of one data service. */
export interface DataKeyOptions {
  /** What the key encrypts, for its description. */
  readonly description: string;
  /** Alias name without the `alias/` prefix (unique in the account and region). */
  readonly alias: string;
  /** Tags. */
  readonly tags: { [key: string]: string };
  /** Retained keys get `prevent_destroy`: destroying the key makes every backup of the data unreadable. */
  readonly removalPolicy: RemovalPolicy;
}

/**
 * One rotating customer-managed KMS key per data service (ids `KeyPolicy`, `Key`, `KeyAlias` under
 * `scope`). The key policy names the account as administrator, so IAM policies decide who uses it: the
 * deployer (the services create grants with the deployer's permissions) and workloads granted access.
 */
export function dataKey(scope: Construct, options: DataKeyOptions): KmsKey {
  const ctx = awsContext(scope);
  const policy = new (dataAwsIamPolicyDocumentLib().DataAwsIamPolicyDocument)(scope, 'KeyPolicy', {
    statement: [
      {
        sid: 'AccountAdministers',
        effect: 'Allow',
        principals: [{ type: 'AWS', identifiers: [`arn:${ctx.partition.partition}:iam::${ctx.caller.accountId}:root`] }],
        actions: ['kms:*'],
        resources: ['*'],
      },
    ],
  });
  const key = new (kmsKeyLib().KmsKey)(scope, 'Key', {
    description: options.description,
    enableKeyRotation: true,
    deletionWindowInDays: 30,
    policy: policy.json,
    tags: options.tags,
    lifecycle: lifecycleFor(options.removalPolicy),
  });
  new (kmsAliasLib().KmsAlias)(scope, 'KeyAlias', { name: `alias/${options.alias}`, targetKeyId: key.keyId });
  return key;
}
