import { Document, Scalar, visit } from 'yaml';

/**
 * Deterministic YAML for Helm values and embedded config files, written by the `yaml` library. Values are
 * written as literal YAML (not `yamlencode()`), so reviewers and checks read them in the plan; Terraform
 * tokens stay inside strings.
 *
 * The library decides what is valid; the scalar styles below only keep the output as the plan has always
 * shown it: plain for simple words and paths, single quotes around Terraform interpolations (they may hold
 * double quotes, e.g. split(":", …), and single quotes keep the YAML valid both before Terraform renders it
 * and after), literal blocks for multi-line text (embedded files stay readable), JSON-style double quotes
 * for anything else.
 */

const PLAIN = /^[A-Za-z_/][A-Za-z0-9_./@-]*$/;
/** Words YAML 1.1 readers (Helm's Go YAML among them) take for booleans or null. */
const RESERVED = /^(true|false|yes|no|on|off|null|~|y|n)$/i;

function plain(s: string): boolean {
  return PLAIN.test(s) && !RESERVED.test(s);
}

function valueStyle(s: string): Scalar.Type {
  if (s.includes('\n')) return Scalar.BLOCK_LITERAL;
  if (plain(s)) return Scalar.PLAIN;
  if (s.includes('${')) return Scalar.QUOTE_SINGLE;
  return Scalar.QUOTE_DOUBLE;
}

/** Renders a plain object as YAML text, keys in insertion order, undefined values left out. */
export function toYaml(value: Record<string, unknown>): string {
  // A value used twice is written twice: anchors and aliases would be harder to read and check.
  const doc = new Document(value, { aliasDuplicateObjects: false });
  visit(doc, {
    Scalar(key, node) {
      const v = node.value;
      if (typeof v === 'number' && !Number.isFinite(v)) throw new Error(`cannot write ${v} as YAML`);
      if (Object.is(v, -0)) node.value = 0;
      if (typeof v !== 'string') return;
      node.type = key === 'key' ? (plain(v) ? Scalar.PLAIN : Scalar.QUOTE_DOUBLE) : valueStyle(v);
    },
  });
  return doc.toString({ lineWidth: 0, indent: 2, indentSeq: true, doubleQuotedAsJSON: true });
}
