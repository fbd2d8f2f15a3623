import { App, Lazy, TerraformStack } from 'cdktf';
import { skipCreationStacks } from '../../lib/private/creation-stacks';

/** The creation stack cdktf recorded for a token (an internal field, read here only to observe the effect). */
function creationStack(token: string): string[] {
  const lazy = Lazy.anyValue({ produce: () => token }) as unknown as { creationStack: string[] };
  return lazy.creationStack;
}

describe('creation stack traces', () => {
  test('an app with stackTraces: false records none for tokens, for the rest of the synchronous run only', async () => {
    const before = Error.prepareStackTrace;
    const stack = new TerraformStack(new App({ stackTraces: false }), 's');
    skipCreationStacks(stack);
    expect(creationStack('a')).toEqual([]);
    // Errors keep their traces while the hook is in place.
    const error = new Error('boom');
    expect(error.stack).toMatch(/^Error: boom\n\s+at /);
    await Promise.resolve();
    expect(Error.prepareStackTrace).toBe(before);
    expect(creationStack('b').length).toBeGreaterThan(0);
  });

  test('an app that keeps stack traces keeps them', () => {
    const stack = new TerraformStack(new App(), 's');
    skipCreationStacks(stack);
    expect(creationStack('c').length).toBeGreaterThan(0);
  });

  test('a hook that another module put in place meanwhile is left alone', async () => {
    const stack = new TerraformStack(new App({ stackTraces: false }), 's');
    skipCreationStacks(stack);
    const theirs = (e: Error) => `theirs ${e.message}`;
    const before = Error.prepareStackTrace;
    Error.prepareStackTrace = theirs;
    await Promise.resolve();
    expect(Error.prepareStackTrace).toBe(theirs);
    Error.prepareStackTrace = before;
  });
});
