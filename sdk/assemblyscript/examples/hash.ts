// fnv1a(bytea) RETURNS bigint: FNV-1a 64-bit over the bytes, read in place.
export { alloc, reset, extguard_abi_4 } from "../assembly/index";

export function fnv1a(ptr: usize, len: i32): i64 {
  let h: u64 = 0xcbf29ce484222325;
  for (let i = 0; i < len; i++) {
    h ^= <u64>load<u8>(ptr + <usize>i);
    h *= 0x100000001b3;
  }
  return <i64>h;
}
