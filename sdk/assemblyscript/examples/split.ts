// split(text, text) RETURNS SETOF text: the parts of the first argument
// between occurrences of the separator (the second argument; ',' when
// empty). A set is the flat encoding of a text[]: each row a u32 length
// and its UTF-8 bytes.
import { Buffer, Result, fixedArg, fixedNullableArg, textArg, textsArg } from "../assembly/index";
export { alloc, reset, extguard_abi_4 } from "../assembly/index";

export function split(ptr: usize, len: i32, sepPtr: usize, sepLen: i32): Result {
  const sep = sepLen > 0 ? textArg(sepPtr, sepLen) : ",";
  const parts = textArg(ptr, len).split(sep);
  const rows = new Buffer();
  for (let i = 0; i < parts.length; i++) rows.putElem(parts[i]);
  return rows.result();
}

// top_n(int[], int) RETURNS int[]: the n largest elements, largest first
// (an array in, an array out: fixed-width elements back to back).
export function top_n(ptr: usize, len: i32, n: i32): Result {
  const xs = fixedArg<i32>(ptr, len);
  xs.sort((a: i32, b: i32): i32 => (a > b ? -1 : a < b ? 1 : 0));
  const out = new Buffer();
  for (let i = 0; i < xs.length && i < n; i++) out.putValue<i32>(xs[i]);
  return out.result();
}

// nullify(text[], text) RETURNS text[]: elements equal to the second
// argument become NULL (NULL elements in and out: ABI version 4).
export function nullify(ptr: usize, len: i32, wPtr: usize, wLen: i32): Result {
  const xs = textsArg(ptr, len);
  const w = textArg(wPtr, wLen);
  const out = new Buffer();
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i];
    if (x === null || x == w) out.putNull();
    else out.putElem(x);
  }
  return out.resultNullable();
}

// fill_nulls(int[], int) RETURNS int[]: NULL elements replaced by the
// second argument; the result keeps the nullable form when it came in it.
export function fill_nulls(ptr: usize, len: i32, fill: i32): Result {
  const xs = fixedNullableArg<i32>(ptr, len);
  const out = new Buffer();
  for (let i = 0; i < xs.values.length; i++) {
    out.putNullableValue<i32>(xs.nulls[i] ? fill : xs.values[i]);
  }
  return out.resultNullable();
}
