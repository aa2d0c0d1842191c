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
}

/// Parse one statement's text (or several) with PostgreSQL's grammar.
pub fn parse(text: &str) -> Result<protobuf::ParseResult, ParseError> {
    match pg_query::parse(text) {
        Ok(r) => Ok(r.protobuf),
        Err(e) => {
            let (message, offset) = error_position(text).unwrap_or_else(|| (e.to_string(), None));
            Err(ParseError { message, offset })
        }
    }
}

/// Ask libpg_query again for the error, this time with its cursor position,
/// which the pg_query crate drops.
fn error_position(text: &str) -> Option<(String, Option<usize>)> {
    let c = std::ffi::CString::new(text).ok()?;
    // SAFETY: `c` is a valid NUL-terminated string that outlives the call;
    // the result is only read through the pointers libpg_query returned and
    // freed exactly once with its own free function.
    unsafe {
        let r = ffi::pg_query_parse(c.as_ptr());
        let out = if r.error.is_null() {
            None
        } else {
            let e = &*r.error;
            let msg = std::ffi::CStr::from_ptr(e.message)
                .to_string_lossy()
                .into_owned();
            // cursorpos counts characters from 1; 0 means "no position".
            let off = (e.cursorpos > 0).then(|| char_to_byte(text, e.cursorpos as usize - 1));
            Some((msg, off))
        };
        ffi::pg_query_free_parse_result(r);
        out
    }
}

fn char_to_byte(text: &str, chars: usize) -> usize {
    text.char_indices()
        .nth(chars)
        .map_or(text.len(), |(b, _)| b)
}

/// The minimal libpg_query C API needed for error positions. The library is
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
    pub struct PgQueryParseResult {
        pub parse_tree: *mut c_char,
        pub stderr_buffer: *mut c_char,
        pub error: *mut PgQueryError,
    }

    extern "C" {
        pub fn pg_query_parse(input: *const c_char) -> PgQueryParseResult;
        pub fn pg_query_free_parse_result(result: PgQueryParseResult);
    }
}
