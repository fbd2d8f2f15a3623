/**
 * Deep-merges `over` onto `base` the way Helm merges values files: maps merge key by key, lists and
 * scalars replace. `null` is kept as `null`, so Helm removes the key from the library's values and from
 * the chart's defaults alike. Keys keep their first-seen order, so output is deterministic.
 */
export function deepMerge(base: { [key: string]: any }, over: { [key: string]: any }): { [key: string]: any } {
  const out: { [key: string]: any } = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (v === null) out[k] = null;
    else if (isMap(v) && isMap(out[k])) out[k] = deepMerge(out[k], v);
    else out[k] = v;
  }
  return out;
}

function isMap(v: unknown): v is { [key: string]: any } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
