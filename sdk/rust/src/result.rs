//! Building results: values through memory come back as a packed
//! `(ptr << 32) | len`; their memory lives until the next call.

use crate::args::Fixed;
use crate::pack;

/// SQL NULL (a text-like, array, row or set result; for a set: no rows;
/// for a BEFORE row trigger: skip the row).
pub const NULL: i64 = -1;

/// Bytes as a `bytea` (or any through-memory) result.
pub fn bytes(v: impl Into<Vec<u8>>) -> i64 {
    let v = std::mem::ManuallyDrop::new(v.into());
    pack(v.as_ptr(), v.len())
}

/// Text as a `text`, `jsonb` (JSON text) or `numeric` (decimal) result.
pub fn text(s: impl Into<String>) -> i64 {
    bytes(s.into().into_bytes())
}

/// A fixed-width array result (`integer[]` from `Vec<i32>`, ...).
pub fn array<T: Fixed>(v: Vec<T>) -> i64 {
    let v = std::mem::ManuallyDrop::new(v);
    pack(v.as_ptr() as *const u8, std::mem::size_of_val(&v[..]))
}

/// A `boolean[]` result.
pub fn bools(v: &[bool]) -> i64 {
    bytes(v.iter().map(|b| *b as u8).collect::<Vec<u8>>())
}

/// Builds a `text[]` / `bytea[]` / `jsonb[]` / `numeric[]` result, a set
/// of those (`RETURNS SETOF text`), or a set of rows (each a JSON object:
/// `RETURNS TABLE (a, b)`).
#[derive(Debug, Default, Clone)]
pub struct Elems(Vec<u8>);

impl Elems {
    /// No elements yet.
    pub fn new() -> Self {
        Elems(Vec::new())
    }

    /// Appends one element.
    pub fn push(&mut self, item: impl AsRef<[u8]>) -> &mut Self {
        let item = item.as_ref();
        self.0.extend_from_slice(&(item.len() as u32).to_le_bytes());
        self.0.extend_from_slice(item);
        self
    }

    /// The encoding, as it goes to [`crate::spi::query`]'s parameters.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The packed result.
    pub fn finish(self) -> i64 {
        bytes(self.0)
    }
}

impl<S: AsRef<[u8]>> FromIterator<S> for Elems {
    fn from_iter<I: IntoIterator<Item = S>>(iter: I) -> Self {
        let mut e = Elems::new();
        for item in iter {
            e.push(item);
        }
        e
    }
}

/// A row (a composite result) from a JSON object.
pub fn row(object: &crate::Json) -> i64 {
    text(object.to_string())
}
