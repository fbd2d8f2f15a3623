import { IConstruct } from 'constructs';

/**
 * cdktf records a creation stack trace for every token, reference and nested block it makes (Lazy,
 * Intrinsic, ComplexObject...), at unlimited depth and formatted at once: about 14,000 traces for the
 * examples, a quarter of the library's synth time. It only reads them to explain a token that cannot be
 * resolved. An app built with `new App({ stackTraces: false })` has said it wants no stack traces (cdktf
 * honours that for annotations only); for such an app this keeps those token traces empty.
 *
 * How: cdktf captures each trace onto a plain object (`Error.captureStackTrace({ stack: '' })`) and reads
 * `stack` at once, which formats it through `Error.prepareStackTrace`. While installed, the hook below
 * returns '' for targets that are not Errors, so cdktf gets an empty trace, and formats every Error as
 * before (through the hook it replaced, or as Node does). It is installed when a library construct is
 * created in such an app and removed at the next microtask checkpoint: an app is built and synthesized in
 * one synchronous run, so the scope is that run, and nothing stays changed in the process afterwards.
 */
const DISABLE_STACK_TRACES = '@cdktf/disable_stack_trace_in_metadata';

type Prepare = (target: Error, frames: NodeJS.CallSite[]) => unknown;

let installed: Prepare | undefined;

/** Skips cdktf's token creation traces for the rest of this synchronous run when the app disabled stack traces. */
export function skipCreationStacks(scope: IConstruct): void {
  const disabled = scope.node.tryGetContext(DISABLE_STACK_TRACES);
  if (installed || (disabled !== true && disabled !== 'true')) return;
  const previous = Error.prepareStackTrace;
  const hook: Prepare = (target, frames) => {
    if (!(target instanceof Error)) return '';
    if (previous) return previous(target, frames);
    return [String(target), ...frames.map((f) => `    at ${f}`)].join('\n');
  };
  installed = hook;
  Error.prepareStackTrace = hook;
  queueMicrotask(() => {
    if (Error.prepareStackTrace === hook) Error.prepareStackTrace = previous;
    installed = undefined;
  });
}
