// kv_to_json(text) RETURNS jsonb: parses "a=1; b = two" into
// {"a": "1", "b": "two"} (keys and values trimmed, items without '='
// skipped); NULL for NULL input (non-strict: the trailing NULL mask).
import { Buffer, NULL, Result, isNull, textArg } from "../assembly/index";
export { alloc, reset, extguard_abi_4 } from "../assembly/index";

function trim(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && isSpace(s.charCodeAt(a))) a++;
  while (b > a && isSpace(s.charCodeAt(b - 1))) b--;
  return s.substring(a, b);
}

function isSpace(c: i32): bool {
  return c == 0x20 || c == 0x09 || c == 0x0a;
}

export function kv_to_json(ptr: usize, len: i32, nulls: i64): Result {
  if (isNull(nulls, 0)) return NULL;
  const items = textArg(ptr, len).split(";");
  const out = new Buffer().put("{");
  let first = true;
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    const eq = item.indexOf("=");
    if (eq < 0) continue;
    if (!first) out.put(",");
    first = false;
    out.putJsonString(trim(item.substring(0, eq)));
    out.put(":");
    out.putJsonString(trim(item.substring(eq + 1)));
  }
  return out.put("}").result();
}

// pairs(text) RETURNS TABLE (k text, v text): one row per item of
// "a=1;b;c=" (version 3's rows: each a JSON object, column name to value;
// a left-out column is NULL), as a set: the flat encoding of a text[].
export function pairs(ptr: usize, len: i32): Result {
  const items = textArg(ptr, len).split(";");
  const rows = new Buffer();
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    if (item.length == 0) continue;
    const eq = item.indexOf("=");
    const row = new Buffer().put('{"k":');
    row.putJsonString(eq < 0 ? item : item.substring(0, eq));
    if (eq >= 0) row.put(',"v":').putJsonString(item.substring(eq + 1));
    rows.putElem(row.put("}").toString());
  }
  return rows.result();
}
