// Evaluates CEL expressions with @marcbachmann/cel-js (an ES module, so outside Jest's CommonJS runtime).
// stdin: [{ expression, vars }]; stdout: [{ value } | { error }], one per input.
import { evaluate } from '@marcbachmann/cel-js';

let input = '';
process.stdin.on('data', (d) => (input += d));
process.stdin.on('end', () => {
  const out = JSON.parse(input).map(({ expression, vars }) => {
    try {
      const value = evaluate(expression, vars);
      return { value: typeof value === 'bigint' ? Number(value) : value };
    } catch (e) {
      return { error: String(e && e.message ? e.message : e) };
    }
  });
  process.stdout.write(JSON.stringify(out));
});
