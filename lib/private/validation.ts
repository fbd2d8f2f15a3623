import { Token } from 'cdktf';
import { DNS_LABEL, DNS_SUBDOMAIN, LABEL_NAME } from './naming';

/**
 * Input checks shared by both clouds. Each returns `<prop> <value> …; <fix>` messages (no construct path).
 * A value Terraform only knows at apply time (a variable, a reference, an `Fn` call) is never rejected:
 * the checks skip it and check what they can.
 */

/** True when `value` (or, for a list, the list itself) is a Terraform token resolved only at apply time. */
export function isToken(value: unknown): boolean {
  return Token.isUnresolved(value);
}

/** RFC 5737 documentation ranges: no deployer can come from them. */
export function isDocumentationCidr(cidr: string): boolean {
  return /^(192\.0\.2|198\.51\.100|203\.0\.113)\.\d{1,3}\/(2[4-9]|3[0-2])$/.test(cidr);
}

/** The prefix length of an IPv4 CIDR, or undefined when the text is not one. */
export function ipv4CidrPrefix(cidr: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
  if (!m || m.slice(1, 5).some((o) => Number(o) > 255) || Number(m[5]) > 32) return undefined;
  return Number(m[5]);
}

/**
 * An allow-list of networks that may reach an endpoint: every entry a CIDR, none open to the internet.
 * @param orElse the alternative the message offers, e.g. 'use EndpointAccess.PRIVATE'
 * @param target what the list guards, as the message names it
 */
export function validateApiAllowList(prop: string, cidrs: string[], orElse: string, target = 'the API server'): string[] {
  const out: string[] = [];
  if (isToken(cidrs)) return out;
  for (const c of cidrs) {
    if (isToken(c)) continue;
    const prefix = ipv4CidrPrefix(c);
    if (prefix === undefined) out.push(`${prop} '${c}' is not an IPv4 CIDR; use the form 203.0.113.0/24`);
    else if (prefix === 0) out.push(`${prop} '${c}' opens ${target} to the whole internet; list your networks' CIDRs, or ${orElse}`);
  }
  return out;
}

/**
 * The address range of a new network, sized between `/largest` and `/smallest`.
 * @param fix what the message suggests, e.g. 'use e.g. 10.20.0.0/16'
 */
export function validateNetworkCidr(prop: string, cidr: string, largest: number, smallest: number, fix: string): string[] {
  if (isToken(cidr)) return [];
  const prefix = ipv4CidrPrefix(cidr);
  if (prefix !== undefined && prefix >= largest && prefix <= smallest) return [];
  return [`${prop} '${cidr}' is not an IPv4 CIDR of size /${largest}-/${smallest}; ${fix}`];
}

/** Azure region names in their short form ('eastus2', 'westeurope'). */
export function isAzureRegion(name: string | undefined): boolean {
  if (isToken(name)) return true;
  return /^[a-z][a-z0-9]{2,30}$/.test(name ?? '');
}

// ---------------------------------------------------------------------------------------------------------
// Names, labels and tags, each checked against the rule of the place it lands. Every check returns
// `<prop> <value> <problem>; <fix>` messages and skips values Terraform knows only at apply time.

/** Characters IAM and CloudWatch Logs accept in tags (the library's tags reach IAM roles and log groups). */
const AWS_TAG_CHARS = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;

/** A value as messages show it: quoted, one line, long ones cut. */
export function shown(value: unknown): string {
  if (typeof value !== 'string')
    return Array.isArray(value) || (typeof value === 'object' && value !== null) ? JSON.stringify(value) : String(value);
  const cut = value.length > 80 ? `${value.slice(0, 60)}…' (${value.length} characters)` : `${value}'`;
  return `'${cut}`;
}

/** Kubernetes object name rules, by what the name is. */
export enum K8sName {
  /** DNS-1123 label, at most 63 (namespaces). */
  LABEL = 'a DNS-1123 label (1-63 lower-case letters, digits or -, alphanumeric at both ends)',
  /** DNS-1123 subdomain, at most 253 (most objects). */
  SUBDOMAIN = "a DNS-1123 subdomain (lower-case letters, digits, '-' and '.', alphanumeric at both ends, at most 253)",
}

/** A Kubernetes object name. */
export function validateK8sName(prop: string, value: string | undefined, rule: K8sName, example: string): string[] {
  if (value === undefined || isToken(value)) return [];
  const re = rule === K8sName.LABEL ? DNS_LABEL : DNS_SUBDOMAIN;
  return re.test(value) ? [] : [`${prop} ${shown(value)} is not ${rule}; use e.g. '${example}'`];
}

/** Why `key` is not a label key, or undefined. */
function labelKeyProblem(key: string): string | undefined {
  const i = key.lastIndexOf('/');
  const [prefix, name] = i >= 0 ? [key.slice(0, i), key.slice(i + 1)] : [undefined, key];
  if (!LABEL_NAME.test(name))
    return "is not a Kubernetes label key (its name part must be 1-63 letters, digits, '-', '_' or '.', alphanumeric at both ends)";
  if (prefix !== undefined && !DNS_SUBDOMAIN.test(prefix))
    return 'is not a Kubernetes label key (its prefix must be a DNS subdomain, e.g. example.com)';
  return undefined;
}

/** Options of a label check. */
export interface LabelRules {
  /**
   * Label key prefixes the user may not set (the library's own, or the cloud's).
   * @default - none
   */
  readonly reservedPrefixes?: string[];
  /**
   * Keys the user may not set.
   * @default - none
   */
  readonly reservedKeys?: string[];
  /**
   * Node labels: kubelet refuses to start with labels in the kubernetes.io / k8s.io namespaces other than
   * node.kubernetes.io/ and kubelet.kubernetes.io/ ones, so nodes never join.
   * @default false
   */
  readonly nodeLabels?: boolean;
}

/** A map of Kubernetes labels (keys and values), e.g. node labels or a node selector. */
export function validateLabels(prop: string, labels: { [key: string]: string } | undefined, rules: LabelRules = {}): string[] {
  if (labels === undefined || isToken(labels)) return [];
  const out: string[] = [];
  for (const [k, v] of Object.entries(labels)) {
    if (isToken(k)) continue;
    const kp = labelKeyProblem(k);
    if (kp) out.push(`${prop} ${shown(k)} ${kp}; use e.g. 'team' or 'example.com/team'`);
    const owner =
      rules.reservedPrefixes?.find((p) => k.startsWith(p)) ??
      rules.reservedKeys?.find((r) => r === k) ??
      (rules.nodeLabels && /^([^/]*\.)?(kubernetes\.io|k8s\.io)\//.test(k) && !/^(node|kubelet)\.kubernetes\.io\//.test(k)
        ? 'kubernetes.io/'
        : undefined);
    if (!kp && owner)
      out.push(
        `${prop} ${shown(k)} is in the reserved '${owner}' namespace (set by the library, the cloud or kubelet); use a key of your own domain, e.g. 'example.com/${k.slice(k.lastIndexOf('/') + 1)}'`,
      );
    if (!isToken(v) && v !== '' && !LABEL_NAME.test(v))
      out.push(
        `${prop}[${k}] ${shown(v)} is not a Kubernetes label value; use at most 63 letters, digits, '-', '_' or '.', alphanumeric at both ends`,
      );
  }
  return out;
}

/** A Kubernetes label value the library derives a label from (a pool name, a cost center). */
export function validateLabelValue(prop: string, value: string | undefined, example: string): string[] {
  if (value === undefined || isToken(value) || value === '' || LABEL_NAME.test(value)) return [];
  return [
    `${prop} ${shown(value)} is not a Kubernetes label value; use at most 63 letters, digits, '-', '_' or '.', alphanumeric at both ends, e.g. '${example}'`,
  ];
}

const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];

/** Node taints (key, value, effect). */
export function validateTaints(prop: string, taints: { key: string; value: string; effect: string }[] | undefined): string[] {
  if (taints === undefined || isToken(taints)) return [];
  const out: string[] = [];
  taints.forEach((t, i) => {
    if (!isToken(t.key)) {
      const kp = labelKeyProblem(t.key ?? '');
      if (kp) out.push(`${prop}[${i}].key ${shown(t.key)} ${kp.replace('label key', 'taint key')}; use e.g. 'nvidia.com/gpu'`);
    }
    if (t.value !== undefined && !isToken(t.value) && t.value !== '' && !LABEL_NAME.test(t.value))
      out.push(
        `${prop}[${i}].value ${shown(t.value)} is not a taint value; use at most 63 letters, digits, '-', '_' or '.', alphanumeric at both ends`,
      );
    if (!isToken(t.effect) && !TAINT_EFFECTS.includes(t.effect))
      out.push(
        `${prop}[${i}].effect ${shown(t.effect)} is not a taint effect; use TaintEffect.NO_SCHEDULE, PREFER_NO_SCHEDULE or NO_EXECUTE`,
      );
  });
  return out;
}

/** Pod tolerations (key, operator, effect) as add-on charts take them. */
export function validateTolerations(prop: string, tolerations: { key: string; operator: string; effect?: string }[] | undefined): string[] {
  if (tolerations === undefined || isToken(tolerations)) return [];
  const out: string[] = [];
  tolerations.forEach((t, i) => {
    if (!isToken(t.operator) && t.operator !== 'Exists' && t.operator !== 'Equal')
      out.push(`${prop}[${i}].operator ${shown(t.operator)} is not a toleration operator; use 'Exists' or 'Equal'`);
    if (!isToken(t.key)) {
      // An empty key with Exists tolerates every taint; Equal needs a key.
      const kp =
        t.key === '' ? (t.operator === 'Exists' ? undefined : 'is empty, which only operator Exists allows') : labelKeyProblem(t.key ?? '');
      if (kp)
        out.push(
          `${prop}[${i}].key ${shown(t.key)} ${kp.replace('label key', 'taint key')}; use the taint's key, e.g. 'CriticalAddonsOnly'`,
        );
    }
    if (t.effect !== undefined && !isToken(t.effect) && !TAINT_EFFECTS.includes(t.effect))
      out.push(
        `${prop}[${i}].effect ${shown(t.effect)} is not a taint effect; use NoSchedule, PreferNoSchedule, NoExecute, or omit it for every effect`,
      );
  });
  return out;
}

/**
 * AWS tags: keys 1-128 without the reserved `aws:` prefix, values up to 256, characters IAM and CloudWatch
 * Logs accept (the library's tags reach IAM roles and log groups, whose APIs reject others), 50 at most.
 * @param reserved how many tags the library adds to the same resources
 */
export function validateAwsTags(prop: string, tags: { [key: string]: string } | undefined, reserved = 0): string[] {
  if (tags === undefined || isToken(tags)) return [];
  const out: string[] = [];
  const entries = Object.entries(tags);
  if (entries.length + reserved > 50)
    out.push(
      `${prop} has ${entries.length} tags; AWS allows 50 a resource${reserved ? ` and the library adds ${reserved}` : ''}, so use at most ${50 - reserved}`,
    );
  for (const [k, v] of entries) {
    if (isToken(k)) continue;
    if (k === '' || k.length > 128) out.push(`${prop} key ${shown(k)} has ${k.length} characters; AWS tag keys have 1-128`);
    if (/^aws:/i.test(k)) out.push(`${prop} key ${shown(k)} uses the prefix 'aws:' AWS reserves; rename the key`);
    if (!isToken(v) && typeof v === 'string' && v.length > 256)
      out.push(`${prop}[${k}] ${shown(v)} is longer than the 256 characters AWS allows in a tag value; shorten it`);
    const odd = [k, isToken(v) ? '' : String(v)].filter((x) => !AWS_TAG_CHARS.test(x));
    if (odd.length)
      out.push(
        `${prop}[${k}] ${shown(odd[0])} has characters IAM and CloudWatch Logs reject in tags; use letters, digits, spaces and _ . : / = + - @`,
      );
  }
  return out;
}

/**
 * Azure tags: keys 1-512 without `< > % & \ ? /`, values up to 256, 50 at most a resource.
 * @param reserved how many tags the library adds to the same resources
 */
export function validateAzureTags(prop: string, tags: { [key: string]: string } | undefined, reserved = 0): string[] {
  if (tags === undefined || isToken(tags)) return [];
  const out: string[] = [];
  const entries = Object.entries(tags);
  if (entries.length + reserved > 50)
    out.push(
      `${prop} has ${entries.length} tags; Azure allows 50 a resource${reserved ? ` and the library adds ${reserved}` : ''}, so use at most ${50 - reserved}`,
    );
  for (const [k, v] of entries) {
    if (isToken(k)) continue;
    if (k === '' || k.length > 512) out.push(`${prop} key ${shown(k)} has ${k.length} characters; Azure tag names have 1-512`);
    if (/[<>%&\\?/]/.test(k))
      out.push(
        `${prop} ${shown(k)} has a character Azure rejects in tag names (< > % & \\ ? /); use e.g. '${k.replace(/[<>%&\\?/]/g, '-')}'`,
      );
    if (!isToken(v) && typeof v === 'string' && v.length > 256)
      out.push(`${prop}[${k}] ${shown(v)} is longer than the 256 characters Azure allows in a tag value; shorten it`);
  }
  return out;
}

/** An EKS cluster name (1-100 letters, digits, '-' or '_', starting alphanumeric). */
export function validateEksClusterName(prop: string, name: string): string[] {
  if (isToken(name) || /^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$/.test(name)) return [];
  return [`${prop} ${shown(name)} is not an EKS cluster name; use 1-100 letters, digits, '-' or '_', starting with a letter or digit`];
}

/** An AKS cluster name (1-63 letters, digits, '-' or '_', alphanumeric at both ends). */
export function validateAksClusterName(prop: string, name: string): string[] {
  if (isToken(name) || /^[A-Za-z0-9]([A-Za-z0-9_-]{0,61}[A-Za-z0-9])?$/.test(name)) return [];
  return [`${prop} ${shown(name)} is not an AKS cluster name; use 1-63 letters, digits, '-' or '_', alphanumeric at both ends`];
}

/** An Azure resource group name (1-90 letters, digits, '_', '-', '.', '(' or ')', not ending with '.'). */
export function validateResourceGroupName(prop: string, name: string | undefined): string[] {
  if (name === undefined || isToken(name)) return [];
  if (/^[-\p{L}\p{N}_.()]{1,90}$/u.test(name) && !name.endsWith('.')) return [];
  return [
    `${prop} ${shown(name)} is not an Azure resource group name; use 1-90 letters, digits, '_', '-', '.', '(' or ')', not ending with '.'`,
  ];
}

/** Ids that must not be empty (subnet ids, ...): an empty one fails the cloud API at apply. */
export function validateIds(prop: string, ids: string[] | undefined, example: string): string[] {
  if (ids === undefined || isToken(ids)) return [];
  return ids
    .filter((id) => !isToken(id) && id.trim() === '')
    .map((id) => `${prop} ${shown(id)} is an empty id; pass real ids, e.g. '${example}'`);
}

/** A whole number in [min, max]. */
export function validateWholeNumber(prop: string, value: number | undefined, min: number, max: number, fix: string): string[] {
  if (value === undefined || isToken(value)) return [];
  if (Number.isInteger(value) && value >= min && value <= max) return [];
  return [`${prop} ${value} is not a whole number in ${min}-${max}; ${fix}`];
}

/** An Entra object id (a GUID). */
export function validateGuid(prop: string, value: string | undefined, what: string): string[] {
  if (value === undefined || isToken(value)) return [];
  if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value)) return [];
  return [`${prop} ${shown(value)} is not ${what} (a GUID); pass the object id, e.g. from a TerraformVariable`];
}

/** The system pool's size, as both clouds' `systemMinNodes` / `systemMaxNodes` take it. */
export function validateSystemNodes(min: number, max: number): string[] {
  const out: string[] = [];
  if (!isToken(min) && (!Number.isInteger(min) || min < 1))
    out.push(`systemMinNodes ${min} is not a whole number >= 1; add-ons need a system node, use 2 for one per zone failure`);
  if (!isToken(max) && !isToken(min) && (!Number.isInteger(max) || max < min))
    out.push(`systemMaxNodes ${max} is below systemMinNodes ${min}; use systemMaxNodes >= systemMinNodes`);
  return out;
}
