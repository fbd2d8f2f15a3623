/**
 * Raised by the GPU domain when an input cannot describe a real deployment.
 *
 * Messages are shaped `<prop> <value> <what is wrong>; <allowed values or fix>` without a construct
 * path: the domain has no constructs, so callers prefix the path of the construct that received the value.
 */
export class GpuDomainError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GpuDomainError';
    // Keeps `instanceof` working when compiled to ES5-style classes by downstream toolchains.
    Object.setPrototypeOf(this, GpuDomainError.prototype);
  }
}

/** Throws a GpuDomainError joining every message, so a user sees all problems of one input at once. */
export function throwIfMessages(messages: string[]): void {
  if (messages.length > 0) throw new GpuDomainError(messages.join('\n'));
}
