// extguard-guest: AssemblyScript SDK for extguard's LANGUAGE wasm
// (sandbox/ABI.md, version 4). Build with the stub runtime and no abort
// import (see asconfig.json):
//
//   asc m.ts --config asconfig.json -o m.wasm
//
// The entry file re-exports the ABI exports:
//
//   export { alloc, reset, extguard_abi_4 } from "extguard-guest";

// ---- ABI exports --------------------------------------------------------

/** Declares ABI version 4 (never called). */
export function extguard_abi_4(): void {}

/** The host's allocator: the stub runtime's bump allocator. */
export function alloc(len: i32): usize {
  if (len < 0) unreachable();
  return heap.alloc(<usize>len);
}

// Where the stub runtime's heap starts (its `startOffset`: the first
// block header, placed so that the block's payload is 16-byte aligned).
// @ts-ignore: decorator
@inline function heapStart(): usize {
  return ((__heap_base + 4 + 15) & ~15) - 4;
}

// The top of the heap at the first `reset`: what the start function (the
// module's top-level statements: `const SQL = "a" + "b"`, a `new Map()`)
// left there, kept across calls. 0 until the first `reset`.
let keep: usize = 0;

/** Called by the host at the start of each call that passes or returns
 * data through memory: everything allocated since the first such call is
 * given back (a bump allocator starting over), so no object made during a
 * call may be kept (in a global) for the next one. What the module's
 * top-level statements allocated stays. */
export function reset(): void {
  if (keep == 0) {
    // A zero-sized block at the top: its payload pointer ends the kept part.
    keep = heap.alloc(0);
    return;
  }
  // Start over, then cover the kept part with one block (its size is a
  // multiple of 16 less 4, as the stub's blocks are), restoring the size
  // field of the first kept object that the new block's header overwrote.
  const start = heapStart();
  if (keep - 4 == start) {
    heap.reset(); // nothing to keep
    return;
  }
  const first = load<usize>(start);
  heap.reset();
  heap.alloc(keep - 4 - (start + 4));
  store<usize>(start, first);
}

/** Stops the call with a trap (PostgreSQL error 38000). The compiler's
 * own `abort` (failed assertions, array index out of range, allocation too
 * large) becomes a trap too: `--use abort=` in asconfig.json, so the
 * module imports nothing it is not allowed to. */
export function fail(): void {
  unreachable();
}

// ---- results ------------------------------------------------------------

/** A result passed through memory: `(ptr << 32) | len`. */
export type Result = i64;

/** SQL NULL as a text-like, array or row result; no rows for a set. */
export const NULL: Result = -1;

/** Packs a pointer and a byte length into a result. */
// @ts-ignore: decorator
@inline export function pack(ptr: usize, len: u32): Result {
  return <i64>((<u64>ptr << 32) | <u64>len);
}

/** A text (or jsonb, numeric) result: the string as UTF-8. */
export function text(s: string): Result {
  const buf = String.UTF8.encode(s);
  return pack(changetype<usize>(buf), <u32>buf.byteLength);
}

/** A bytea result. */
export function bytes(b: Uint8Array): Result {
  return pack(b.dataStart, <u32>b.byteLength);
}

/** True when argument `i` (from 0) is NULL in the trailing NULL mask of a
 * non-strict function. */
// @ts-ignore: decorator
@inline export function isNull(mask: i64, i: i32): bool {
  return ((mask >>> i) & 1) != 0;
}

// ---- arguments ----------------------------------------------------------

/** A text, jsonb or numeric argument as a string. */
export function textArg(ptr: usize, len: i32): string {
  return String.UTF8.decodeUnsafe(ptr, <usize>len);
}

/** A bytea argument, copied into a Uint8Array. */
export function bytesArg(ptr: usize, len: i32): Uint8Array {
  const out = new Uint8Array(len);
  memory.copy(out.dataStart, ptr, <usize>len);
  return out;
}

/** True when an array argument's length flags the nullable form
 * (version 4: the array holds NULL elements). */
// @ts-ignore: decorator
@inline export function hasNulls(len: i32): bool {
  return len < 0;
}

/** Walks the length-prefixed elements of an array argument (text-like
 * arrays, and every array in the nullable form): after each `next()`,
 * `at` is where the element's bytes start and `len` their count, or
 * `len == NULL_ELEM` for a NULL element. A length running past the end
 * traps. */
export class Elements {
  at: usize;
  len: u32 = 0;
  private end: usize;

  constructor(ptr: usize, len: i32) {
    this.at = ptr;
    this.end = ptr + <usize>(len & 0x7fffffff);
  }

  next(): bool {
    let p = this.at;
    if (this.len != NULL_ELEM) p += <usize>this.len;
    if (p >= this.end) return false;
    if (this.end - p < 4) unreachable();
    const n = load<u32>(p);
    p += 4;
    if (n != NULL_ELEM && <usize>n > this.end - p) unreachable();
    this.at = p;
    this.len = n;
    return true;
  }
}

/** The length of a NULL element in the nullable form. */
export const NULL_ELEM: u32 = 0xffffffff;

/** The elements of a text[], bytea[], jsonb[] or numeric[] argument as
 * UTF-8 strings, NULL elements as null (either form). */
export function textsArg(ptr: usize, len: i32): Array<string | null> {
  const out = new Array<string | null>();
  const e = new Elements(ptr, len);
  while (e.next()) {
    out.push(e.len == NULL_ELEM ? null : String.UTF8.decodeUnsafe(e.at, <usize>e.len));
  }
  return out;
}

/** The elements of a fixed-width array argument (`T` is i16, i32, i64,
 * f32, f64 or bool): the plain form only; an array with NULL elements
 * (the nullable form) traps, use `fixedNullableArg` for those. */
export function fixedArg<T>(ptr: usize, len: i32): Array<T> {
  if (len < 0) unreachable();
  const w = <usize>sizeof<T>();
  const n = <i32>(<usize>len / w);
  const out = new Array<T>(n);
  for (let i = 0; i < n; i++) out[i] = load<T>(ptr + <usize>i * w);
  return out;
}

/** A fixed-width array that may hold NULL elements: the values (0 where
 * NULL) and a parallel array of NULL flags. */
export class Nullable<T> {
  values: Array<T> = new Array<T>();
  nulls: Array<bool> = new Array<bool>();
}

/** The elements of a fixed-width array argument in either form. */
export function fixedNullableArg<T>(ptr: usize, len: i32): Nullable<T> {
  const out = new Nullable<T>();
  if (len >= 0) {
    out.values = fixedArg<T>(ptr, len);
    for (let i = 0; i < out.values.length; i++) out.nulls.push(false);
    return out;
  }
  const e = new Elements(ptr, len);
  while (e.next()) {
    const isNull = e.len == NULL_ELEM;
    if (!isNull && e.len != <u32>sizeof<T>()) unreachable();
    out.values.push(isNull ? <T>0 : load<T>(e.at));
    out.nulls.push(isNull);
  }
  return out;
}

// ---- building results: arrays, sets, rows -------------------------------

/** A growable byte buffer for array results, sets (the flat encoding of a
 * `t[]`), JSON rows and SPI parameters. */
export class Buffer {
  private data: usize = 0;
  private cap: usize = 0;
  length: usize = 0;

  private reserve(more: usize): usize {
    const need = this.length + more;
    if (need > this.cap) {
      let cap = this.cap < 64 ? <usize>64 : this.cap;
      while (cap < need) cap <<= 1;
      const next = heap.alloc(cap);
      if (this.length) memory.copy(next, this.data, this.length);
      this.data = next;
      this.cap = cap;
    }
    const at = this.data + this.length;
    this.length = need;
    return at;
  }

  /** Raw bytes from memory. */
  putRaw(ptr: usize, len: usize): Buffer {
    memory.copy(this.reserve(len), ptr, len);
    return this;
  }

  /** A string as UTF-8 (no length prefix). */
  put(s: string): Buffer {
    const n = <usize>String.UTF8.byteLength(s);
    String.UTF8.encodeUnsafe(changetype<usize>(s), s.length, this.reserve(n));
    return this;
  }

  /** One fixed-width value, little-endian (an element of an integer,
   * float or boolean array result). */
  putValue<T>(v: T): Buffer {
    store<T>(this.reserve(sizeof<T>()), v);
    return this;
  }

  /** One element of a text-like array or set (a row of a set of rows):
   * its UTF-8 byte length as u32, then the bytes. */
  putElem(s: string): Buffer {
    const n = <usize>String.UTF8.byteLength(s);
    store<u32>(this.reserve(4), <u32>n);
    String.UTF8.encodeUnsafe(changetype<usize>(s), s.length, this.reserve(n));
    return this;
  }

  /** One bytea element. */
  putBytesElem(b: Uint8Array): Buffer {
    store<u32>(this.reserve(4), <u32>b.byteLength);
    return this.putRaw(b.dataStart, <usize>b.byteLength);
  }

  /** One fixed-width element in the nullable form (version 4). */
  putNullableValue<T>(v: T): Buffer {
    store<u32>(this.reserve(4), <u32>sizeof<T>());
    return this.putValue<T>(v);
  }

  /** A NULL element in the nullable form (version 4): return the buffer
   * with `resultNullable()`. */
  putNull(): Buffer {
    store<u32>(this.reserve(4), NULL_ELEM);
    return this;
  }

  /** A JSON string literal (quotes, escapes) for rows and SPI parameters. */
  putJsonString(s: string): Buffer {
    this.put('"');
    let from = 0;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c != 0x22 && c != 0x5c && c >= 0x20) continue;
      this.put(s.substring(from, i));
      from = i + 1;
      if (c == 0x22) this.put('\\"');
      else if (c == 0x5c) this.put("\\\\");
      else {
        this.put("\\u00");
        this.put(HEX.charAt(c >> 4));
        this.put(HEX.charAt(c & 15));
      }
    }
    this.put(s.substring(from));
    return this.put('"');
  }

  /** The buffer as a result (text, array, set). */
  result(): Result {
    return pack(this.data, <u32>this.length);
  }

  /** The buffer as an array or set result in the nullable form. */
  resultNullable(): Result {
    return pack(this.data, <u32>this.length | 0x80000000);
  }

  /** Where the bytes start (0 while empty). */
  pointer(): usize {
    return this.data;
  }

  /** The bytes as a string (UTF-8). */
  toString(): string {
    return String.UTF8.decodeUnsafe(this.data, this.length);
  }
}

const HEX = "0123456789abcdef";

/** A JSON string literal for `s`. */
export function jsonString(s: string): string {
  return new Buffer().putJsonString(s).toString();
}

// ---- SPI ----------------------------------------------------------------

// @ts-ignore: decorator
@external("extguard", "spi_query")
declare function spi_query(sql: usize, sqlLen: u32, params: usize, paramsLen: u32): i64;

// @ts-ignore: decorator
@external("extguard", "spi_exec")
declare function spi_exec(sql: usize, sqlLen: u32, params: usize, paramsLen: u32): i64;

/** What a query gave: the rows as JSON text (`[{"col": "value"}]`), or on
 * failure `SQLSTATE: message` with `ok` false. */
export class SpiResult {
  constructor(public ok: bool, public text: string) {}
}

function spiResult(r: i64): SpiResult {
  const ok = r >= 0;
  const ptr = <usize>((<u64>r >>> 32) & 0x7fffffff);
  const len = <usize>(<u64>r & 0xffffffff);
  return new SpiResult(ok, String.UTF8.decodeUnsafe(ptr, len));
}

/** A read-only query as the function's role (`extguard.spi_query`):
 * parameters `$1`, `$2`, ... are text (cast them in the query). Using it
 * adds the import, the module's declaration that it queries. */
export function spiQuery(sql: string, params: Array<string> = []): SpiResult {
  const p = new Buffer();
  for (let i = 0; i < params.length; i++) p.putElem(params[i]);
  const s = String.UTF8.encode(sql);
  return spiResult(
    spi_query(changetype<usize>(s), <u32>s.byteLength, p.pointer(), <u32>p.length),
  );
}

/** Typed SPI (`extguard.spi_exec`): `paramsJson` is a JSON array typed by
 * its values (`[42, "x", true, null]`); rows keep their types. */
export function spiExec(sql: string, paramsJson: string = "[]"): SpiResult {
  const s = String.UTF8.encode(sql);
  const p = String.UTF8.encode(paramsJson);
  return spiResult(
    spi_exec(changetype<usize>(s), <u32>s.byteLength, changetype<usize>(p), <u32>p.byteLength),
  );
}
