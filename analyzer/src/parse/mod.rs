//! Parsing: the lexer, statement splitting, pg_query calls and tree walking.

pub mod lexer;
pub mod names;
pub mod walk;
#[rustfmt::skip]
mod walk_gen;

use pg_query::protobuf;

/// A statement that did not parse, with the byte offset (in the parsed text)
/// that PostgreSQL's parser pointed at.
#[derive(Debug, Clone)]
pub struct ParseError {
    pub message: String,
    pub offset: Option<usize>,
    /// PostgreSQL's parser accepted the statement, but its tree is nested
    /// more deeply than the analyzer walks ([`MAX_TREE_DEPTH`]): not a
    /// syntax error, a statement left unanalysed.
    pub too_deep: bool,
}

/// Deepest parse tree (in nested protobuf messages; an operator or function
/// call is two) that is decoded and walked. Every walk over the tree is
/// recursive, so this bounds their stack use; real code stays far below it
/// (a chain of 400 `||` is about 800).
pub const MAX_TREE_DEPTH: usize = 2_000;

/// Stack a tree level may need while it is decoded, walked, evaluated and
/// dropped, in an unoptimised build (measured: 16 to 48 KiB).
const STACK_PER_LEVEL: usize = 64 << 10;

thread_local! {
    /// (address near the top, size) of this thread's stack, when known.
    static STACK: std::cell::Cell<(usize, usize)> = const { std::cell::Cell::new((0, 0)) };
}

/// Declare that this thread's stack has `size` bytes, most of them below
/// the caller's frame: trees are then only decoded while the stack left
/// allows it (a tree nested in the walk of another gets what remains).
pub fn stack_starts_here(size: usize) {
    let marker = 0u8;
    let top = std::ptr::addr_of!(marker) as usize;
    STACK.with(|s| s.set((top, size)));
}

/// How deep a tree may be decoded here: [`MAX_TREE_DEPTH`], or less when
/// the stack left is short.
fn depth_budget() -> usize {
    let (top, size) = STACK.with(|s| s.get());
    if size == 0 {
        return MAX_TREE_DEPTH;
    }
    let marker = 0u8;
    let here = std::ptr::addr_of!(marker) as usize;
    let left = size.saturating_sub(top.saturating_sub(here));
    (left / STACK_PER_LEVEL).min(MAX_TREE_DEPTH)
}

/// Parse one statement's text (or several) with PostgreSQL's grammar.
///
/// This calls libpg_query directly rather than `pg_query::parse`: that
/// function also walks the whole tree to list tables and functions, which
/// the analyzer never uses, and drops the error's cursor position.
pub fn parse(text: &str) -> Result<protobuf::ParseResult, ParseError> {
    use prost::Message;
    let Ok(c) = std::ffi::CString::new(text) else {
        let offset = text.find('\0');
        return Err(ParseError {
            message: "the statement contains a NUL byte".into(),
            offset,
            too_deep: false,
        });
    };
    // SAFETY: `c` is a valid NUL-terminated string that outlives the call;
    // the result is only read through the pointers libpg_query returned
    // (the tree as `len` bytes at `data`, the error's C strings) and freed
    // exactly once with its own free function, after the last read.
    unsafe {
        let r = ffi::pg_query_parse_protobuf(c.as_ptr());
        let out = if r.error.is_null() {
            let data = std::slice::from_raw_parts(r.parse_tree.data as *const u8, r.parse_tree.len);
            let budget = depth_budget();
            let depth = message_depth(data, budget);
            if depth > budget {
                Err(ParseError {
                    message: if budget == MAX_TREE_DEPTH {
                        format!(
                            "the statement's parse tree is nested more than {budget} levels deep"
                        )
                    } else {
                        format!(
                            "the statement's parse tree is nested more than {budget} levels deep, \
                             all the stack left inside the bodies around it allows"
                        )
                    },
                    offset: None,
                    too_deep: true,
                })
            } else {
                protobuf::ParseResult::decode(data).map_err(|e| ParseError {
                    message: format!("cannot decode the parse tree: {e}"),
                    offset: None,
                    too_deep: false,
                })
            }
        } else {
            let e = &*r.error;
            let message = std::ffi::CStr::from_ptr(e.message)
                .to_string_lossy()
                .into_owned();
            // cursorpos counts characters from 1; 0 means "no position".
            let offset = (e.cursorpos > 0).then(|| char_to_byte(text, e.cursorpos as usize - 1));
            Err(ParseError {
                message,
                offset,
                too_deep: false,
            })
        };
        ffi::pg_query_free_protobuf_parse_result(r);
        out
    }
}

/// How deeply messages nest in protobuf wire data, counting the outermost
/// message as 1; stops counting once past `limit`. Without the schema a
/// length-delimited field is taken for a message when its bytes read as a
/// sequence of well-formed fields, so a string may count as one: the result
/// is never below the real depth. Iterative, and linear in `data`: every
/// field is read once when its parent is checked and once when visited.
pub fn message_depth(data: &[u8], limit: usize) -> usize {
    fn varint(data: &[u8], pos: &mut usize, end: usize) -> Option<u64> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = *data.get(*pos).filter(|_| *pos < end)?;
            *pos += 1;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Some(v);
            }
        }
        None
    }
    /// One field at `pos`: the range of its bytes if length-delimited.
    fn field(data: &[u8], pos: &mut usize, end: usize) -> Option<Option<(usize, usize)>> {
        let tag = varint(data, pos, end)?;
        if tag >> 3 == 0 {
            return None;
        }
        let skip = match tag & 7 {
            0 => {
                varint(data, pos, end)?;
                return Some(None);
            }
            1 => 8,
            5 => 4,
            2 => {
                let len = usize::try_from(varint(data, pos, end)?).ok()?;
                let start = *pos;
                let stop = start.checked_add(len).filter(|&s| s <= end)?;
                *pos = stop;
                return Some(Some((start, stop)));
            }
            _ => return None,
        };
        *pos = pos.checked_add(skip).filter(|&p| p <= end)?;
        Some(None)
    }
    fn is_message(data: &[u8], start: usize, end: usize) -> bool {
        let mut pos = start;
        while pos < end {
            if field(data, &mut pos, end).is_none() {
                return false;
            }
        }
        true
    }
    let mut ends = vec![data.len()];
    let mut pos = 0;
    let mut max = 1;
    while let Some(&end) = ends.last() {
        if pos >= end {
            ends.pop();
            continue;
        }
        match field(data, &mut pos, end) {
            Some(Some((start, stop))) if stop > start && is_message(data, start, stop) => {
                ends.push(stop);
                max = max.max(ends.len());
                if max > limit {
                    return max;
                }
                pos = start;
            }
            Some(_) => {}
            // not well-formed: the rest of this message is opaque
            None => pos = end,
        }
    }
    max
}

/// A PL/pgSQL body libpg_query's PL/pgSQL parser rejected.
#[derive(Debug, Clone)]
pub struct PlpgsqlError {
    pub message: String,
    /// PostgreSQL's error context: "compilation of PL/pgSQL function ...
    /// near line N" (lines of the body, from 1) when it has one.
    pub context: String,
}

/// The PL/pgSQL parse trees (JSON, one per CREATE FUNCTION / DO in `text`)
/// of libpg_query. Like `pg_query::parse_plpgsql`, but keeping the error's
/// context, which says where in the body the error is.
pub fn parse_plpgsql(text: &str) -> Result<String, PlpgsqlError> {
    let Ok(c) = std::ffi::CString::new(text) else {
        return Err(PlpgsqlError {
            message: "the statement contains a NUL byte".into(),
            context: String::new(),
        });
    };
    // SAFETY: `c` is a valid NUL-terminated string that outlives the call;
    // the result's strings are read (and copied) before the result is freed
    // once, with libpg_query's own free function.
    unsafe {
        let r = ffi::pg_query_parse_plpgsql(c.as_ptr());
        let text = |p: *const std::os::raw::c_char| {
            if p.is_null() {
                String::new()
            } else {
                std::ffi::CStr::from_ptr(p).to_string_lossy().into_owned()
            }
        };
        let out = if r.error.is_null() {
            Ok(text(r.plpgsql_funcs))
        } else {
            let e = &*r.error;
            Err(PlpgsqlError {
                message: text(e.message),
                context: text(e.context),
            })
        };
        ffi::pg_query_free_plpgsql_parse_result(r);
        out
    }
}

fn char_to_byte(text: &str, chars: usize) -> usize {
    text.char_indices()
        .nth(chars)
        .map_or(text.len(), |(b, _)| b)
}

/// The minimal libpg_query C API the analyzer calls itself. The library is
/// linked by the pg_query crate.
mod ffi {
    use std::os::raw::{c_char, c_int};

    #[repr(C)]
    pub struct PgQueryError {
        pub message: *mut c_char,
        pub funcname: *mut c_char,
        pub filename: *mut c_char,
        pub lineno: c_int,
        pub cursorpos: c_int,
        pub context: *mut c_char,
    }

    #[repr(C)]
    pub struct PgQueryProtobuf {
        pub len: usize,
        pub data: *mut c_char,
    }

    #[repr(C)]
    pub struct PgQueryProtobufParseResult {
        pub parse_tree: PgQueryProtobuf,
        pub stderr_buffer: *mut c_char,
        pub error: *mut PgQueryError,
    }

    #[repr(C)]
    pub struct PgQueryPlpgsqlParseResult {
        pub plpgsql_funcs: *mut c_char,
        pub error: *mut PgQueryError,
    }

    extern "C" {
        pub fn pg_query_parse_plpgsql(input: *const c_char) -> PgQueryPlpgsqlParseResult;
        pub fn pg_query_free_plpgsql_parse_result(result: PgQueryPlpgsqlParseResult);
        pub fn pg_query_parse_protobuf(input: *const c_char) -> PgQueryProtobufParseResult;
        pub fn pg_query_free_protobuf_parse_result(result: PgQueryProtobufParseResult);
    }
}
