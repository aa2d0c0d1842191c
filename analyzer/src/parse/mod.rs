//! Parsing: the lexer, statement splitting, pg_query calls and tree walking.

mod from_c;
pub mod json;
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

/// How [`parse`] gets its trees.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParsePath {
    /// libpg_query's C parse tree, read directly ([`parse_c`]): the default.
    C,
    /// libpg_query's protobuf output, decoded by prost ([`parse_protobuf`]);
    /// `EXTGUARD_PARSE=protobuf` in the environment.
    Protobuf,
    /// Both, keeping the C path's result and recording every text on which
    /// they differ ([`path_mismatches`]); `EXTGUARD_PARSE=compare`.
    Compare,
}

/// 0: not chosen yet, else 1 + the `ParsePath` as chosen.
static PATH: std::sync::atomic::AtomicU8 = std::sync::atomic::AtomicU8::new(0);
static MISMATCHES: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());
static COMPARED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Choose how [`parse`] gets its trees (the environment is not read then).
pub fn set_parse_path(p: ParsePath) {
    PATH.store(1 + p as u8, std::sync::atomic::Ordering::Relaxed);
}

fn parse_path() -> ParsePath {
    match PATH.load(std::sync::atomic::Ordering::Relaxed) {
        1 => ParsePath::C,
        2 => ParsePath::Protobuf,
        3 => ParsePath::Compare,
        _ => {
            let p = match std::env::var("EXTGUARD_PARSE").as_deref() {
                Ok("protobuf") => ParsePath::Protobuf,
                Ok("compare") => ParsePath::Compare,
                _ => ParsePath::C,
            };
            set_parse_path(p);
            p
        }
    }
}

/// The texts on which the two parse paths gave different results (with
/// [`ParsePath::Compare`]), each with both results, since the last call.
pub fn path_mismatches() -> Vec<String> {
    std::mem::take(&mut *MISMATCHES.lock().unwrap_or_else(|e| e.into_inner()))
}

/// How many texts were parsed with [`ParsePath::Compare`] so far.
pub fn compared_parses() -> usize {
    COMPARED.load(std::sync::atomic::Ordering::Relaxed)
}

/// Parse one statement's text (or several) with PostgreSQL's grammar.
///
/// This calls libpg_query directly rather than `pg_query::parse`: that
/// function also walks the whole tree to list tables and functions, which
/// the analyzer never uses, and drops the error's cursor position. The
/// tree is read from libpg_query's C structs ([`ParsePath`]).
pub fn parse(text: &str) -> Result<protobuf::ParseResult, ParseError> {
    match parse_path() {
        ParsePath::C => parse_c(text),
        ParsePath::Protobuf => parse_protobuf(text),
        ParsePath::Compare => {
            COMPARED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let c = parse_c(text);
            let p = parse_protobuf(text);
            let same = match (&c, &p) {
                (Ok(a), Ok(b)) => a == b,
                (Err(a), Err(b)) => {
                    a.message == b.message && a.offset == b.offset && a.too_deep == b.too_deep
                }
                _ => false,
            };
            if !same {
                MISMATCHES
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(format!("{text}\n  C: {c:?}\n  protobuf: {p:?}"));
            }
            c
        }
    }
}

/// [`parse`] through libpg_query's C parse tree, read directly.
pub fn parse_c(text: &str) -> Result<protobuf::ParseResult, ParseError> {
    let c = c_string(text)?;
    let budget = depth_budget();
    match from_c::parse(&c, budget) {
        from_c::Raw::Tree(tree) => Ok(tree),
        from_c::Raw::TooDeep => Err(too_deep(budget)),
        from_c::Raw::Error { message, cursorpos } => Err(ParseError {
            message,
            // cursorpos counts characters from 1; 0 means "no position".
            offset: (cursorpos > 0).then(|| char_to_byte(text, cursorpos as usize - 1)),
            too_deep: false,
        }),
    }
}

fn c_string(text: &str) -> Result<std::ffi::CString, ParseError> {
    std::ffi::CString::new(text).map_err(|_| ParseError {
        message: "the statement contains a NUL byte".into(),
        offset: text.find('\0'),
        too_deep: false,
    })
}

fn too_deep(budget: usize) -> ParseError {
    ParseError {
        message: if budget == MAX_TREE_DEPTH {
            format!("the statement's parse tree is nested more than {budget} levels deep")
        } else {
            format!(
                "the statement's parse tree is nested more than {budget} levels deep, \
                 all the stack left inside the bodies around it allows"
            )
        },
        offset: None,
        too_deep: true,
    }
}

/// [`parse`] through libpg_query's protobuf output, decoded by prost.
pub fn parse_protobuf(text: &str) -> Result<protobuf::ParseResult, ParseError> {
    use prost::Message;
    let c = c_string(text)?;
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
                Err(too_deep(budget))
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

/// A parse result shared by the callers that asked for the same text.
pub type Shared = Result<std::rc::Rc<protobuf::ParseResult>, ParseError>;

/// Texts up to this long are kept in [`parse_shared`]'s cache.
const CACHED_LEN: usize = 256;
/// The cache is emptied when it holds this many texts.
const CACHED_TEXTS: usize = 1024;

thread_local! {
    static CACHE: std::cell::RefCell<crate::FastMap<Box<str>, Shared>> =
        std::cell::RefCell::new(crate::FastMap::default());
}

/// Empty this thread's [`parse_shared`] cache (at the start of a file: the
/// trees of the last file are rarely asked for again, and would add to the
/// memory of the next, which may be the largest).
pub fn forget_shared() {
    CACHE.with(|c| c.borrow_mut().clear());
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
    out.push_str(&" ".repeat(last_row_end - first_row_end));
    out.push_str(&text[last_row_end..]);
    Some(out)
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

pub use from_c::plpgsql::TooDeep;
use json::Json;

/// The PL/pgSQL parse trees of libpg_query (an array, one per CREATE
/// FUNCTION / DO in `text`), read in place from its C trees into the tree
/// its JSON output describes. Like `pg_query::parse_plpgsql`, but keeping
/// the error's context, which says where in the body the error is; without
/// `check_syntax`, the SQL inside the body is not parsed; with `body`, that
/// is the body compiled, the statement's literal being only a placeholder
/// (see [`from_c::plpgsql::compile`]).
pub fn parse_plpgsql(
    text: &str,
    body: Option<&str>,
    check_syntax: bool,
) -> Result<Result<Json, TooDeep>, PlpgsqlError> {
    let nul = || PlpgsqlError {
        message: "the statement contains a NUL byte".into(),
        context: String::new(),
    };
    let c = std::ffi::CString::new(text).map_err(|_| nul())?;
    let body = body
        .map(std::ffi::CString::new)
        .transpose()
        .map_err(|_| nul())?;
    from_c::plpgsql::compile(&c, body.as_deref(), check_syntax)
}

/// Whether `text` parses in libpg_query's raw parse `mode` (see
/// [`from_c::parses`]); a text holding a NUL byte does not.
pub fn parses_in_mode(text: &str, mode: i32) -> bool {
    std::ffi::CString::new(text).is_ok_and(|c| from_c::parses(&c, mode))
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
