import { Token, Tokenization } from 'cdktf';
import type { TerraformResource, TerraformStack } from 'cdktf';

/** How a broken rule is reported at synth. */
export enum SecurityRuleLevel {
  /** Clearly unsafe: an error annotation; `cdktf synth` fails and prints it. */
  ERROR = 'error',
  /** Hardening: a warning annotation; `cdktf synth` prints it and goes on. */
  WARNING = 'warning',
}

/** A rule of the security checks, as documented and reported (its check itself stays internal). */
export interface SecurityRuleInfo {
  /** Stable id, used in messages and suppressions (e.g. `eks-secrets-encryption`). */
  readonly id: string;
  /** Error (synth fails) or warning. */
  readonly level: SecurityRuleLevel;
  /** The Terraform resource types the rule reads (e.g. `aws_eks_cluster`). */
  readonly resourceTypes: string[];
  /** What the rule asks for, and why. */
  readonly description: string;
  /** How to comply. */
  readonly fix: string;
}

/** A resource's configuration as Terraform will receive it: attributes merged with escape-hatch overrides. */
export type Config = { [key: string]: any };

/** One Terraform resource seen by the rules. */
export interface ResourceView {
  readonly resource: TerraformResource;
  readonly type: string;
  /** `type.logicalId`, as other resources' references name it. */
  readonly address: string;
  readonly config: Config;
}

/** What a rule may look up beyond its own resource: the other resources of the same stack. */
export interface StackView {
  readonly stack: TerraformStack;
  ofType(...types: string[]): ResourceView[];
  /**
   * Whether `value` (an attribute of another resource) references `target`: `true`, `false`, or
   * `undefined` when it cannot be told at synth (an input variable, a data source).
   */
  refersTo(value: unknown, target: ResourceView): boolean | undefined;
  /** The resolved text of a value: `${aws_vpc.x.id}` for a reference; undefined when it cannot be resolved. */
  resolved(value: unknown): string | undefined;
}

/**
 * A rule: one id, one level, the resource types it reads, and a check that returns the problem (the
 * part of the message between the id and the fix) or `undefined` when the resource complies, the rule
 * does not apply, or the deciding value is a token not known before `terraform apply`.
 */
export interface Rule extends SecurityRuleInfo {
  check(resource: ResourceView, stack: StackView): string | undefined;
}

/** A value only Terraform knows (a reference, a variable, a function): never a violation. */
export function isToken(v: unknown): boolean {
  if (v === undefined || v === null) return false;
  if (Tokenization.isResolvable(v)) return true;
  if (typeof v === 'string' || typeof v === 'number' || Array.isArray(v)) return Token.isUnresolved(v);
  return false;
}

/** Literal `true` (providers write some booleans as strings). */
export function isTrue(v: unknown): boolean {
  return v === true || v === 'true';
}

/** Literal `false`. */
export function isFalse(v: unknown): boolean {
  return v === false || v === 'false';
}

/** Not set at all. */
export function isUnset(v: unknown): boolean {
  return v === undefined || v === null;
}

/** A nested block, written as an object or as a one-element list (an override may write either). */
export function block(v: unknown): Config | undefined {
  if (Array.isArray(v)) return v.length && typeof v[0] === 'object' ? (v[0] as Config) : undefined;
  return v !== null && typeof v === 'object' && !Tokenization.isResolvable(v) ? (v as Config) : undefined;
}

/** A repeated block, as a list of objects (a single object counts as one). */
export function blocks(v: unknown): Config[] {
  if (Array.isArray(v)) return v.filter((b) => b !== null && typeof b === 'object') as Config[];
  const b = block(v);
  return b ? [b] : [];
}

/** A quoted value for messages; tokens are shown as `(token)`. */
export function shown(v: unknown): string {
  if (isToken(v)) return '(token)';
  return `'${Array.isArray(v) ? v.join(',') : String(v)}'`;
}
