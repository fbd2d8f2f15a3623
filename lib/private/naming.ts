/**
 * Names that land in cloud APIs or Kubernetes objects: validated once here so every cloud agrees.
 */

/** RFC 1123 label (namespaces, most object names): 1-63 lower-case alphanumerics and '-', alphanumeric at both ends. */
export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/**
 * A stable, readable Terraform-safe suffix from a construct path (used for provider aliases and tag keys).
 */
export function aliasFromPath(path: string): string {
  return path.replace(/[^A-Za-z0-9_]+/g, '_').replace(/^_+|_+$/g, '').toLowerCase();
}
