//! `fnv1a(bytea) RETURNS bigint`: a hash over bytea (FNV-1a, 64 bits).

use extguard_guest::args;

#[no_mangle]
pub extern "C" fn fnv1a(ptr: i32, len: i32) -> i64 {
    // SAFETY: the host passes the bytea argument as (ptr, len).
    let data = unsafe { args::bytes(ptr, len) };
    let mut h: u64 = 0xcbf29ce484222325;
    for b in data {
        h ^= *b as u64;
        h = h.wrapping_mul(0x100000001b3);
    }
    h as i64
}
