import fc from 'fast-check';
import { App, TerraformStack, Testing } from 'cdktf';
import { deployabilityViolations } from './deployability';

/**
 * Runs per property: small by default so the fuzz suite stays under a minute on a 2-core machine;
 * `FUZZ_RUNS=500 npx jest test/fuzz -w 1` digs deeper. `FUZZ_SEED` replays another sequence.
 */
export const FUZZ = {
  numRuns: Number(process.env.FUZZ_RUNS ?? 20),
  seed: Number(process.env.FUZZ_SEED ?? 17),
  endOnFailure: true,
};

const HEADER = /^(\d+) problems? in the cdktf-ai-platform constructs; fix them all, then synthesize again:$/;
/** `<construct path>: <prop> <value> <problem>; <fix>` on one line; the fuzz stacks are all named 'fuzz'. */
const PROBLEM = /^fuzz(\/.*?)?: \S.*; \S.*$/;
/** An error a factory (`KubernetesVersion.of`, `MigLayout.uniform`) throws on its own argument: `<prop> <value> …; <fix>`. */
const FACTORY = /^[A-Za-z][\w.[\]()' -]*\S.*; \S/;

/** What a build did: refused through the library's problem report, or synthesized stacks. */
export type Outcome = { refused: string[] } | { docs: any[] };

/**
 * Builds the app, synthesizes every stack with validations on, and returns the outcome. Throws (failing the
 * property) when the build or synth crashes any other way than the library's problem report.
 */
export function synthOutcome(build: (app: App) => TerraformStack[]): Outcome {
  let stacks: TerraformStack[];
  try {
    stacks = build(Testing.app());
  } catch (e) {
    return refusal(e, true);
  }
  try {
    return { docs: stacks.map((s) => JSON.parse(Testing.synth(s, true))) };
  } catch (e) {
    return refusal(e, false);
  }
}

function refusal(e: unknown, atBuild: boolean): Outcome {
  const message = e instanceof Error ? e.message : String(e);
  const [header, ...lines] = message.split('\n');
  const m = HEADER.exec(header);
  if (m && lines.length === Number(m[1]) && lines.every((l) => PROBLEM.test(l))) return { refused: lines };
  if (atBuild && e instanceof Error && !(e instanceof TypeError) && message.split('\n').every((l) => FACTORY.test(l)))
    return { refused: message.split('\n') };
  // Where it was thrown: the stack frames after the message.
  const frames =
    e instanceof Error && e.stack
      ? e.stack
          .split('\n')
          .filter((l) => /^\s+at /.test(l))
          .slice(0, 6)
      : [];
  throw new Error(
    `not the library's problem report (${e instanceof Error ? e.constructor.name : typeof e}):\n${message}\n${frames.join('\n')}`,
  );
}

/** The property: refused with the library's messages, or every synthesized stack passes the deployability checks. */
export function assertDeployableOrRefused(build: (app: App) => TerraformStack[]): Verdict {
  const outcome = synthOutcome(build);
  if (process.env.FUZZ_STATS) console.log('refused' in outcome ? `refused: ${outcome.refused.join(' | ')}` : 'synthesized');
  if ('refused' in outcome) return 'refused';
  const bad = outcome.docs.flatMap((d) => deployabilityViolations(d));
  if (bad.length) throw new Error(`synthesized, but would not deploy:\n${bad.join('\n')}`);
  return 'synthesized';
}

/** What one fuzzed input came to. */
export type Verdict = 'refused' | 'synthesized';

/**
 * Runs `property` over `arb` with the suite's seed and run count. A run whose inputs were all refused
 * checked no synthesized stack at all: it fails, so the arbitraries cannot drift into proving nothing.
 */
export function fuzz<T>(arb: fc.Arbitrary<T>, property: (value: T) => Verdict, runs = FUZZ.numRuns): void {
  const seen = new Set<Verdict>();
  fc.assert(
    fc.property(arb, (v) => {
      seen.add(property(v));
    }),
    { ...FUZZ, numRuns: runs },
  );
  if (!seen.has('synthesized'))
    throw new Error(`all ${runs} fuzzed inputs were refused: no synthesized stack was checked; widen the arbitraries or raise FUZZ_RUNS`);
}
