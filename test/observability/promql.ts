/**
 * A small PromQL evaluator for the subset the cost rules use, to test them on sample series (promtool is not
 * available here): selectors with =, !=, =~, !~; sum/max/min/avg/count by (...); + - * / with on (...),
 * group_left (...); comparisons (filtering); and, or, unless; vector(); label_replace(); avg_over_time()
 * over stored instants. Semantics follow Prometheus (label matching, name dropping, one-to-one `on` keeping
 * only the matching labels, `or` adding right-hand series whose labels the left lacks).
 */

export type Labels = { [name: string]: string };
export interface Sample {
  readonly labels: Labels;
  readonly value: number;
}

/** Series by evaluation time (seconds); selectors read the instant being evaluated. */
export class Tsdb {
  private readonly instants = new Map<number, Sample[]>();

  public add(t: number, samples: Sample[]): void {
    this.instants.set(t, [...(this.instants.get(t) ?? []), ...samples]);
  }

  public at(t: number): Sample[] {
    return this.instants.get(t) ?? [];
  }

  public times(): number[] {
    return [...this.instants.keys()].sort((a, b) => a - b);
  }
}

type Node =
  | { kind: 'number'; value: number }
  | { kind: 'selector'; name?: string; matchers: [string, string, string][]; range?: number }
  | { kind: 'agg'; op: string; by: string[]; arg: Node }
  | { kind: 'call'; fn: string; args: Node[] }
  | { kind: 'string'; value: string }
  | { kind: 'binary'; op: string; lhs: Node; rhs: Node; on?: string[]; include?: string[] };

const TOKEN = /\s*(?:(\d+(?:\.\d+)?(?:e[+-]?\d+)?)|("(?:[^"\\]|\\.)*")|(=~|!~|!=|==|>=|<=|[-+*/(){}\[\],=<>])|([A-Za-z_:][A-Za-z0-9_:]*))/y;

function tokenize(expr: string): string[] {
  const out: string[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < expr.length) {
    if (/^\s*$/.test(expr.slice(TOKEN.lastIndex))) break;
    const m = TOKEN.exec(expr);
    if (!m) throw new Error(`cannot tokenize at ${expr.slice(TOKEN.lastIndex)}`);
    out.push(m[1] ?? m[2] ?? m[3] ?? m[4]);
  }
  return out;
}

const AGGS = new Set(['sum', 'max', 'min', 'avg', 'count']);
const DURATION: { [unit: string]: number } = { s: 1, m: 60, h: 3600, d: 86400 };

/** Parses the subset into a tree. */
export function parse(expr: string): Node {
  const t = tokenize(expr);
  let i = 0;
  const peek = () => t[i];
  const next = () => t[i++];
  const expect = (s: string) => {
    if (t[i] !== s) throw new Error(`expected ${s} at ${t.slice(i).join(' ')}`);
    i++;
  };
  const labelList = (): string[] => {
    expect('(');
    const l: string[] = [];
    while (peek() !== ')') {
      l.push(next());
      if (peek() === ',') next();
    }
    expect(')');
    return l;
  };
  const matching = (): { on?: string[]; include?: string[] } => {
    const m: { on?: string[]; include?: string[] } = {};
    if (peek() === 'on') {
      next();
      m.on = labelList();
    }
    if (peek() === 'group_left') {
      next();
      m.include = peek() === '(' ? labelList() : [];
    }
    return m;
  };
  const binaryLevel = (ops: string[], lower: () => Node) => (): Node => {
    let lhs = lower();
    while (ops.includes(peek())) {
      const op = next();
      const m = matching();
      lhs = { kind: 'binary', op, lhs, rhs: lower(), ...m };
    }
    return lhs;
  };
  const primary = (): Node => {
    const tok = next();
    if (tok === '(') {
      const e = orLevel();
      expect(')');
      return e;
    }
    if (/^\d/.test(tok)) return { kind: 'number', value: Number(tok) };
    if (tok.startsWith('"')) return { kind: 'string', value: JSON.parse(tok) };
    if (AGGS.has(tok) && (peek() === '(' || peek() === 'by')) {
      const by = peek() === 'by' ? (next(), labelList()) : [];
      expect('(');
      const arg = orLevel();
      expect(')');
      return { kind: 'agg', op: tok, by, arg };
    }
    if (peek() === '(') {
      next();
      const args: Node[] = [];
      while (peek() !== ')') {
        args.push(orLevel());
        if (peek() === ',') next();
      }
      expect(')');
      return { kind: 'call', fn: tok, args };
    }
    const sel: Node & { kind: 'selector' } = { kind: 'selector', name: tok, matchers: [] };
    if (peek() === '{') {
      next();
      while (peek() !== '}') {
        const label = next();
        const op = next();
        sel.matchers.push([label, op, JSON.parse(next())]);
        if (peek() === ',') next();
      }
      expect('}');
    }
    if (peek() === '[') {
      next();
      const d = /^(\d+)([smhd])$/.exec(`${next()}${next()}`)!;
      sel.range = Number(d[1]) * DURATION[d[2]];
      expect(']');
    }
    return sel;
  };
  const mulLevel = binaryLevel(['*', '/'], primary);
  const addLevel = binaryLevel(['+', '-'], mulLevel);
  const cmpLevel = binaryLevel(['>', '<', '==', '>=', '<='], addLevel);
  const andLevel = binaryLevel(['and', 'unless'], cmpLevel);
  const orLevel = binaryLevel(['or'], andLevel);
  const tree = orLevel();
  if (i !== t.length) throw new Error(`unparsed: ${t.slice(i).join(' ')}`);
  return tree;
}

type Value = number | Sample[];

const withoutName = (l: Labels): Labels => Object.fromEntries(Object.entries(l).filter(([k]) => k !== '__name__'));
const key = (l: Labels, names?: string[]) =>
  JSON.stringify(
    Object.entries(names ? Object.fromEntries(names.map((n) => [n, l[n] ?? ''])) : withoutName(l))
      .filter(([, v]) => v !== '')
      .sort(),
  );

function matches(l: Labels, [label, op, v]: [string, string, string]): boolean {
  const actual = l[label] ?? '';
  switch (op) {
    case '=':
      return actual === v;
    case '!=':
      return actual !== v;
    case '=~':
      return new RegExp(`^(?:${v})$`).test(actual);
    case '!~':
      return !new RegExp(`^(?:${v})$`).test(actual);
  }
  throw new Error(`matcher ${op}`);
}

const ARITH: { [op: string]: (a: number, b: number) => number } = {
  '*': (a, b) => a * b,
  '/': (a, b) => a / b,
  '+': (a, b) => a + b,
  '-': (a, b) => a - b,
};
const CMP: { [op: string]: (a: number, b: number) => boolean } = {
  '>': (a, b) => a > b,
  '<': (a, b) => a < b,
  '==': (a, b) => a === b,
  '>=': (a, b) => a >= b,
  '<=': (a, b) => a <= b,
};

/** Evaluates `expr` at time `t`. */
export function evaluate(expr: string | Node, db: Tsdb, t: number): Value {
  const node = typeof expr === 'string' ? parse(expr) : expr;
  switch (node.kind) {
    case 'number':
      return node.value;
    case 'string':
      throw new Error('a string is not a value');
    case 'selector':
      if (node.range !== undefined) throw new Error('a range vector needs a function');
      return db
        .at(t)
        .filter((s) => (node.name === undefined || s.labels.__name__ === node.name) && node.matchers.every((m) => matches(s.labels, m)));
    case 'agg': {
      const v = evaluate(node.arg, db, t) as Sample[];
      const groups = new Map<string, { labels: Labels; values: number[] }>();
      for (const s of v) {
        const labels = Object.fromEntries(node.by.filter((b) => (s.labels[b] ?? '') !== '').map((b) => [b, s.labels[b]]));
        const k = key(labels);
        groups.set(k, { labels, values: [...(groups.get(k)?.values ?? []), s.value] });
      }
      const f: { [op: string]: (x: number[]) => number } = {
        sum: (x) => x.reduce((a, b) => a + b, 0),
        max: (x) => Math.max(...x),
        min: (x) => Math.min(...x),
        avg: (x) => x.reduce((a, b) => a + b, 0) / x.length,
        count: (x) => x.length,
      };
      return [...groups.values()].map((g) => ({ labels: g.labels, value: f[node.op](g.values) }));
    }
    case 'call': {
      if (node.fn === 'vector') return [{ labels: {}, value: evaluate(node.args[0], db, t) as number }];
      if (node.fn === 'label_replace') {
        const [v, dst, repl, src, regex] = node.args;
        const str = (n: Node) => (n as { value: string }).value;
        const re = new RegExp(`^(?:${str(regex)})$`);
        return (evaluate(v, db, t) as Sample[]).map((s) => {
          const m = re.exec(s.labels[str(src)] ?? '');
          if (!m) return s;
          const value = str(repl).replace(/\$(\d)/g, (_x, d) => m[Number(d)] ?? '');
          const labels = { ...s.labels, [str(dst)]: value };
          if (value === '') delete labels[str(dst)];
          return { labels, value: s.value };
        });
      }
      if (node.fn === 'avg_over_time') {
        const sel = node.args[0] as Node & { kind: 'selector' };
        const inner: Node = { ...sel, range: undefined };
        const acc = new Map<string, { labels: Labels; values: number[] }>();
        for (const at of db.times().filter((x) => x > t - sel.range! && x <= t)) {
          for (const s of evaluate(inner, db, at) as Sample[]) {
            const labels = withoutName(s.labels);
            const k = key(labels);
            acc.set(k, { labels, values: [...(acc.get(k)?.values ?? []), s.value] });
          }
        }
        return [...acc.values()].map((a) => ({ labels: a.labels, value: a.values.reduce((x, y) => x + y, 0) / a.values.length }));
      }
      throw new Error(`function ${node.fn} is not in the subset`);
    }
    case 'binary': {
      const l = evaluate(node.lhs, db, t);
      const r = evaluate(node.rhs, db, t);
      if (typeof l === 'number' && typeof r === 'number') return ARITH[node.op](l, r);
      if (typeof l === 'number' || typeof r === 'number') {
        const [vec, num, numLeft] = typeof l === 'number' ? [r as Sample[], l, true] : [l as Sample[], r as number, false];
        if (CMP[node.op]) return vec.filter((s) => (numLeft ? CMP[node.op](num, s.value) : CMP[node.op](s.value, num)));
        return vec.map((s) => ({
          labels: withoutName(s.labels),
          value: numLeft ? ARITH[node.op](num, s.value) : ARITH[node.op](s.value, num),
        }));
      }
      const sig = (s: Sample) => key(s.labels, node.on);
      if (node.op === 'and') return l.filter((s) => r.some((x) => sig(x) === sig(s)));
      if (node.op === 'unless') return l.filter((s) => !r.some((x) => sig(x) === sig(s)));
      if (node.op === 'or') {
        const left = new Set(l.map(sig));
        return [...l, ...r.filter((s) => !left.has(sig(s)))];
      }
      const right = new Map<string, Sample>();
      for (const s of r) {
        if (right.has(sig(s))) throw new Error(`many-to-many matching on ${sig(s)}`);
        right.set(sig(s), s);
      }
      const out: Sample[] = [];
      const seen = new Set<string>();
      for (const s of l) {
        const m = right.get(sig(s));
        if (!m) continue;
        if (CMP[node.op]) {
          if (CMP[node.op](s.value, m.value)) out.push(s);
          continue;
        }
        let labels = withoutName(s.labels);
        if (node.include === undefined) {
          if (seen.has(sig(s))) throw new Error(`one-to-one matching found several left series for ${sig(s)}; use group_left`);
          seen.add(sig(s));
          if (node.on) labels = Object.fromEntries(Object.entries(labels).filter(([k]) => node.on!.includes(k)));
        } else {
          for (const inc of node.include) {
            if ((m.labels[inc] ?? '') !== '') labels[inc] = m.labels[inc];
            else delete labels[inc];
          }
        }
        out.push({ labels, value: ARITH[node.op](s.value, m.value) });
      }
      return out;
    }
  }
}

/** Evaluates recording rules in order at `t`, storing each result under its name with its labels. */
export function evaluateRules(rules: { record: string; expr: string; labels?: Labels }[], db: Tsdb, t: number): void {
  for (const r of rules) {
    const v = evaluate(r.expr, db, t);
    const samples = (typeof v === 'number' ? [{ labels: {}, value: v }] : v).map((s) => ({
      labels: { ...withoutName(s.labels), ...(r.labels ?? {}), __name__: r.record },
      value: s.value,
    }));
    db.add(t, samples);
  }
}
