/**
 * A small structural check of a custom resource against its CRD's openAPIV3Schema: every field must be
 * declared (unless the schema allows unknown fields), required fields present, scalar types and enums
 * respected. Enough to catch a misspelt or misplaced field before an apply does.
 */
export function crdProblems(schema: any, value: any, path = ''): string[] {
  const out: string[] = [];
  if (schema === undefined || schema['x-kubernetes-preserve-unknown-fields']) return out;
  const type = schema.type;
  if (schema['x-kubernetes-int-or-string']) {
    if (typeof value !== 'number' && typeof value !== 'string') out.push(`${path}: ${JSON.stringify(value)} is not an int or string`);
    return out;
  }
  // An object without declared fields (metadata, free-form maps) is checked by the API server itself.
  if (type === 'object' && !schema.properties && schema.additionalProperties === undefined) return out;
  if (type === 'object' || schema.properties) {
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      return [`${path}: expected an object, got ${JSON.stringify(value)}`];
    for (const r of schema.required ?? []) if (value[r] === undefined) out.push(`${path}.${r}: required`);
    for (const [k, v] of Object.entries(value)) {
      const sub = schema.properties?.[k] ?? (typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined);
      if (sub === undefined && schema.additionalProperties !== true) {
        out.push(`${path}.${k}: not a field of the CRD`);
        continue;
      }
      out.push(...crdProblems(sub, v, `${path}.${k}`));
    }
    return out;
  }
  if (type === 'array') {
    if (!Array.isArray(value)) return [`${path}: expected an array`];
    value.forEach((v, i) => out.push(...crdProblems(schema.items, v, `${path}[${i}]`)));
    return out;
  }
  if (type === 'string' && typeof value !== 'string') out.push(`${path}: expected a string, got ${JSON.stringify(value)}`);
  if (type === 'integer' && !Number.isInteger(value)) out.push(`${path}: expected an integer, got ${JSON.stringify(value)}`);
  if (type === 'boolean' && typeof value !== 'boolean') out.push(`${path}: expected a boolean, got ${JSON.stringify(value)}`);
  if (schema.enum && !schema.enum.includes(value)) out.push(`${path}: ${JSON.stringify(value)} is not one of ${schema.enum.join(', ')}`);
  return out;
}
