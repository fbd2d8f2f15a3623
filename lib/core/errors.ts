import { IConstruct } from 'constructs';

/**
 * Renders a user-supplied value for an error message: strings quoted, lists and objects as JSON.
 */
export function formatValue(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  if (value === undefined) return '(unset)';
  return JSON.stringify(value);
}

/**
 * Builds the library's error message shape: `<construct path>: <prop> <value> <problem>; <fix>`.
 */
export function validationMessage(scope: IConstruct, prop: string, value: unknown, problem: string, fix: string): string {
  return `${scope.node.path}: ${prop} ${formatValue(value)} ${problem}; ${fix}`;
}

/**
 * Throws an Error whose message names the construct path, the prop, the value and the fix.
 * Thrown from constructors so misuse stops `cdktf synth` before any Terraform is written.
 */
export function throwValidation(scope: IConstruct, prop: string, value: unknown, problem: string, fix: string): never {
  throw new Error(validationMessage(scope, prop, value, problem, fix));
}

/**
 * Throws the first of `messages` (already shaped `<prop> <value> …; <fix>` by the pure domain), prefixed
 * with the construct path. Several problems are joined so the user fixes them in one go.
 */
export function throwIfAny(scope: IConstruct, messages: string[]): void {
  if (messages.length === 0) return;
  throw new Error(messages.map((m) => `${scope.node.path}: ${m}`).join('\n'));
}
