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
            protobuf::ParseResult::decode(data).map_err(|e| ParseError {
                message: format!("cannot decode the parse tree: {e}"),
                offset: None,
            })
        } else {
            let e = &*r.error;
            let message = std::ffi::CStr::from_ptr(e.message)
                .to_string_lossy()
                .into_owned();
            // cursorpos counts characters from 1; 0 means "no position".
            let offset = (e.cursorpos > 0).then(|| char_to_byte(text, e.cursorpos as usize - 1));
            Err(ParseError { message, offset })
        };
        ffi::pg_query_free_protobuf_parse_result(r);
        out
    }
}

/// A parse result shared by the callers that asked for the same text.
pub type Shared = Result<std::rc::Rc<protobuf::ParseResult>, ParseError>;

/// Texts up to this long are kept in [`parse_shared`]'s cache.
const CACHED_LEN: usize = 256;
/// The cache is emptied when it holds this many texts.
const CACHED_TEXTS: usize = 1024;

thread_local! {
    static CACHE: std::cell::RefCell<std::collections::HashMap<Box<str>, Shared>> =
        std::cell::RefCell::new(std::collections::HashMap::new());
}

/// [`parse`], through a small per-thread cache of short texts. PL/pgSQL
/// bodies repeat the same expressions (`v IS NULL`, `SQLERRM`, a logging
/// call) many times over, and the body of a loop is walked twice; on real
/// extension code about nine expression parses in ten are repeats. The
/// result depends on the text only, so sharing it changes nothing.
pub fn parse_shared(text: &str) -> Shared {
    if text.len() > CACHED_LEN {
        return parse(text).map(std::rc::Rc::new);
    }
    if let Some(hit) = CACHE.with(|c| c.borrow().get(text).cloned()) {
        return hit;
    }
    let parsed = parse(text).map(std::rc::Rc::new);
    CACHE.with(|c| {
        let mut c = c.borrow_mut();
        if c.len() >= CACHED_TEXTS {
            c.clear();
        }
        c.insert(text.into(), parsed.clone());
    });
    parsed
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

    extern "C" {
        pub fn pg_query_parse_protobuf(input: *const c_char) -> PgQueryProtobufParseResult;
        pub fn pg_query_free_protobuf_parse_result(result: PgQueryProtobufParseResult);
    }
}
