import { IResolvable, TerraformResource, TerraformStack, Tokenization } from 'cdktf';
import { Construct, IConstruct } from 'constructs';

/**
 * The stateful/stateless split (as aws-cdk stacks do it): what must outlive a cluster (the network it runs
 * in and the retained data of its services) lives in a data stack of its own, deployed first; the cluster's
 * stack then holds compute and in-cluster state only, and `cdktf destroy <cluster stack>` removes all of it
 * while the data stack stays whole. The data stack never reads the cluster's stack.
 */

/** Per data stack, the first stack whose constructs were mirrored there: its mirrors sit at the data stack's root. */
const firstSource = new WeakMap<TerraformStack, TerraformStack>();

/**
 * A construct in `dataStack` standing for `scope`: same ids along the same path below the stack (so
 * resources keep their logical ids when they move between the stacks), created once per path. The first
 * stack mirrored into a data stack takes its root; constructs of any other stack go under a construct named
 * after their stack. Without a data stack, or for a scope already in it, `scope` itself.
 */
export function dataScopeIn(dataStack: TerraformStack | undefined, scope: Construct): Construct {
  if (!dataStack) return scope;
  const source = TerraformStack.of(scope);
  if (source === dataStack) return scope;
  const first = firstSource.get(dataStack) ?? source;
  firstSource.set(dataStack, first);
  let parent: Construct = first === source ? dataStack : childOf(dataStack, source.node.id);
  const scopes = scope.node.scopes;
  for (const c of scopes.slice(scopes.indexOf(source) + 1)) parent = childOf(parent, c.node.id);
  return parent;
}

function childOf(parent: Construct, id: string): Construct {
  return (parent.node.tryFindChild(id) as Construct | undefined) ?? new Construct(parent, id);
}

/** The references (a TerraformVariable, a resource attribute) `value` holds at its top level, with their stacks. */
function references(value: unknown): { stack: TerraformStack; text: string }[] {
  const tokens: IResolvable[] = [];
  const visit = (v: unknown): void => {
    if (typeof v === 'string') tokens.push(...Tokenization.reverseString(v).tokens);
    else if (typeof v === 'number') {
      const t = Tokenization.reverseNumber(v);
      if (t) tokens.push(t);
    } else if (Array.isArray(v)) {
      const t = Tokenization.reverseList(v);
      if (t) tokens.push(t);
      else v.forEach(visit);
    } else if (v && typeof v === 'object' && !Tokenization.isResolvable(v)) {
      for (const [k, x] of Object.entries(v)) {
        visit(k);
        visit(x);
      }
    } else if (v && Tokenization.isResolvable(v)) tokens.push(v);
  };
  visit(value);
  // A Terraform reference (variable, resource or data source attribute) carries the stack it belongs to.
  return tokens.flatMap((t) => {
    const ref = t as { originStack?: unknown; identifier?: unknown };
    return TerraformStack.isStack(ref.originStack) ? [{ stack: ref.originStack, text: `\${${String(ref.identifier)}}` }] : [];
  });
}

/** What a cluster checks its `dataStack` against. */
export interface DataStackCheck {
  /**
   * The cluster's `inClusterStack`.
   * @default - none
   */
  readonly inClusterStack?: TerraformStack;
  /** Props whose values resources of the data stack are built from (names, tags, network), by prop name. */
  readonly values: { [prop: string]: unknown };
}

/**
 * Problems of a cluster's `dataStack` (`<prop> <value> <problem>; <fix>`): it must be another stack than the
 * cluster's and its in-cluster stack, must not depend on the cluster's stack, and the values its resources
 * are built from must not be values of another stack (the data stack would read the cluster's, a cycle).
 */
export function validateDataStack(cluster: IConstruct, dataStack: TerraformStack, check: DataStackCheck): string[] {
  const own = TerraformStack.of(cluster);
  const name = `'${dataStack.node.id}'`;
  if (dataStack === own)
    return [
      `dataStack ${name} is the cluster's own stack, so its retained data still blocks \`cdktf destroy ${own.node.id}\`; pass a stack of its own (deployed first), or leave dataStack unset`,
    ];
  if (dataStack === check.inClusterStack)
    return [
      `dataStack ${name} is also the inClusterStack: the in-cluster stack is applied after the cluster's, the data stack before it; pass two different stacks`,
    ];
  if (dataStack.dependsOn(own))
    return [
      `dataStack ${name} depends on the cluster's stack '${own.node.id}', and the cluster's stack is applied after its data stack (a cycle); remove the dependency, or pass another stack`,
    ];
  const out: string[] = [];
  for (const [prop, value] of Object.entries(check.values)) {
    const foreign = references(value).find((r) => r.stack !== dataStack);
    if (foreign)
      out.push(
        `${prop} ${foreign.text} is a value of stack '${foreign.stack.node.id}', but resources of dataStack ${name} are built from it and would read that stack (the cluster's stack reads the data stack: a cycle); declare the variable in stack ${name}, or pass a literal`,
      );
  }
  return out;
}

/** Resources of `stack` with `lifecycle.prevent_destroy`: `cdktf destroy` of the stack fails at plan while they are in it. */
export function retainedResources(stack: TerraformStack): TerraformResource[] {
  return stack.node.findAll().filter((c): c is TerraformResource => c instanceof TerraformResource && c.lifecycle?.preventDestroy === true);
}
