import { TerraformStack } from 'cdktf';
import { IConstruct } from 'constructs';
import { reportProblems } from './problems';

/**
 * Names that land in cloud APIs or Kubernetes objects: validated once here so every cloud agrees.
 */

/** RFC 1123 label (namespaces, most object names): 1-63 lower-case alphanumerics and '-', alphanumeric at both ends. */
export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/**
 * A stable, readable Terraform-safe suffix from a construct path (used for provider aliases and tag keys).
 */
export function aliasFromPath(path: string): string {
  const name = path
    .replace(/[^A-Za-z0-9_]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .toLowerCase();
  // Terraform identifiers (provider aliases, output names) start with a letter or an underscore.
  return /^[a-z_]/.test(name) ? name : `_${name}`;
}

/**
 * A Terraform-safe name for an output of `scope`, from its path inside its stack (outputs live in one
 * stack's file, so the stack name would only repeat itself): `Platform/Gpu` + `cluster_name` gives
 * `platform_gpu_cluster_name`.
 */
export function outputName(scope: IConstruct, suffix: string): string {
  const stack = TerraformStack.of(scope);
  const inStack = scope.node.path.slice(stack.node.path.length).replace(/^\//, '');
  const name = `${aliasFromPath(inStack)}_${suffix}`;
  // Paths that differ only in case or punctuation give one name, and Terraform would keep one output.
  const taken = outputNames.get(stack) ?? new Map<string, string>();
  outputNames.set(stack, taken);
  const other = taken.get(name);
  if (other !== undefined && other !== scope.node.path) {
    reportProblems(scope, [
      `outputs true names an output '${name}', as ${other} does; give one of the two constructs an id that differs in more than case or punctuation`,
    ]);
  }
  taken.set(name, scope.node.path);
  return name;
}

const outputNames = new WeakMap<TerraformStack, Map<string, string>>();
