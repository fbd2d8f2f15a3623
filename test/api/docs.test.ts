import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as ts from 'typescript';

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

// README snippets: each one is built and synthesized inside its rosetta fixture (`rosetta/<name>.ts-fixture`,
// chosen with ```ts fixture=<name>; `nofixture` for a whole program), the way jsii-rosetta compiles it, so a
// snippet the library would refuse at synth (a model that does not fit, an image that cannot read its store,
// a provider block a data service rejects) fails here instead of in a newcomer's first hour. Type errors are
// jsii-rosetta's part (`npm run rosetta`); this test runs the code.
interface Snippet {
  readonly line: number;
  readonly fixture?: string;
  readonly source: string;
}

const root = path.join(__dirname, '../..');

function readmeSnippets(): Snippet[] {
  const found: Snippet[] = [];
  const fence = /^( *)```(?:ts|typescript)\b([^\n]*)\n([\s\S]*?)^\1```/gm;
  const text = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
  for (let m = fence.exec(text); m; m = fence.exec(text)) {
    const params = m[2].trim().split(/\s+/);
    const fixture = params.includes('nofixture')
      ? undefined
      : (params.find((p) => p.startsWith('fixture='))?.slice('fixture='.length) ?? 'default');
    const indent = m[1].length;
    const source = m[3]
      .split('\n')
      .map((l) => l.slice(indent))
      .join('\n');
    found.push({ line: text.slice(0, m.index).split('\n').length, fixture, source });
  }
  return found;
}

/** The snippet inside its fixture, imports hoisted above it (what jsii-rosetta compiles). */
function withFixture(snippet: Snippet): string {
  if (!snippet.fixture) return snippet.source;
  const fixture = fs.readFileSync(path.join(root, 'rosetta', `${snippet.fixture}.ts-fixture`), 'utf8');
  const file = ts.createSourceFile('snippet.ts', snippet.source, ts.ScriptTarget.ES2020, true);
  const imports = file.statements.filter(ts.isImportDeclaration).map((s) => s.getFullText());
  const body = file.statements.filter((s) => !ts.isImportDeclaration(s)).map((s) => s.getFullText());
  // A fragment that is not a statement list (an object-literal property) is kept as written.
  const statements = imports.length ? body.join('') : snippet.source;
  expect(fixture).toMatch(/\/\/\/ here/);
  return imports.join('') + '\n' + fixture.replace(/\/\/\/ here[^\n]*/, () => statements);
}

/** Transpiles and runs the program: it ends with `app.synth()`, into a temporary outdir. */
function synthesize(program: string): string {
  const js = ts.transpileModule(program, {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2020 },
    reportDiagnostics: false,
  }).outputText;
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'readme-'));
  const saved = process.env.CDKTF_OUTDIR;
  process.env.CDKTF_OUTDIR = outdir;
  try {
    // jest's require, so the snippet shares this test's cdktf and constructs modules with the library.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const load = (id: string): unknown => (id === 'cdktf-ai-platform' ? require('../../lib') : require(id));
    new Function('require', 'exports', 'module', js)(load, {}, { exports: {} });
    return outdir;
  } finally {
    if (saved === undefined) delete process.env.CDKTF_OUTDIR;
    else process.env.CDKTF_OUTDIR = saved;
  }
}

describe('README snippets synthesize inside their fixtures', () => {
  const snippets = readmeSnippets();

  test('the README has its TypeScript snippets', () => {
    expect(snippets.length).toBeGreaterThanOrEqual(13);
  });

  test.each(snippets.map((s) => [`README.md:${s.line} (${s.fixture ?? 'nofixture'})`, s] as const))('%s', (_name, snippet) => {
    const outdir = synthesize(withFixture(snippet));
    try {
      expect(fs.readdirSync(path.join(outdir, 'stacks')).length).toBeGreaterThan(0);
    } finally {
      fs.rmSync(outdir, { recursive: true, force: true });
    }
  });
});
