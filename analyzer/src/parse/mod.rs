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

/// For `INSERT INTO t [(columns)] VALUES (row), (row), ... [tail]` whose
/// rows hold nothing but constants (strings, numbers with an optional sign,
/// NULL, TRUE, FALSE, DEFAULT), the text with every row after the first
/// blanked (spaces, so offsets do not move; the tail, such as `ON CONFLICT`
/// or `RETURNING`, stays). Those rows cannot change what the analysis
/// finds (they name nothing and call nothing), and a data script's single
/// INSERT can carry tens of thousands of them (7 MB in one statement on
/// real packages). `None` when there is one row or anything else in the
/// rows: the statement is parsed as it is, so a syntax error in a row is
/// still found.
pub fn blank_constant_rows(text: &str) -> Option<String> {
    use lexer::TokenKind as K;
    let mut tokens = lexer::Lexer::new(text).filter(|t| t.kind != K::Comment);
    let word =
        |t: &lexer::Token, w: &str| t.kind == K::Word && t.text(text).eq_ignore_ascii_case(w);
    let punct = |t: &lexer::Token, p: &str| t.kind == K::Punct && t.text(text) == p;
    if !word(&tokens.next()?, "insert") {
        return None;
    }
    let mut depth = 0usize;
    loop {
        let t = tokens.next()?;
        if punct(&t, "(") {
            depth += 1;
        } else if punct(&t, ")") {
            depth = depth.checked_sub(1)?;
        } else if depth == 0 && word(&t, "values") {
            break;
        }
    }
    let mut first_row_end = None;
    let mut last_row_end;
    loop {
        if !punct(&tokens.next()?, "(") {
            return None;
        }
        loop {
            let mut v = tokens.next()?;
            if v.kind == K::Operator && matches!(v.text(text), "-" | "+") {
                v = tokens.next()?;
                if v.kind != K::Number {
                    return None;
                }
            }
            let constant = matches!(v.kind, K::String | K::Number)
                || ["null", "true", "false", "default"]
                    .iter()
                    .any(|w| word(&v, w));
            if !constant {
                return None;
            }
            let next = tokens.next()?;
            if punct(&next, ")") {
                first_row_end.get_or_insert(next.end);
                last_row_end = next.end;
                break;
            }
            if !punct(&next, ",") {
                return None;
            }
        }
        match tokens.next() {
            Some(t) if punct(&t, ",") => continue,
            _ => break,
        }
    }
    let first_row_end = first_row_end?;
    if last_row_end == first_row_end {
        return None;
    }
    let mut out = String::with_capacity(text.len());
    out.push_str(&text[..first_row_end]);
    out.extend(std::iter::repeat_n(' ', last_row_end - first_row_end));
    out.push_str(&text[last_row_end..]);
    Some(out)
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

#[cfg(test)]
mod tests {
    use super::blank_constant_rows;

    #[test]
    fn constant_rows_after_the_first_are_blanked() {
        let sql = "INSERT INTO s.t (a, \"b\") VALUES -- first\n(1, 'é', -2.5, NULL, E'\\n'), (2, $$y$$, +3, TRUE, DEFAULT) ON CONFLICT (a) DO NOTHING";
        let b = blank_constant_rows(sql).unwrap();
        assert_eq!(b.len(), sql.len());
        let row2 = sql.find("(2,").unwrap();
        assert_eq!(b[..row2 - 2], sql[..row2 - 2]);
        assert!(b[row2 - 2..]
            .trim_start()
            .starts_with("ON CONFLICT (a) DO NOTHING"));
        assert!(super::parse(&b).is_ok());
        assert_eq!(
            blank_constant_rows("INSERT INTO t VALUES (1), (2);").as_deref(),
            Some("INSERT INTO t VALUES (1)     ;")
        );
        // anything that can matter, or a lone row: parsed as it is
        for sql in [
            "INSERT INTO t VALUES (1)",
            "INSERT INTO t VALUES (1) ON CONFLICT DO NOTHING",
            "INSERT INTO t VALUES (1), (f(2))",
            "INSERT INTO t VALUES (1), ('x'::regclass)",
            "INSERT INTO t VALUES (1), (2), (1 + 2)",
            "INSERT INTO t VALUES (1), (2,, 3)",
            "INSERT INTO t VALUES (1), ('a' 'b')",
            "INSERT INTO t VALUES (1), ('unterminated)",
            "INSERT INTO t VALUES (1), (2), f()",
            "INSERT INTO t SELECT * FROM (VALUES (1), (2)) v",
            "INSERT INTO t DEFAULT VALUES",
            "UPDATE t SET a = 1",
        ] {
            assert_eq!(blank_constant_rows(sql), None, "{sql}");
        }
    }
}
