import { TerraformStack } from 'cdktf';
import { IConstruct } from 'constructs';

/**
 * Input problems, collected across the whole app and reported together at synth.
 *
 * Constructs do not throw on bad input: they report each problem here (eagerly, or as a function run at
 * synth, for problems that depend on what the rest of the app adds later) and build what they can. The
 * first stack validated throws one error listing every problem of the app, each line shaped
 * `<construct path>: <prop> <value> <problem>; <fix>`, with no Node stack trace in front of it.
 */

type Source = { scope: IConstruct; produce: () => string[] };

const sources = new WeakMap<IConstruct, Source[]>();
const hooked = new WeakSet<TerraformStack>();

/** An error of user input; its stack is its message, so Node prints the problems and no trace. */
class PlatformValidationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ValidationError';
    Object.defineProperty(this, 'stack', { value: `${this.name}: ${message}` });
    Object.setPrototypeOf(this, new.target.prototype);
  }
}

/**
 * Reports problems of `scope`'s input. `problems` are `<prop> <value> <problem>; <fix>` messages (the
 * construct path is added), or a function producing them at synth.
 */
export function reportProblems(scope: IConstruct, problems: string[] | (() => string[])): void {
  const produce = typeof problems === 'function' ? problems : () => problems;
  const root = scope.node.root;
  const list = sources.get(root) ?? [];
  list.push({ scope, produce });
  sources.set(root, list);
  const stack = TerraformStack.of(scope);
  if (hooked.has(stack)) return;
  hooked.add(stack);
  stack.node.addValidation({
    validate: () => {
      const lines = collectProblems(root);
      if (lines.length)
        throw new PlatformValidationError(
          `${lines.length} problem${lines.length > 1 ? 's' : ''} in the cdktf-ai-platform constructs; fix them all, then synthesize again:\n${lines.join('\n')}`,
        );
      return [];
    },
  });
}

/**
 * Every problem reported in the app of `scope`, each once, as `<path>: <message>`. A problem about the
 * value an enclosing construct already reported (a tenant's name, passed on as a namespace) is the same
 * mistake seen deeper: only the outermost report, where the user wrote the value, is kept.
 */
export function collectProblems(scope: IConstruct): string[] {
  const found: { path: string; message: string; value?: string }[] = [];
  for (const s of sources.get(scope.node.root) ?? []) {
    for (const m of s.produce()) found.push({ path: s.scope.node.path, message: m, value: /^\S+ ('[^']*')/.exec(m)?.[1] });
  }
  const echoed = (p: { path: string; value?: string }) =>
    p.value !== undefined && found.some((o) => o.value === p.value && p.path.startsWith(`${o.path}/`));
  return [...new Set(found.filter((p) => !echoed(p)).map((p) => printable(`${p.path}: ${p.message}`)))];
}

/**
 * One problem stays one line: control characters a user's value carries (a newline in a name) are shown
 * escaped, as JSON writes them, instead of splitting the report.
 */
export function printable(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => {
    const json = JSON.stringify(c).slice(1, -1);
    return json.length > 1 ? json : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
}
