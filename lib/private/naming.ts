import { createHash } from 'crypto';
import { TerraformStack, Token } from 'cdktf';
import { IConstruct } from 'constructs';
import { reportProblems } from './problems';

/**
 * Names that land in cloud APIs or Kubernetes objects: validated once here so every cloud agrees.
 */

/** RFC 1123 label (namespaces, most object names): 1-63 lower-case alphanumerics and '-', alphanumeric at both ends. */
export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
/** RFC 1035 label (Service names): an RFC 1123 label that starts with a letter. */
export const DNS_1035_LABEL = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;
/** RFC 1123 subdomain (most other object names): dot-separated RFC 1123 labels, 253 characters at most. */
export const DNS_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** The name part of a label key, and a non-empty label value: 1-63 letters, digits, '-', '_' or '.', alphanumeric at both ends. */
export const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
/** A label value: empty, or a LABEL_NAME. */
export const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$/;

/**
 * What a Kubernetes name must be: `service` a DNS-1035 label (Services, and what shares a Service's name),
 * `label` a DNS-1123 label (namespaces, Helm releases, Jobs and most objects whose name lands in a label),
 * `subdomain` a DNS-1123 subdomain (ConfigMaps, Secrets, Deployments, custom resources).
 */
export type KubernetesNameKind = 'service' | 'label' | 'subdomain';

const NAME_LIMIT: Record<KubernetesNameKind, number> = { service: 63, label: 63, subdomain: 253 };
const HASH_LENGTH = 6;

function nameHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, HASH_LENGTH);
}

/**
 * The one way a Kubernetes object name is made from user or model text (`vllm-` + 'qwen2.5-7b', a construct
 * id, a namespace). Lower case; every run of characters the kind does not allow becomes one '-'; '-' and '.'
 * trimmed at both ends; a DNS-1035 name starting with a digit gets an 'x-' in front; text that leaves nothing
 * becomes `x-<hash>`. A name longer than `maxLength` (at most the kind's limit: 63, or 253 for subdomains) is
 * cut and ends in `-<hash>`, a hash of the whole text, so two long names that share a beginning stay apart.
 * Deterministic: the same text always gives the same name. Text with unresolved tokens is returned as is
 * (its value is unknown at synth). A valid name that fits comes back unchanged, so names never move on
 * upgrade unless they were invalid or too long. Two texts that give one name: see `kubernetesNames`.
 */
export function kubernetesName(text: string, kind: KubernetesNameKind = 'label', maxLength?: number): string {
  if (Token.isUnresolved(text)) return text;
  const limit = Math.min(maxLength ?? NAME_LIMIT[kind], NAME_LIMIT[kind]);
  const allowed = kind === 'subdomain' ? /[^a-z0-9.-]+/g : /[^a-z0-9-]+/g;
  let name = String(text).toLowerCase().replace(allowed, '-').replace(/-{2,}/g, '-');
  // Subdomains: every dot-separated part is a label (no empty or '-'-edged parts).
  if (kind === 'subdomain')
    name = name
      .split('.')
      .map((p) => p.replace(/^-+|-+$/g, ''))
      .filter((p) => p !== '')
      .join('.');
  name = name.replace(/^[-.]+|[-.]+$/g, '');
  if (name === '') return `x-${nameHash(String(text))}`.slice(0, limit);
  if (kind === 'service' && !/^[a-z]/.test(name)) name = `x-${name}`;
  if (name.length <= limit) return name;
  const head = name.slice(0, limit - HASH_LENGTH - 1).replace(/[-.]+$/, '');
  return `${head}-${nameHash(String(text))}`;
}

/**
 * Names for several texts that live side by side (one kind, one namespace): `kubernetesName` of each, and
 * where two texts give the same name, every text the sanitizing changed ends in `-<hash>` of itself (a text
 * that was already a valid name keeps it): 'qwen2.5-7b' and 'qwen2-5-7b' give 'qwen2-5-7b-<hash>' and
 * 'qwen2-5-7b'.
 */
export function kubernetesNames(texts: string[], kind: KubernetesNameKind = 'label', maxLength?: number): string[] {
  const names = texts.map((t) => kubernetesName(t, kind, maxLength));
  const count = new Map<string, number>();
  names.forEach((n) => count.set(n, (count.get(n) ?? 0) + 1));
  const limit = Math.min(maxLength ?? NAME_LIMIT[kind], NAME_LIMIT[kind]);
  return names.map((n, i) => {
    const text = texts[i];
    if ((count.get(n) ?? 0) < 2 || n === text || Token.isUnresolved(text)) return n;
    const head = n.slice(0, limit - HASH_LENGTH - 1).replace(/[-.]+$/, '');
    return `${head}-${nameHash(text)}`;
  });
}

/**
 * A label value from user or model text: letters, digits, '-', '_' and '.', every run of other characters
 * as one '-', alphanumeric at both ends, 63 characters at most (longer text is cut and ends in `-<hash>`).
 * Case is kept (label values are case-sensitive). Unresolved tokens are returned as is.
 */
export function labelValue(text: string): string {
  if (Token.isUnresolved(text)) return text;
  const value = String(text)
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '');
  if (value.length <= 63) return value;
  const head = value.slice(0, 63 - HASH_LENGTH - 1).replace(/[^A-Za-z0-9]+$/, '');
  return `${head}-${nameHash(String(text))}`;
}

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
