import { Token } from 'cdktf';

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
 * An allow-list of networks that may reach an API server: every entry a CIDR, none open to the internet.
 * @param orElse the alternative the message offers, e.g. 'use EndpointAccess.PRIVATE'
 */
export function validateApiAllowList(prop: string, cidrs: string[], orElse: string): string[] {
  const out: string[] = [];
  if (isToken(cidrs)) return out;
  for (const c of cidrs) {
    if (isToken(c)) continue;
    const prefix = ipv4CidrPrefix(c);
    if (prefix === undefined) out.push(`${prop} '${c}' is not an IPv4 CIDR; use the form 203.0.113.0/24`);
    else if (prefix === 0) out.push(`${prop} '${c}' opens the API server to the whole internet; list your networks' CIDRs, or ${orElse}`);
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
