/**
 * Raised by the GPU domain when an input cannot describe a real deployment.
 *
 * Messages are shaped `<prop> <value> <what is wrong>; <allowed values or fix>` without a construct
 * path: the domain has no constructs, so callers prefix the path of the construct that received the value.
 *
 * Declared as a constant holding a class (plus a same-named type) because jsii rejects exported
 * classes that extend `Error`; jsii skips constants, while TypeScript users still get
 * `new GpuDomainError(…)`, `instanceof GpuDomainError` and the type.
 */
export const GpuDomainError = class GpuDomainError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GpuDomainError';
    // Keeps `instanceof` working if a downstream toolchain compiles classes to ES5 functions.
    Object.setPrototypeOf(this, new.target.prototype);
  }
};

/** An error raised by the GPU domain. */
export type GpuDomainError = InstanceType<typeof GpuDomainError>;

/** Throws a GpuDomainError joining every message, so a user sees all problems of one input at once. */
export function throwIfMessages(messages: string[]): void {
  if (messages.length > 0) throw new GpuDomainError(messages.join('\n'));
}
