import { LocalBackend, TerraformStack } from 'cdktf';
import { Construct } from 'constructs';

/**
 * Local state of an example stack, kept outside `cdktf.out` (which cdktf rewrites at every synth and deletes
 * the folders of stacks it no longer makes): `terraform-state/<id>.tfstate` at the project root. Terraform
 * runs in `cdktf.out/stacks/<id>`, so the path climbs three folders; it stays relative, so the synthesized
 * JSON is the same from any checkout, and a stack reading another's state (`terraform_remote_state`)
 * resolves the same file. Real platforms use a remote backend with locking (see `private-cluster`).
 */
export function localState(stack: TerraformStack): LocalBackend {
  return new LocalBackend(stack, { path: `../../../terraform-state/${stack.node.id}.tfstate` });
}

/**
 * A stack for what must outlive a cluster (its network and retained data), with local state.
 *
 * Deploy it first (`cdktf deploy <id> <cluster stack>` orders them); `cdktf destroy <cluster stack>` leaves it.
 */
export function localDataStack(scope: Construct, id: string): TerraformStack {
  const stack = new TerraformStack(scope, id);
  localState(stack);
  return stack;
}
