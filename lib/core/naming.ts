/**
 * Names that land in cloud APIs or Kubernetes objects: validated once here so every cloud agrees.
 */

/** RFC 1123 label: lower-case alphanumerics and '-', starting and ending alphanumeric. */
export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Lower-cases and replaces anything outside [a-z0-9-] so a construct id can name a Kubernetes object. */
export function toDnsLabel(raw: string, maxLength = 63): string {
  const s = raw.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '');
  return s.slice(0, maxLength).replace(/-+$/g, '');
}

/**
 * A stable, readable Terraform-safe suffix from a construct path (used for provider aliases and tag keys).
 */
export function aliasFromPath(path: string): string {
  return path.replace(/[^A-Za-z0-9_]+/g, '_').replace(/^_+|_+$/g, '').toLowerCase();
}
