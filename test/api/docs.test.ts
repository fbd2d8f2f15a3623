import * as fs from 'fs';
import * as path from 'path';

// House rule: every optional prop of the public API documents its default. Checked on the source so a new
// prop without `@default` fails CI instead of reaching API.md undocumented.
function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sources(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

test('every optional interface prop in lib/ has an @default', () => {
  const missing: string[] = [];
  for (const file of sources(path.join(__dirname, '../../lib'))) {
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    let inInterface = false;
    lines.forEach((line, i) => {
      if (/^export interface /.test(line)) inInterface = true;
      else if (/^}/.test(line)) inInterface = false;
      const m = /^\s+readonly (\w+)\?:/.exec(line);
      if (!inInterface || !m) return;
      let j = i - 1;
      const doc: string[] = [];
      while (j >= 0 && /^\s*(\/\*\*|\*)/.test(lines[j])) doc.unshift(lines[j--]);
      if (!doc.some((d) => d.includes('@default'))) missing.push(`${path.relative(process.cwd(), file)}:${i + 1} ${m[1]}`);
    });
  }
  expect(missing).toEqual([]);
});
