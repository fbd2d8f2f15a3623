import { lazyModule } from './lazy';
import type { Sleep } from '@cdktf/provider-time/lib/sleep';
import { ITerraformDependable, TerraformProvider, TerraformStack } from 'cdktf';
import { Construct, IConstruct } from 'constructs';
import { Duration } from '../core/duration';

const providerLib = lazyModule<typeof import('@cdktf/provider-time/lib/provider')>('@cdktf/provider-time/lib/provider');
const sleepLib = lazyModule<typeof import('@cdktf/provider-time/lib/sleep')>('@cdktf/provider-time/lib/sleep');

/**
 * A wait after `after`, for clouds that are eventually consistent (role assignments that take minutes to
 * apply). Re-runs when `triggers` change, i.e. when what it waits for is replaced. The hashicorp/time
 * provider is added to the stack unless the stack already configures one.
 */
export function waitAfter(
  scope: Construct,
  id: string,
  duration: Duration,
  after: ITerraformDependable[],
  triggers: { [key: string]: string },
): Sleep {
  const stack = TerraformStack.of(scope);
  const has = stack.node
    .findAll()
    .some((c: IConstruct) => c instanceof TerraformProvider && (c as TerraformProvider).terraformResourceType === 'time');
  if (!has) new (providerLib().TimeProvider)(stack, 'AiPlatformTime', {});
  return new (sleepLib().Sleep)(scope, id, { createDuration: `${Math.ceil(duration.toSeconds())}s`, triggers, dependsOn: after });
}
