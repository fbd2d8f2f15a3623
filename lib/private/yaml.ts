/**
 * A small deterministic YAML writer for Helm values. Values are written as literal YAML (not
 * `yamlencode()`), so reviewers and checks read them in the plan; Terraform tokens stay inside strings.
 */

const PLAIN = /^[A-Za-z_/][A-Za-z0-9_./@-]*$/;
const RESERVED = /^(true|false|yes|no|on|off|null|~|y|n)$/i;

function scalar(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new Error(`cannot write ${v} as YAML`);
    return String(v);
  }
  const s = String(v);
  if (PLAIN.test(s) && !RESERVED.test(s)) return s;
  // Terraform interpolations may hold double quotes (split(":", …)); single quotes keep the YAML valid
  // both before Terraform renders it (for reviewers and checks) and after.
  if (s.includes('${') && !s.includes('\n')) return `'${s.replace(/'/g, "''")}'`;
  return JSON.stringify(s);
}

function key(k: string): string {
  return PLAIN.test(k) && !RESERVED.test(k) ? k : JSON.stringify(k);
}

function isMap(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function block(s: string, indent: string): string {
  // Literal block for multi-line text (embedded config files); keeps them readable in the plan.
  return (
    '|-\n' +
    s
      .split('\n')
      .map((l) => (l.length ? indent + l : ''))
      .join('\n')
  );
}

function emit(v: unknown, indent: string, out: string[], prefix: string): void {
  if (isMap(v)) {
    const keys = Object.keys(v).filter((k) => v[k] !== undefined);
    if (keys.length === 0) {
      out.push(`${prefix}{}`);
      return;
    }
    let first = true;
    for (const k of keys) {
      const lead = first ? prefix : indent;
      first = false;
      const val = v[k];
      if ((isMap(val) && Object.keys(val).some((x) => val[x] !== undefined)) || (Array.isArray(val) && val.length)) {
        out.push(`${lead}${key(k)}:`);
        emit(val, indent + '  ', out, indent + '  ');
      } else if (typeof val === 'string' && val.includes('\n')) {
        out.push(`${lead}${key(k)}: ${block(val, indent + '  ')}`);
      } else {
        out.push(`${lead}${key(k)}: ${isMap(val) ? '{}' : Array.isArray(val) ? '[]' : scalar(val)}`);
      }
    }
    return;
  }
  if (Array.isArray(v)) {
    if (v.length === 0) {
      out.push(`${prefix}[]`);
      return;
    }
    for (const item of v) {
      if (isMap(item) || Array.isArray(item)) {
        const sub: string[] = [];
        emit(item, indent + '  ', sub, `${indent}- `);
        out.push(...sub);
      } else if (typeof item === 'string' && item.includes('\n')) {
        out.push(`${indent}- ${block(item, indent + '  ')}`);
      } else {
        out.push(`${indent}- ${scalar(item)}`);
      }
    }
    return;
  }
  out.push(`${prefix}${scalar(v)}`);
}

/** Renders a plain object as YAML text, keys in insertion order, undefined values left out. */
export function toYaml(value: Record<string, unknown>): string {
  const out: string[] = [];
  emit(value, '', out, '');
  return out.join('\n') + '\n';
}
