//! A small, forgiving SQL lexer.
//!
//! It never fails: unterminated strings, comments and dollar quotes simply run
//! to the end of the input. It is used to split a file into statements the way
//! psql does, to find the literal that holds a function body, and to turn a
//! node's start offset into the span of its token.

/// What a token is. Only the distinctions the analyzer needs are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// A bare word: keyword or unquoted identifier.
    Word,
    /// A double-quoted identifier (`"Foo"`, also `U&"..."`).
    QuotedIdent,
    /// A string constant: `'...'`, `E'...'`, `$tag$...$tag$`, `B'...'`, `X'...'`, `U&'...'`.
    String,
    /// A number.
    Number,
    /// A positional parameter (`$1`).
    Param,
    /// An operator (`+`, `::`, `:=`, `<>`, ...).
    Operator,
    /// One punctuation character: `( ) [ ] , . ;`.
    Punct,
    /// `-- ...` or `/* ... */`.
    Comment,
    /// A psql meta-command (`\echo ...` to the end of the line).
    MetaCommand,
}

/// One token: kind and byte range in the lexed text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token {
    pub kind: TokenKind,
    pub start: usize,
    pub end: usize,
}

impl Token {
    pub fn text<'t>(&self, src: &'t str) -> &'t str {
        &src[self.start..self.end]
    }

    /// Is this a bare word equal (case-insensitively) to `kw`?
    pub fn is_word(&self, src: &str, kw: &str) -> bool {
        self.kind == TokenKind::Word && self.text(src).eq_ignore_ascii_case(kw)
    }

    pub fn is_punct(&self, src: &str, c: char) -> bool {
        self.kind == TokenKind::Punct && src.as_bytes()[self.start] == c as u8
    }

    /// Does this token carry meaning for the parser (not a comment or meta-command)?
    pub fn is_significant(&self) -> bool {
        !matches!(self.kind, TokenKind::Comment | TokenKind::MetaCommand)
    }
}

/// Byte classes, one bit each, looked up in [`CLASS`].
const SPACE: u8 = 1;
const IDENT_START: u8 = 2;
const IDENT_CONT: u8 = 4;
const OPERATOR: u8 = 8;

/// The class bits of every byte: ASCII white space (as
/// `u8::is_ascii_whitespace`), identifier bytes (letters, `_`, any byte of
/// a multi-byte character; digits and `$` after the first), operator bytes.
static CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        let start = b.is_ascii_alphabetic() || b == b'_' || b >= 0x80;
        if matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0c) {
            t[c] |= SPACE;
        }
        if start {
            t[c] |= IDENT_START | IDENT_CONT;
        }
        if b.is_ascii_digit() || b == b'$' {
            t[c] |= IDENT_CONT;
        }
        let mut k = 0;
        while k < OP_CHARS.len() {
            if OP_CHARS[k] == b {
                t[c] |= OPERATOR;
            }
            k += 1;
        }
        c += 1;
    }
    t
};

#[inline]
fn is(c: u8, class: u8) -> bool {
    CLASS[c as usize] & class != 0
}

const OP_CHARS: &[u8] = b"+-*/<>=~!@#%^&|`?:";

/// Lex the whole text. Never fails.
pub fn lex(src: &str) -> Vec<Token> {
    // SQL averages a token per five or six bytes; sized for that (within
    // bounds), the vector rarely grows and copies itself
    let mut tokens = Vec::with_capacity((src.len() / 6).clamp(4, 4096));
    tokens.extend(Lexer::new(src));
    tokens
}

/// A streaming lexer: tokens one at a time, so a huge file never needs its
/// whole token list in memory.
pub struct Lexer<'a> {
    src: &'a str,
    i: usize,
}

impl<'a> Lexer<'a> {
    pub fn new(src: &'a str) -> Self {
        Lexer { src, i: 0 }
    }

    /// Go on lexing at byte `pos` (after input that is not SQL, such as
    /// the data lines of `COPY ... FROM STDIN`).
    pub fn skip_to(&mut self, pos: usize) {
        self.i = pos.max(self.i).min(self.src.len());
    }
}

impl Iterator for Lexer<'_> {
    type Item = Token;

    fn next(&mut self) -> Option<Token> {
        let src = self.src;
        let b = src.as_bytes();
        let n = b.len();
        let mut i = self.i;
        while i < n && is(b[i], SPACE) {
            i += 1;
        }
        if i >= n {
            self.i = n;
            return None;
        }
        let c = b[i];
        let next = b.get(i + 1).copied();
        let start = i;
        let kind = match c {
            b'-' if next == Some(b'-') => {
                i = line_end(b, i);
                TokenKind::Comment
            }
            b'/' if next == Some(b'*') => {
                i = skip_block_comment(b, i);
                // An unterminated comment must not silently swallow the rest
                // of the file: keep it in the statement so the parser reports it.
                if i - start >= 4 && &b[i - 2..i] == b"*/" {
                    TokenKind::Comment
                } else {
                    TokenKind::Operator
                }
            }
            b'\\' => {
                i = line_end(b, i);
                TokenKind::MetaCommand
            }
            b'\'' => {
                i = skip_quoted(b, i, b'\'', false);
                TokenKind::String
            }
            b'E' | b'e' if next == Some(b'\'') => {
                i = skip_quoted(b, i + 1, b'\'', true);
                TokenKind::String
            }
            b'B' | b'b' | b'X' | b'x' | b'N' | b'n' if next == Some(b'\'') => {
                i = skip_quoted(b, i + 1, b'\'', false);
                TokenKind::String
            }
            b'U' | b'u' if next == Some(b'&') && matches!(b.get(i + 2), Some(b'\'' | b'"')) => {
                let q = b[i + 2];
                i = skip_quoted(b, i + 2, q, false);
                if q == b'\'' {
                    TokenKind::String
                } else {
                    TokenKind::QuotedIdent
                }
            }
            b'"' => {
                i = skip_quoted(b, i, b'"', false);
                TokenKind::QuotedIdent
            }
            b'$' => {
                if let Some(tag_end) = dollar_tag_end(b, i) {
                    let tag = &b[i..tag_end];
                    i = find_sub(b, tag_end, tag).map_or(n, |p| p + tag.len());
                    TokenKind::String
                } else if next.is_some_and(|d| d.is_ascii_digit()) {
                    i += 1;
                    while i < n && b[i].is_ascii_digit() {
                        i += 1;
                    }
                    TokenKind::Param
                } else {
                    i += 1;
                    TokenKind::Operator
                }
            }
            _ if is(c, IDENT_START) => {
                i += 1;
                while i < n && is(b[i], IDENT_CONT) {
                    i += 1;
                }
                TokenKind::Word
            }
            b'0'..=b'9' => {
                i = skip_number(b, i);
                TokenKind::Number
            }
            b'.' if next.is_some_and(|d| d.is_ascii_digit()) => {
                i = skip_number(b, i);
                TokenKind::Number
            }
            b'(' | b')' | b'[' | b']' | b',' | b';' | b'.' => {
                i += 1;
                TokenKind::Punct
            }
            _ if is(c, OPERATOR) => {
                i = skip_operator(b, i);
                TokenKind::Operator
            }
            // Any other byte: a one-byte operator, so that nothing is lost.
            _ => {
                i += 1;
                TokenKind::Operator
            }
        };
        // Never split a UTF-8 sequence.
        while i < n && !src.is_char_boundary(i) {
            i += 1;
        }
        self.i = i.min(n);
        Some(Token {
            kind,
            start,
            end: self.i,
        })
    }
}

/// The offset of the line feed ending the line that holds `b[i]` (or the end).
fn line_end(b: &[u8], i: usize) -> usize {
    memchr::memchr(b'\n', &b[i..]).map_or(b.len(), |p| i + p)
}

fn skip_block_comment(b: &[u8], mut i: usize) -> usize {
    let n = b.len();
    let mut depth = 0usize;
    while i < n {
        // only `/` and `*` can open or close a comment
        match memchr::memchr2(b'/', b'*', &b[i..]) {
            Some(p) => i += p,
            None => return n,
        }
        if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
            depth += 1;
            i += 2;
        } else if b[i] == b'*' && b.get(i + 1) == Some(&b'/') {
            depth -= 1;
            i += 2;
            if depth == 0 {
                return i;
            }
        } else {
            i += 1;
        }
    }
    n
}

/// Skip a quoted token starting at the opening quote `b[i]`. A doubled quote
/// is an escaped quote; with `backslash`, `\x` escapes too.
fn skip_quoted(b: &[u8], mut i: usize, q: u8, backslash: bool) -> usize {
    let n = b.len();
    i += 1;
    while i < n {
        // jump to the next byte that can end or escape the token
        let next = if backslash {
            memchr::memchr2(q, b'\\', &b[i..])
        } else {
            memchr::memchr(q, &b[i..])
        };
        match next {
            Some(p) => i += p,
            None => return n,
        }
        if backslash && b[i] == b'\\' {
            i += 2;
        } else if b[i] == q {
            if b.get(i + 1) == Some(&q) {
                i += 2;
            } else {
                return i + 1;
            }
        } else {
            i += 1;
        }
    }
    n
}

/// If `b[i..]` starts a dollar-quote tag (`$$` or `$tag$`), return the end of the tag.
fn dollar_tag_end(b: &[u8], i: usize) -> Option<usize> {
    let mut j = i + 1;
    if j < b.len() && b[j] == b'$' {
        return Some(j + 1);
    }
    if j >= b.len() || !(b[j].is_ascii_alphabetic() || b[j] == b'_' || b[j] >= 0x80) {
        return None;
    }
    while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_' || b[j] >= 0x80) {
        j += 1;
    }
    (j < b.len() && b[j] == b'$').then_some(j + 1)
}

fn find_sub(hay: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || from > hay.len() {
        return None;
    }
    memchr::memmem::find(&hay[from..], needle).map(|p| p + from)
}

fn skip_number(b: &[u8], mut i: usize) -> usize {
    let n = b.len();
    while i < n && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b'.') {
        // stop at ".." (range in some contexts) and at a "." followed by a letter that is not an exponent
        if b[i] == b'.' && b.get(i + 1) == Some(&b'.') {
            break;
        }
        if (b[i] == b'e' || b[i] == b'E') && matches!(b.get(i + 1), Some(b'+') | Some(b'-')) {
            i += 2;
            continue;
        }
        i += 1;
    }
    i
}

fn skip_operator(b: &[u8], mut i: usize) -> usize {
    let start = i;
    let n = b.len();
    while i < n && is(b[i], OPERATOR) {
        // a comment start ends the operator
        if (b[i] == b'-' && b.get(i + 1) == Some(&b'-'))
            || (b[i] == b'/' && b.get(i + 1) == Some(&b'*'))
        {
            break;
        }
        i += 1;
    }
    if i == start {
        i + 1
    } else {
        i
    }
}

/// A statement found by [`split`]: the byte range of its significant tokens
/// (no leading comments, no terminating semicolon).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StmtRange {
    pub start: usize,
    pub end: usize,
}

/// Split a token stream into statements as psql does: at `;` outside
/// parentheses and outside `BEGIN ATOMIC ... END` bodies, and at the
/// meta-commands that send the query buffer (`\g`, `\gset`, `\gexec`,
/// ...). Meta-commands belong to no statement.
pub fn split(src: &str, tokens: impl IntoIterator<Item = Token>) -> Vec<StmtRange> {
    let mut s = Splitter::default();
    for t in tokens {
        s.push(src, &t);
    }
    s.finish()
}

/// Whether a psql meta-command sends the query buffer, ending the
/// statement as `;` does: `\g` and its forms (`\gx`, `\gset`, `\gexec`,
/// `\gdesc`), `\watch`, `\crosstabview`.
pub fn meta_command_sends_query(meta: &str) -> bool {
    let name = meta
        .trim_start_matches('\\')
        .split(|c: char| c.is_ascii_whitespace() || c == '\\')
        .next()
        .unwrap_or_default();
    matches!(
        name,
        "g" | "gx" | "gset" | "gexec" | "gdesc" | "watch" | "crosstabview"
    )
}

/// Whether a statement is `COPY ... FROM STDIN`: psql then reads data
/// lines, up to a line `\.`, that are not SQL.
pub fn is_copy_from_stdin(stmt: &str) -> bool {
    let mut words = stmt
        .split(|c: char| c.is_ascii_whitespace() || c == '(' || c == ')' || c == ';')
        .filter(|w| !w.is_empty());
    if !words.next().is_some_and(|w| w.eq_ignore_ascii_case("copy")) {
        return false;
    }
    let words: Vec<&str> = words.collect();
    words.windows(2).any(|w| {
        w[0].eq_ignore_ascii_case("from")
            && (w[1].eq_ignore_ascii_case("stdin") || w[1].eq_ignore_ascii_case("pstdin"))
    })
}

/// The incremental form of [`split`]: feed tokens one by one.
#[derive(Debug, Default)]
pub struct Splitter {
    out: Vec<StmtRange>,
    current: Option<StmtRange>,
    paren: i32,
    atomic_depth: i32,
    prev_word_begin: bool,
}

impl Splitter {
    pub fn push(&mut self, src: &str, t: &Token) {
        if t.kind == TokenKind::MetaCommand && meta_command_sends_query(t.text(src)) {
            self.end_statement();
            return;
        }
        if !t.is_significant() {
            return;
        }
        if t.is_punct(src, ';') && self.paren <= 0 && self.atomic_depth <= 0 {
            self.end_statement();
            return;
        }
        match &mut self.current {
            Some(r) => r.end = t.end,
            None => {
                self.current = Some(StmtRange {
                    start: t.start,
                    end: t.end,
                })
            }
        }
        if t.is_punct(src, '(') {
            self.paren += 1;
        } else if t.is_punct(src, ')') {
            self.paren -= 1;
        } else if t.kind == TokenKind::Word {
            let w = t.text(src);
            if self.atomic_depth > 0 {
                if w.eq_ignore_ascii_case("case") {
                    self.atomic_depth += 1;
                } else if w.eq_ignore_ascii_case("end") {
                    self.atomic_depth -= 1;
                }
            }
            if self.prev_word_begin && w.eq_ignore_ascii_case("atomic") {
                self.atomic_depth += 1;
            }
            self.prev_word_begin = w.eq_ignore_ascii_case("begin");
            return;
        }
        self.prev_word_begin = false;
    }

    fn end_statement(&mut self) {
        if let Some(r) = self.current.take() {
            self.out.push(r);
        }
        self.paren = 0;
        self.atomic_depth = 0;
        self.prev_word_begin = false;
    }

    /// The statement completed last, if any.
    pub fn last(&self) -> Option<StmtRange> {
        self.out.last().copied()
    }

    pub fn finish(mut self) -> Vec<StmtRange> {
        if let Some(r) = self.current.take() {
            self.out.push(r);
        }
        self.out
    }
}

/// The decoded value of a string-constant token, with the position in the
/// source of every decoded byte (`map[i]` = source offset of decoded byte `i`;
/// one extra entry marks the end).
#[derive(Debug, Clone)]
pub struct StringValue {
    pub value: String,
    pub map: Vec<usize>,
}

/// Decode a string token (`'...'`, `E'...'`, `U&'...'`, `$tag$...$tag$`).
/// Returns `None` for other token kinds or constants that are not text (`B''`, `X''`).
pub fn decode_string(src: &str, tok: &Token) -> Option<StringValue> {
    if tok.kind != TokenKind::String {
        return None;
    }
    let raw = tok.text(src);
    let rb = raw.as_bytes();
    if rb.len() >= 3 && matches!(rb[0], b'U' | b'u') && rb[1] == b'&' {
        let escape = uescape_after(&src[tok.end..]).unwrap_or(b'\\');
        return Some(decode_unicode_string(rb, tok.start, escape));
    }
    if rb[0] == b'$' {
        let tag_end = dollar_tag_end(rb, 0)?;
        let tag_len = tag_end;
        let body_end = if rb.len() >= 2 * tag_len && rb[rb.len() - tag_len..] == rb[..tag_len] {
            rb.len() - tag_len
        } else {
            rb.len()
        };
        let body_end = body_end.max(tag_end);
        let value = raw[tag_end..body_end].to_string();
        let map = (tok.start + tag_end..=tok.start + body_end).collect();
        return Some(StringValue { value, map });
    }
    let (escape, open) = match rb[0] {
        b'\'' => (false, 0),
        b'E' | b'e' => (true, 1),
        b'N' | b'n' => (false, 1),
        _ => return None,
    };
    let mut value = Vec::with_capacity(rb.len());
    let mut map = Vec::with_capacity(rb.len() + 1);
    let mut i = open + 1;
    let end = rb.len();
    while i < end {
        let c = rb[i];
        if c == b'\'' {
            if i + 1 < end && rb[i + 1] == b'\'' {
                value.push(b'\'');
                map.push(tok.start + i);
                i += 2;
                continue;
            }
            break;
        }
        if escape && c == b'\\' && i + 1 < end {
            let (bytes, used) = decode_backslash(&rb[i + 1..]);
            for x in bytes {
                value.push(x);
                map.push(tok.start + i);
            }
            i += 1 + used;
            continue;
        }
        value.push(c);
        map.push(tok.start + i);
        i += 1;
    }
    map.push(tok.start + i.min(end));
    let value = String::from_utf8(value)
        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
    if value.len() + 1 != map.len() {
        // Lossy decoding changed the length: fall back to a map that points every byte at the token start.
        let map = vec![tok.start; value.len() + 1];
        return Some(StringValue { value, map });
    }
    Some(StringValue { value, map })
}

/// The escape character a `UESCAPE 'c'` clause right after a `U&''` string
/// names (`rest` is the text after the string).
fn uescape_after(rest: &str) -> Option<u8> {
    let rest = rest.trim_start();
    let kw = rest.get(..7)?;
    if !kw.eq_ignore_ascii_case("uescape") {
        return None;
    }
    let b = rest[7..].trim_start().as_bytes();
    // PostgreSQL rejects a quote, `+`, a hex digit or whitespace as the escape.
    match b {
        [b'\'', c, b'\'', ..] if *c != b'\'' => Some(*c),
        _ => None,
    }
}

/// Decode a `U&'...'` string (`raw` is the token, starting at file offset
/// `start`): `''` is a quote, `\\` the escape character itself, `\XXXX` and
/// `\+XXXXXX` code points (a surrogate pair of them is one character).
fn decode_unicode_string(raw: &[u8], start: usize, escape: u8) -> StringValue {
    let code = |digits: &[u8]| -> Option<u32> {
        if !digits.iter().all(u8::is_ascii_hexdigit) {
            return None;
        }
        u32::from_str_radix(std::str::from_utf8(digits).ok()?, 16).ok()
    };
    // The code point of an escape at `i` (pointing at the escape character) and its length.
    let escaped = |i: usize| -> Option<(u32, usize)> {
        if raw.get(i + 1) == Some(&b'+') {
            Some((code(raw.get(i + 2..i + 8)?)?, 8))
        } else {
            Some((code(raw.get(i + 1..i + 5)?)?, 5))
        }
    };
    let mut value = Vec::with_capacity(raw.len());
    let mut map = Vec::with_capacity(raw.len() + 1);
    let end = raw.len();
    let mut i = 3;
    while i < end {
        let c = raw[i];
        if c == b'\'' {
            if raw.get(i + 1) == Some(&b'\'') {
                value.push(b'\'');
                map.push(start + i);
                i += 2;
                continue;
            }
            break;
        }
        if c == escape {
            if raw.get(i + 1) == Some(&escape) {
                value.push(escape);
                map.push(start + i);
                i += 2;
                continue;
            }
            if let Some((v, used)) = escaped(i) {
                let (v, used) = match escaped(i + used) {
                    Some((low, more))
                        if (0xd800..0xdc00).contains(&v)
                            && raw[i + used] == escape
                            && (0xdc00..0xe000).contains(&low) =>
                    {
                        (0x10000 + ((v - 0xd800) << 10) + (low - 0xdc00), used + more)
                    }
                    _ => (v, used),
                };
                let ch = char::from_u32(v).unwrap_or('\u{fffd}');
                let mut buf = [0u8; 4];
                for &x in ch.encode_utf8(&mut buf).as_bytes() {
                    value.push(x);
                    map.push(start + i);
                }
                i += used;
                continue;
            }
        }
        value.push(c);
        map.push(start + i);
        i += 1;
    }
    map.push(start + i.min(end));
    let value = String::from_utf8(value)
        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
    if value.len() + 1 != map.len() {
        let map = vec![start; value.len() + 1];
        return StringValue { value, map };
    }
    StringValue { value, map }
}

/// Decode one backslash escape of an `E''` string (the bytes after the backslash).
fn decode_backslash(rest: &[u8]) -> (Vec<u8>, usize) {
    let c = rest[0];
    let simple = match c {
        b'b' => Some(8u8),
        b'f' => Some(12),
        b'n' => Some(b'\n'),
        b'r' => Some(b'\r'),
        b't' => Some(b'\t'),
        _ => None,
    };
    if let Some(x) = simple {
        return (vec![x], 1);
    }
    if (b'0'..=b'7').contains(&c) {
        let mut v: u32 = 0;
        let mut k = 0;
        while k < 3 && k < rest.len() && (b'0'..=b'7').contains(&rest[k]) {
            v = v * 8 + u32::from(rest[k] - b'0');
            k += 1;
        }
        return (vec![(v & 0xff) as u8], k);
    }
    // `\x` with no hex digit after it is a plain `x`, as in PostgreSQL's scanner.
    if c == b'x' && rest.get(1).is_some_and(u8::is_ascii_hexdigit) {
        let mut v: u32 = 0;
        let mut k = 1;
        while k < 3 && k < rest.len() && rest[k].is_ascii_hexdigit() {
            v = v * 16 + (rest[k] as char).to_digit(16).unwrap_or(0);
            k += 1;
        }
        return (vec![v as u8], k);
    }
    if let Some((v, used)) = unicode_escape(rest) {
        // A high surrogate followed by an escaped low one is one character.
        let pair = (0xd800..0xdc00).contains(&v) && rest.get(used) == Some(&b'\\');
        let (v, used) = match pair.then(|| unicode_escape(&rest[used + 1..])).flatten() {
            Some((low, more)) if (0xdc00..0xe000).contains(&low) => (
                0x10000 + ((v - 0xd800) << 10) + (low - 0xdc00),
                used + 1 + more,
            ),
            _ => (v, used),
        };
        let ch = char::from_u32(v).unwrap_or('\u{fffd}');
        let mut buf = [0u8; 4];
        return (ch.encode_utf8(&mut buf).as_bytes().to_vec(), used);
    }
    // Keep multi-byte characters whole.
    let len = utf8_len(c).min(rest.len());
    (rest[..len].to_vec(), len)
}

/// `uXXXX` or `UXXXXXXXX` (the bytes after a backslash): the code point and
/// the bytes used.
fn unicode_escape(rest: &[u8]) -> Option<(u32, usize)> {
    let len = match rest.first()? {
        b'u' => 4,
        b'U' => 8,
        _ => return None,
    };
    let digits = rest.get(1..=len)?;
    if !digits.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    let v = u32::from_str_radix(std::str::from_utf8(digits).ok()?, 16).ok()?;
    Some((v, 1 + len))
}

fn utf8_len(first: u8) -> usize {
    match first {
        0xf0..=0xff => 4,
        0xe0..=0xef => 3,
        0xc0..=0xdf => 2,
        _ => 1,
    }
}

/// Index of the token that starts at byte `offset`, or the last token starting before it.
pub fn token_at(tokens: &[Token], offset: usize) -> Option<usize> {
    match tokens.binary_search_by(|t| t.start.cmp(&offset)) {
        Ok(i) => Some(i),
        Err(0) => None,
        Err(i) => Some(i - 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stmts(src: &str) -> Vec<&str> {
        split(src, Lexer::new(src))
            .into_iter()
            .map(|r| &src[r.start..r.end])
            .collect()
    }

    #[test]
    fn splits_like_psql() {
        assert_eq!(
            stmts("select 1; -- c\nselect ';' ;"),
            vec!["select 1", "select ';'"]
        );
        assert_eq!(stmts("create function f() returns int begin atomic select 1; select case when true then 1 end; end; select 2"), vec![
            "create function f() returns int begin atomic select 1; select case when true then 1 end; end",
            "select 2"
        ]);
        assert_eq!(
            stmts("do $x$ begin; end $x$; \\echo hi; there\nselect 3"),
            vec!["do $x$ begin; end $x$", "select 3"]
        );
        assert_eq!(
            stmts("select 'unterminated; select 2"),
            vec!["select 'unterminated; select 2"]
        );
        assert_eq!(stmts("/* a /* nested; */ ; */ select 1"), vec!["select 1"]);
    }

    #[test]
    fn decodes_strings_with_offsets() {
        let src = "x 'it''s' E'a\\nb' $f$ body $f$";
        let toks = lex(src);
        let v = decode_string(src, &toks[1]).unwrap();
        assert_eq!(v.value, "it's");
        assert_eq!(v.map[2], 5); // the 's' after the doubled quote: 'it''s' -> s at 7
        assert_eq!(&src[v.map[3]..v.map[3] + 1], "s");
        let e = decode_string(src, &toks[2]).unwrap();
        assert_eq!(e.value, "a\nb");
        assert_eq!(&src[e.map[2]..e.map[2] + 1], "b");
        let d = decode_string(src, &toks[3]).unwrap();
        assert_eq!(d.value, " body ");
        assert_eq!(&src[d.map[1]..d.map[1] + 4], "body");
    }

    fn kinds(src: &str) -> Vec<(TokenKind, &str)> {
        lex(src).iter().map(|t| (t.kind, t.text(src))).collect()
    }

    /// The byte classes: form feed is white space and vertical tab is not
    /// (as `u8::is_ascii_whitespace`); `$` and digits continue a word but
    /// do not start one; any byte of a multi-byte character is a word byte.
    #[test]
    fn byte_classes() {
        assert_eq!(
            kinds("a\x0cb\x0bc"),
            [
                (TokenKind::Word, "a"),
                (TokenKind::Word, "b"),
                (TokenKind::Operator, "\x0b"),
                (TokenKind::Word, "c"),
            ]
        );
        assert_eq!(
            kinds("x1$ 1x é日 +-*/<>=~!@#%^&|`?: ;"),
            [
                (TokenKind::Word, "x1$"),
                (TokenKind::Number, "1x"),
                (TokenKind::Word, "é日"),
                (TokenKind::Operator, "+-*/<>=~!@#%^&|`?:"),
                (TokenKind::Punct, ";"),
            ]
        );
    }

    /// Comments, quoted tokens and meta-commands end where PostgreSQL's
    /// lexer ends them, whatever stray quote, star or slash is inside.
    #[test]
    fn long_tokens_end_in_the_right_place() {
        use TokenKind::*;
        let src = "/* a * b / c /* nested */ still * / in */ x";
        assert_eq!(
            kinds(src)[0],
            (Comment, "/* a * b / c /* nested */ still * / in */")
        );
        assert_eq!(kinds(src)[1], (Word, "x"));
        // unterminated: kept as an operator so the parser reports it
        assert_eq!(kinds("/* open * /")[0], (Operator, "/* open * /"));
        assert_eq!(
            kinds("'it''s' 'a\\' x"),
            [(String, "'it''s'"), (String, "'a\\'"), (Word, "x")]
        );
        assert_eq!(
            kinds("E'a\\'b' E'x''y' E'\\\\' y"),
            [
                (String, "E'a\\'b'"),
                (String, "E'x''y'"),
                (String, "E'\\\\'"),
                (Word, "y")
            ]
        );
        assert_eq!(kinds("E'ends with \\")[0], (String, "E'ends with \\"));
        assert_eq!(kinds("'open")[0], (String, "'open"));
        assert_eq!(
            kinds("\"a\"\"b\" c"),
            [(QuotedIdent, "\"a\"\"b\""), (Word, "c")]
        );
        assert_eq!(kinds("-- last line"), [(Comment, "-- last line")]);
        assert_eq!(
            kinds("-- c\r\n\\echo x\nselect"),
            [
                (Comment, "-- c\r"),
                (MetaCommand, "\\echo x"),
                (Word, "select")
            ]
        );
        assert_eq!(kinds("\\q"), [(MetaCommand, "\\q")]);
    }
}
