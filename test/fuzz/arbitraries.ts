import fc from 'fast-check';

/** Mostly `valid`, sometimes `bad`: a build with few mistakes gets past validation often enough to be checked. */
export function mostly<T>(valid: fc.Arbitrary<T>, bad: fc.Arbitrary<T>, badWeight = 1): fc.Arbitrary<T> {
  return fc.oneof({ weight: 20, arbitrary: valid }, { weight: badWeight, arbitrary: bad });
}

/** Strings users plausibly type where a name goes, plus the hostile ones: empty, long, odd characters. */
export const TRICKY = [
  '',
  ' ',
  '-',
  'a',
  'A',
  'UPPER',
  'with space',
  'dot.ted',
  'under_score',
  'trailing-',
  '-leading',
  '0digit',
  'x'.repeat(13),
  'y'.repeat(25),
  'z'.repeat(64),
  'w'.repeat(300),
  'slash/name',
  'aws:reserved',
  'kube-system',
  'default',
  'system',
  'ümlaut',
  'tab\there',
  'new\nline',
  "quo'te",
  'percent%',
  'q?',
  '${var.x}',
  '%{if}',
];

/** A name-like string: mostly plausible lower-case names, often one of TRICKY, sometimes arbitrary text. */
export function nameLike(maxLength = 30): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 40, arbitrary: fc.stringMatching(new RegExp(`^[a-z][a-z0-9]{0,${Math.max(0, maxLength - 1)}}$`)) },
    { weight: 2, arbitrary: fc.constantFrom(...TRICKY) },
    { weight: 1, arbitrary: fc.string({ maxLength: maxLength * 2 }) },
  );
}

/** Label keys: plain, prefixed, reserved prefixes and broken ones. */
export const labelKey = fc.oneof(
  fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/),
  fc.stringMatching(/^[a-z]{1,8}\.[a-z]{2,4}\/[a-z][a-z0-9-]{0,10}$/),
  fc.constantFrom(
    'ai-platform.dev/pool',
    'nvidia.com/mig.config',
    'kubernetes.io/role',
    'node-role.kubernetes.io/gpu',
    'node.kubernetes.io/lifecycle',
    'kubernetes.azure.com/mode',
    'team',
    'a/b/c',
    '/x',
    'x/',
    'Upper/Case',
  ),
  fc.constantFrom(...TRICKY),
);

/** Label values. */
export const labelValue = fc.oneof(fc.stringMatching(/^[a-z0-9]{1,10}$/), fc.constantFrom(...TRICKY));

/** A small map of labels. */
export const labels = fc.dictionary(
  mostly(fc.stringMatching(/^[a-z][a-z0-9-]{0,10}[a-z0-9]$/), labelKey, 3),
  mostly(fc.stringMatching(/^[a-z0-9]{1,10}$/), labelValue, 2),
  { maxKeys: 2 },
);

/** Tag keys and values for either cloud. */
export const tags = fc.option(
  fc.dictionary(
    mostly(fc.stringMatching(/^[a-z][a-z0-9-]{0,15}$/), fc.constantFrom(...TRICKY, 'k8s.io/cluster', 'Name', 'aws:x'), 2),
    mostly(fc.stringMatching(/^[a-z0-9 .-]{0,20}$/), fc.constantFrom(...TRICKY, 'a&b', 'ü'), 2),
    { maxKeys: 3 },
  ),
  { nil: undefined },
);

/** Counts: mostly small integers, sometimes negative, fractional, huge or not finite. */
export function count(max = 10, min = 0): fc.Arbitrary<number> {
  return mostly(fc.integer({ min, max }), fc.constantFrom(-1, 0, 0.5, 1.5, 1001, 100000, NaN, Infinity));
}
