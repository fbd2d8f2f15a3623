import { lazyModule } from '../private/lazy';
import type { DataAwsCallerIdentity } from '@cdktf/provider-aws/lib/data-aws-caller-identity';
import type { DataAwsPartition } from '@cdktf/provider-aws/lib/data-aws-partition';
import type { DataAwsRegion } from '@cdktf/provider-aws/lib/data-aws-region';
import { TerraformStack } from 'cdktf';
import { Construct, IConstruct } from 'constructs';

const dataAwsCallerIdentityLib = lazyModule<typeof import('@cdktf/provider-aws/lib/data-aws-caller-identity')>(
  '@cdktf/provider-aws/lib/data-aws-caller-identity',
);
const dataAwsPartitionLib = lazyModule<typeof import('@cdktf/provider-aws/lib/data-aws-partition')>(
  '@cdktf/provider-aws/lib/data-aws-partition',
);
const dataAwsRegionLib = lazyModule<typeof import('@cdktf/provider-aws/lib/data-aws-region')>('@cdktf/provider-aws/lib/data-aws-region');

/** Who runs Terraform and where, read once per stack from the stack's default AWS provider. */
export interface AwsContext {
  /** The caller's identity (account id, ARN). */
  readonly caller: DataAwsCallerIdentity;
  /** The provider's region. */
  readonly region: DataAwsRegion;
  /** The partition (aws, aws-cn, aws-us-gov). */
  readonly partition: DataAwsPartition;
}

const ID = 'AiPlatformAwsContext';

/** The stack-wide data sources describing the AWS account, region and partition. */
export function awsContext(scope: IConstruct): AwsContext {
  const stack = TerraformStack.of(scope);
  const existing = stack.node.tryFindChild(ID) as Construct | undefined;
  const host = existing ?? new Construct(stack, ID);
  if (existing) {
    return {
      caller: host.node.findChild('Caller') as DataAwsCallerIdentity,
      region: host.node.findChild('Region') as DataAwsRegion,
      partition: host.node.findChild('Partition') as DataAwsPartition,
    };
  }
  return {
    caller: new (dataAwsCallerIdentityLib().DataAwsCallerIdentity)(host, 'Caller', {}),
    region: new (dataAwsRegionLib().DataAwsRegion)(host, 'Region', {}),
    partition: new (dataAwsPartitionLib().DataAwsPartition)(host, 'Partition', {}),
  };
}
