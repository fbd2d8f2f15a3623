import { TerraformStack } from 'cdktf';
import { IConstruct } from 'constructs';

/**
 * Names that land in cloud APIs or Kubernetes objects: validated once here so every cloud agrees.
 */

/** RFC 1123 label (namespaces, most object names): 1-63 lower-case alphanumerics and '-', alphanumeric at both ends. */
export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/**
 * A stable, readable Terraform-safe suffix from a construct path (used for provider aliases and tag keys).
 */
export function aliasFromPath(path: string): string {
  return path
    .replace(/[^A-Za-z0-9_]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .toLowerCase();
}

/**
 * A Terraform-safe name for an output of `scope`, from its path inside its stack (outputs live in one
 * stack's file, so the stack name would only repeat itself): `Platform/Gpu` + `cluster_name` gives
 * `platform_gpu_cluster_name`.
 */
export function outputName(scope: IConstruct, suffix: string): string {
  const stackPath = TerraformStack.of(scope).node.path;
  const inStack = scope.node.path.slice(stackPath.length).replace(/^\//, '');
  return `${aliasFromPath(inStack)}_${suffix}`;
}
