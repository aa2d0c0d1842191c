//! Byte spans and the maps that carry offsets inside function bodies and
//! string literals back to the file.

use std::rc::Rc;

/// A byte range in the analysed file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Self {
        Span {
            start,
            end: end.max(start),
        }
    }
}

/// Maps offsets in a piece of text being analysed (a statement, a function
/// body, a dynamic SQL string) to offsets in the file.
#[derive(Debug, Clone)]
pub enum OffsetMap {
    /// The text is a contiguous slice of the file starting here.
    Shift(usize),
    /// Byte `i` of the text sits at `table[i]` in the file (one extra entry for the end).
    Table(Rc<[usize]>),
    /// `prefix_len` synthetic bytes (such as `SELECT `) followed by `parent[offset..]`.
    Prefixed {
        prefix_len: usize,
        offset: usize,
        parent: Rc<OffsetMap>,
    },
}

impl OffsetMap {
    pub fn to_file(&self, local: usize) -> usize {
        match self {
            OffsetMap::Shift(base) => base + local,
            OffsetMap::Table(t) => {
                if t.is_empty() {
                    0
                } else {
                    t[local.min(t.len() - 1)]
                }
            }
            OffsetMap::Prefixed {
                prefix_len,
                offset,
                parent,
            } => parent.to_file(offset + local.saturating_sub(*prefix_len)),
        }
    }

    pub fn span(&self, start: usize, end: usize) -> Span {
        let s = self.to_file(start);
        // The file offset of the next byte ends the span, so a last character
        // written as an escape (`\x66`, `''`, `U&'!0066'`) is covered whole.
        let e = if end > start {
            self.to_file(end).max(self.to_file(end - 1) + 1)
        } else {
            s
        };
        Span::new(s, e)
    }

    /// A map for a child text whose byte `i` lies at parent offset `inner[i]`.
    pub fn compose(&self, inner: &[usize]) -> OffsetMap {
        match self {
            OffsetMap::Shift(base) => OffsetMap::Table(inner.iter().map(|&i| base + i).collect()),
            _ => OffsetMap::Table(inner.iter().map(|&i| self.to_file(i)).collect()),
        }
    }

    /// A map for the child text `parent[offset..]`.
    pub fn shifted(&self, offset: usize) -> OffsetMap {
        match self {
            OffsetMap::Shift(base) => OffsetMap::Shift(base + offset),
            OffsetMap::Table(t) if offset >= t.len() => OffsetMap::Table(Rc::new([])),
            // the table is shared, not copied: a body's table would otherwise
            // be copied once per expression in it
            OffsetMap::Table(_) | OffsetMap::Prefixed { .. } => OffsetMap::Prefixed {
                prefix_len: 0,
                offset,
                parent: Rc::new(self.clone()),
            },
        }
    }

    /// A map for a child text made of `prefix_len` synthetic bytes (mapped to
    /// where the real text starts) followed by `parent[offset..]`.
    pub fn with_prefix(&self, prefix_len: usize, offset: usize) -> OffsetMap {
        OffsetMap::Prefixed {
            prefix_len,
            offset,
            parent: Rc::new(self.clone()),
        }
    }
}
