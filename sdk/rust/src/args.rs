//! Reading arguments: text-like values and arrays arrive as a pointer and
//! a length into this module's memory (ABI.md).

/// The bytes of a `bytea` argument (or any value through memory).
///
/// # Safety
/// `(ptr, len)` must be an argument the host passed to this call.
pub unsafe fn bytes<'a>(ptr: i32, len: i32) -> &'a [u8] {
    if len == 0 {
        return &[];
    }
    // SAFETY: per the caller, the host copied `len` bytes to `ptr`.
    unsafe { std::slice::from_raw_parts(ptr as u32 as usize as *const u8, len as u32 as usize) }
}

/// A `text`, `varchar`, `char`, `jsonb` (its JSON text) or `numeric` (its
/// decimal text) argument: the host passes UTF-8.
///
/// # Safety
/// As [`bytes`].
pub unsafe fn text<'a>(ptr: i32, len: i32) -> &'a str {
    // SAFETY: per the caller; the host checks the text is UTF-8.
    let b = unsafe { bytes(ptr, len) };
    std::str::from_utf8(b).unwrap_or_default()
}

/// Element types of fixed-width arrays: `smallint[]` (i16), `integer[]`
/// (i32), `bigint[]` (i64), `real[]` (f32), `double precision[]` (f64).
pub trait Fixed: Copy + 'static {}
impl Fixed for i16 {}
impl Fixed for i32 {}
impl Fixed for i64 {}
impl Fixed for f32 {}
impl Fixed for f64 {}

/// A fixed-width array argument as a slice (the host places it where
/// this crate's `alloc` says: 8-byte aligned).
///
/// # Safety
/// `(ptr, len)` must be an array argument of element type `T`.
pub unsafe fn array<'a, T: Fixed>(ptr: i32, len: i32) -> &'a [T] {
    let n = len as u32 as usize / std::mem::size_of::<T>();
    if n == 0 {
        return &[];
    }
    // SAFETY: per the caller: `n` little-endian elements, aligned.
    unsafe { std::slice::from_raw_parts(ptr as u32 as usize as *const T, n) }
}

/// The elements of a `text[]`, `bytea[]`, `jsonb[]` or `numeric[]`
/// argument (each a `u32` length and the bytes).
///
/// # Safety
/// As [`bytes`].
pub unsafe fn elems<'a>(ptr: i32, len: i32) -> Elems<'a> {
    // SAFETY: per the caller.
    Elems(unsafe { bytes(ptr, len) })
}

/// Iterator over length-prefixed elements.
#[derive(Debug, Clone)]
pub struct Elems<'a>(&'a [u8]);

impl<'a> Elems<'a> {
    /// Elements of an encoding in memory this module owns.
    pub fn of(encoded: &'a [u8]) -> Self {
        Elems(encoded)
    }
}

impl<'a> Iterator for Elems<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        let (len, rest) = self.0.split_first_chunk::<4>()?;
        let len = (u32::from_le_bytes(*len) as usize).min(rest.len());
        let (item, rest) = rest.split_at(len);
        self.0 = rest;
        Some(item)
    }
}

/// True when bit `i` of a NULL mask (the trailing `i64` of a non-strict
/// function) is set: argument `i` (from 0) is NULL.
pub fn is_null(mask: i64, i: u32) -> bool {
    (mask as u64 >> i) & 1 == 1
}
