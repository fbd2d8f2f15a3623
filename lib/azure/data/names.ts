import { createHash } from 'crypto';
import { IConstruct } from 'constructs';
import { isToken } from '../../private/validation';

/**
 * Names of Azure data resources. Storage accounts, PostgreSQL servers and Managed Redis instances get a DNS
 * name under an Azure-wide domain, so their names must be unique across Azure: each carries a short hash of
 * the construct path (plus the cluster and resource group names when they are literals). The hash depends
 * on nothing else (no checkout path, no time), so synth output is byte-identical across runs and machines.
 * A cluster or resource group name that is a Terraform token is left out of names and hashes: its text is
 * a placeholder, not the value.
 */

/** Hex sha256 of `parts` joined, cut to `length` characters. */
export function shortHash(length: number, ...parts: string[]): string {
  return createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, length);
}

/** The hash that makes one service's names unique: its construct path, cluster and resource group. */
export function serviceHash(scope: IConstruct, clusterName: string, resourceGroupName: string, length = 8): string {
  return shortHash(length, scope.node.path, literal(clusterName) ?? '', literal(resourceGroupName) ?? '');
}

/** `value` when it is a literal string, undefined when it is a Terraform token. */
export function literal(value: string | undefined): string | undefined {
  return value === undefined || isToken(value) ? undefined : value;
}

/** Lower-case letters, digits and single '-' between them ('My_Cluster--1' gives 'my-cluster-1'). */
export function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

/** Lower-case letters and digits only. */
export function alnum(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, '');
}

/** `text` cut to `max` characters, without a '-' left at the end. */
export function clip(text: string, max: number): string {
  return text.slice(0, max).replace(/-+$/, '');
}

/**
 * A name of lower-case letters, digits and single hyphens ending in `-<hash>` (PostgreSQL server, Managed
 * Redis): `<cluster>-<id>-<hash>`, at most `max` characters, starting with a letter or digit.
 */
export function hyphenatedName(scope: IConstruct, clusterName: string, resourceGroupName: string, max: number): string {
  const hash = serviceHash(scope, clusterName, resourceGroupName);
  const base = slug([literal(clusterName) ?? '', scope.node.id].filter((p) => p !== '').join('-'));
  const head = clip(base, max - hash.length - 1);
  return head ? `${head}-${hash}` : hash;
}
