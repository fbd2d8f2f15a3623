import { LocalBackend, TerraformStack } from 'cdktf';
import { Construct } from 'constructs';

/**
 * A stack for what must outlive a cluster (its network and retained data), with local state. The cluster's
 * stack reads this state through `terraform_remote_state` from its own directory (`cdktf.out/stacks/<stack>`),
 * so the path goes through the stacks directory: both stacks resolve it to the same file.
 *
 * Deploy it first (`cdktf deploy <id> <cluster stack>` orders them); `cdktf destroy <cluster stack>` leaves it.
 */
export function localDataStack(scope: Construct, id: string): TerraformStack {
  const stack = new TerraformStack(scope, id);
  new LocalBackend(stack, { path: `../${id}/${id}.tfstate` });
  return stack;
}
