//! Source files: decoding, placeholder neutralisation and line/column lookup.

use crate::parse::lexer::{is_copy_from_stdin, Lexer, Splitter, StmtRange, Token, TokenKind};

/// A file as the analyzer sees it.
///
/// `text` is what the user wrote (lossily decoded if it was not UTF-8).
/// The text the analyzer parses ([`SourceFile::prepared`]) has exactly the
/// same length: extension-script placeholders (`@extschema@`,
/// `@extschema:NAME@`, `@extowner@`, `@database_owner@`) are turned into
/// double-quoted identifiers of the same width and psql meta-commands,
/// NUL bytes and a byte-order mark are blanked, so every byte offset into
/// it is also an offset into `text`. Only the bytes that differ are kept
/// (a file is held once, not twice).
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub path: String,
    pub text: String,
    /// Where the prepared text differs from `text`: runs of bytes
    /// (start, end) that all read `byte` there (a space or a `"`).
    patches: Vec<(usize, usize, u8)>,
    /// The statements of the file (as psql splits them).
    pub statements: Vec<StmtRange>,
    /// `-- extguard: ignore ...` comments: (offsets of the comment, codes).
    pub directives: Vec<(std::ops::Range<usize>, Vec<String>)>,
    line_starts: Vec<usize>,
    /// Set when the input was not valid UTF-8 (offset of the first bad byte).
    pub invalid_utf8_at: Option<usize>,
}

/// The quoted identifier a placeholder becomes: `@extschema@` -> `"extschema"`.
pub const EXTSCHEMA: &str = "extschema";

impl SourceFile {
    pub fn new(path: impl Into<String>, bytes: &[u8]) -> Self {
        Self::from_bytes(path, bytes.to_vec())
    }

    /// As [`SourceFile::new`], owning the bytes: valid UTF-8 becomes the
    /// text without a copy.
    pub fn from_bytes(path: impl Into<String>, bytes: Vec<u8>) -> Self {
        match String::from_utf8(bytes) {
            Ok(text) => Self::from_text(path, text, None),
            Err(e) => {
                let at = e.utf8_error().valid_up_to();
                let text = String::from_utf8_lossy(e.as_bytes()).into_owned();
                Self::from_text(path, text, Some(at))
            }
        }
    }

    pub fn from_text(
        path: impl Into<String>,
        text: String,
        invalid_utf8_at: Option<usize>,
    ) -> Self {
        // libpg_query takes C strings: a NUL byte would cut the statement.
        let mut prepared = text.replace('\0', " ");
        // A byte-order mark is not SQL: blank it (three bytes, three spaces).
        if prepared.starts_with('\u{feff}') {
            prepared.replace_range(..3, "   ");
        }
        neutralise_placeholders(&mut prepared);
        // One streaming pass: statements, meta-commands (and what psql does
        // not send as SQL: `COPY ... FROM STDIN` data, the `:` of
        // `:'variable'` / `:"variable"` interpolations), suppression comments.
        let mut splitter = Splitter::default();
        let mut meta = Vec::new();
        let mut directives = Vec::new();
        let mut lexer = Lexer::new(&prepared);
        let mut prev: Option<Token> = None;
        while let Some(t) = lexer.next() {
            match t.kind {
                TokenKind::MetaCommand => {
                    meta.push((t.start, t.end));
                    splitter.push(&prepared, &t);
                }
                TokenKind::Comment => {
                    if let Some(codes) = parse_directive(t.text(&prepared)) {
                        directives.push((t.start..t.end, codes));
                    }
                }
                _ => {
                    if let Some(p) = prev {
                        if is_variable_colon(&prepared, &p, &t) {
                            meta.push((p.start, p.end));
                        }
                    }
                    let before = splitter.last();
                    splitter.push(&prepared, &t);
                    if t.is_punct(&prepared, ';') && splitter.last() != before {
                        if let Some(stmt) = splitter.last() {
                            if is_copy_from_stdin(&prepared[stmt.start..stmt.end]) {
                                if let Some((data_start, data_end)) = copy_data(&prepared, t.end) {
                                    meta.push((data_start, data_end));
                                    lexer.skip_to(data_end);
                                }
                            }
                        }
                    }
                }
            }
            prev = Some(t);
        }
        blank_ranges(&mut prepared, &meta);
        let patches = differences(&text, &prepared);
        drop(prepared);
        let mut line_starts = vec![0];
        line_starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1));
        SourceFile {
            path: path.into(),
            text,
            patches,
            statements: splitter.finish(),
            directives,
            line_starts,
            invalid_utf8_at,
        }
    }

    /// 1-based line and 1-based column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let start = self.line_starts[line];
        let mut o = offset;
        while o > start && !self.text.is_char_boundary(o) {
            o -= 1;
        }
        // editors do not count a byte-order mark as a column
        let line_text = self.text[start..o]
            .strip_prefix('\u{feff}')
            .unwrap_or(&self.text[start..o]);
        let col = line_text.chars().count() + 1;
        (line + 1, col)
    }

    /// [`Self::line_col`] of both ends of a span; an end on the start's line
    /// is counted on from the start.
    pub fn span_line_cols(&self, start: usize, end: usize) -> ((usize, usize), (usize, usize)) {
        let first = self.line_col(start);
        let start = start.min(self.text.len());
        let end = end.min(self.text.len());
        let next_line = self.line_starts.get(first.0).copied().unwrap_or(usize::MAX);
        if start <= end
            && end < next_line
            && self.text.is_char_boundary(start)
            && self.text.is_char_boundary(end)
            // a byte-order mark at the line's start counts for no column
            && !(start == self.line_starts[first.0 - 1] && self.text[start..].starts_with('\u{feff}'))
        {
            let col = first.1 + self.text[start..end].chars().count();
            return (first, (first.0, col));
        }
        (first, self.line_col(end))
    }

    /// The prepared text of `start..end` (byte offsets of `text`).
    pub fn prepared(&self, start: usize, end: usize) -> std::borrow::Cow<'_, str> {
        let first = self.patches.partition_point(|&(_, e, _)| e <= start);
        let touching = self.patches[first..]
            .iter()
            .take_while(|&&(s, _, _)| s < end);
        let mut bytes: Option<Vec<u8>> = None;
        for &(s, e, b) in touching {
            let buf = bytes.get_or_insert_with(|| self.text.as_bytes()[start..end].to_vec());
            buf[s.max(start) - start..e.min(end) - start].fill(b);
        }
        match bytes {
            None => std::borrow::Cow::Borrowed(&self.text[start..end]),
            // whole characters were replaced by ASCII bytes
            Some(b) => std::borrow::Cow::Owned(
                String::from_utf8(b).expect("patches cover whole characters"),
            ),
        }
    }

    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    /// Line `n` (1-based) without its line end, as [`str::lines`] yields
    /// it; `None` past the last line (an empty text after a final newline
    /// is no line).
    pub fn line_text(&self, n: usize) -> Option<&str> {
        let start = *self.line_starts.get(n.checked_sub(1)?)?;
        if start == self.text.len() {
            return None;
        }
        match self.line_starts.get(n) {
            Some(&next) => {
                let l = &self.text[start..next - 1];
                Some(l.strip_suffix('\r').unwrap_or(l))
            }
            None => Some(&self.text[start..]),
        }
    }
}

fn neutralise_placeholders(s: &mut String) {
    if !s.contains('@') {
        return;
    }
    // SAFETY-free: we only replace ASCII '@' by ASCII '"', keeping UTF-8 valid.
    let mut bytes = std::mem::take(s).into_bytes();
    let mut from = 0;
    while let Some(at) = memchr::memchr(b'@', &bytes[from..]) {
        let i = from + at;
        from = i + 1;
        if let Some(end) = placeholder_end(&bytes, i) {
            let quoted_before = i > 0 && bytes[i - 1] == b'"';
            if !quoted_before {
                bytes[i] = b'"';
                bytes[end] = b'"';
            }
            from = end + 1;
        }
    }
    *s = String::from_utf8(bytes).expect("ASCII substitution keeps UTF-8 valid");
}

/// If `b[i..]` is a placeholder, the index of its closing `@`.
fn placeholder_end(b: &[u8], i: usize) -> Option<usize> {
    for name in [&b"extowner"[..], b"database_owner", b"extschema"] {
        let j = i + 1 + name.len();
        if b.len() > j && &b[i + 1..j] == name {
            if b[j] == b'@' {
                return Some(j);
            }
            if name == b"extschema" && b[j] == b':' {
                let mut k = j + 1;
                while k < b.len() && (b[k].is_ascii_alphanumeric() || b[k] == b'_' || b[k] == b'-')
                {
                    k += 1;
                }
                if k > j + 1 && k < b.len() && b[k] == b'@' {
                    return Some(k);
                }
            }
        }
    }
    None
}

/// The data psql reads after `COPY ... FROM STDIN` ending at `after`:
/// from the next line up to and including a line `\.`. Without such a
/// line the file is not a psql script with inline data (an extension
/// script's `COPY ... FROM STDIN` has none): None, and what follows is SQL.
fn copy_data(s: &str, after: usize) -> Option<(usize, usize)> {
    let start = after + s[after..].find('\n')? + 1;
    let mut line_start = start;
    while line_start < s.len() {
        let line_end = s[line_start..]
            .find('\n')
            .map_or(s.len(), |i| line_start + i);
        if s[line_start..line_end].trim_end_matches('\r') == "\\." {
            return Some((start, line_end));
        }
        line_start = line_end + 1;
    }
    None
}

/// Whether `colon` is psql's variable interpolation (`:'name'`,
/// `:"name"`, `:name`): a lone `:` operator right before a string, a quoted
/// identifier or, when nothing but a blank, `(` or `,` comes before the
/// colon (not an array slice `a[1:n]`), a word. psql replaces it by the
/// variable's value; blanking the colon leaves the name in its place.
fn is_variable_colon(s: &str, colon: &Token, next: &Token) -> bool {
    if colon.kind != TokenKind::Operator || colon.text(s) != ":" || next.start != colon.end {
        return false;
    }
    let b = s.as_bytes();
    match b.get(next.start) {
        Some(b'\'') | Some(b'"') => true,
        _ => {
            next.kind == TokenKind::Word
                && (colon.start == 0
                    || matches!(
                        b[colon.start - 1],
                        b' ' | b'\t' | b'\n' | b'\r' | b'(' | b','
                    ))
        }
    }
}

/// Runs of bytes where `prepared` differs from `text` (same length).
fn differences(text: &str, prepared: &str) -> Vec<(usize, usize, u8)> {
    const CHUNK: usize = 4096;
    let (text, prepared) = (text.as_bytes(), prepared.as_bytes());
    let mut out: Vec<(usize, usize, u8)> = Vec::new();
    // whole equal chunks are skipped with one comparison each
    for (c, (ta, pa)) in text.chunks(CHUNK).zip(prepared.chunks(CHUNK)).enumerate() {
        if ta == pa {
            continue;
        }
        for (j, (a, b)) in ta.iter().zip(pa).enumerate() {
            if a != b {
                let i = c * CHUNK + j;
                match out.last_mut() {
                    Some((_, e, byte)) if *e == i && *byte == *b => *e = i + 1,
                    _ => out.push((i, i + 1, *b)),
                }
            }
        }
    }
    out
}

/// Replace byte ranges (whole tokens) by spaces.
fn blank_ranges(s: &mut String, ranges: &[(usize, usize)]) {
    if ranges.is_empty() {
        return;
    }
    let mut bytes = std::mem::take(s).into_bytes();
    for &(start, end) in ranges {
        bytes[start..end].fill(b' ');
    }
    *s = String::from_utf8(bytes).expect("blanking whole tokens keeps UTF-8 valid");
}

/// `-- extguard: ignore PS016, PS001` -> ["PS016", "PS001"].
pub fn parse_directive(comment: &str) -> Option<Vec<String>> {
    let mut body = comment;
    while let Some(rest) = body.strip_prefix("--") {
        body = rest;
    }
    while let Some(rest) = body.strip_prefix("/*") {
        body = rest;
    }
    while let Some(rest) = body.strip_suffix("*/") {
        body = rest;
    }
    let body = body.trim();
    let rest = body.strip_prefix("extguard:")?.trim_start();
    let rest = rest.strip_prefix("ignore")?;
    let codes: Vec<String> = rest
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .map(|s| s.to_ascii_uppercase())
        .collect();
    (!codes.is_empty()).then_some(codes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_keep_offsets() {
        let f = SourceFile::new(
            "t.sql",
            b"SELECT @extschema@.f(), @extschema:cube@.g(), @extowner@;\n\\echo x\n",
        );
        let prepared = f.prepared(0, f.text.len());
        assert_eq!(prepared.len(), f.text.len());
        assert!(
            prepared.starts_with("SELECT \"extschema\".f(), \"extschema:cube\".g(), \"extowner\";")
        );
        assert!(prepared.ends_with("\n       \n"));
        // a slice that touches no placeholder is borrowed
        assert!(matches!(
            f.prepared(0, 6),
            std::borrow::Cow::Borrowed("SELECT")
        ));
        assert_eq!(f.prepared(8, 19), "extschema\".");
    }

    #[test]
    fn bom_nul_and_meta_commands_are_neutralised() {
        let f = SourceFile::new(
            "t.sql",
            "\u{feff}SELECT 1;\0SELECT 2; -- extguard: ignore PS016\n\\echo x; y\nSELECT 3"
                .as_bytes(),
        );
        let stmts: Vec<String> = f
            .statements
            .iter()
            .map(|r| f.prepared(r.start, r.end).into_owned())
            .collect();
        assert_eq!(stmts, ["SELECT 1", "SELECT 2", "SELECT 3"]);
        assert_eq!(f.directives.len(), 1);
    }

    #[test]
    fn psql_scripts_split_and_neutralise_as_psql_sends_them() {
        let src = "SELECT format('%s', 1) AS v \\gset\n\
                   SELECT :'v', :\"v\", a::text, b[1:n], f(:v) FROM t \\gexec\n\
                   COPY t FROM STDIN;\n\
                   1\t'x\n\
                   \\.\n\
                   copy t (a) from stdin with (format csv) ;\n\
                   2,\"y;\n\
                   \\.\n\
                   SELECT 3;\n\
                   COPY t FROM STDIN;\n\
                   no end";
        let f = SourceFile::new("t.sql", src.as_bytes());
        let stmts: Vec<String> = f
            .statements
            .iter()
            .map(|r| f.prepared(r.start, r.end).into_owned())
            .collect();
        assert_eq!(
            stmts,
            [
                "SELECT format('%s', 1) AS v",
                "SELECT  'v',  \"v\", a::text, b[1:n], f( v) FROM t",
                "COPY t FROM STDIN",
                "copy t (a) from stdin with (format csv)",
                "SELECT 3",
                "COPY t FROM STDIN",
                "no end",
            ]
        );
        // the data lines are blanked, offsets unchanged
        let (line, _) = f.line_col(f.statements[4].start);
        assert_eq!(line, 9);
    }

    #[test]
    fn span_line_cols_agree_with_line_col() {
        let text = "\u{feff}ab\néé x\r\n\u{feff}\nz";
        let f = SourceFile::new("t.sql", text.as_bytes());
        let bounds: Vec<usize> = (0..=text.len() + 2).collect();
        for &s in &bounds {
            for &e in &bounds {
                if s <= text.len() && !text.is_char_boundary(s) {
                    continue;
                }
                assert_eq!(
                    f.span_line_cols(s, e),
                    (f.line_col(s), f.line_col(e)),
                    "{s}..{e}"
                );
            }
        }
    }

    #[test]
    fn line_col_counts_characters() {
        let f = SourceFile::new("t.sql", "a\néb".as_bytes());
        assert_eq!(f.line_col(0), (1, 1));
        assert_eq!(f.line_col(2), (2, 1));
        assert_eq!(f.line_col(4), (2, 2));
    }

    #[test]
    fn line_text_is_what_str_lines_yields() {
        for text in [
            "",
            "\n",
            "a",
            "a\n",
            "a\r\nb",
            "a\r\n\r\nb\r",
            "\n\nc\n",
            "x\ry\n",
            "é\r\n",
        ] {
            let f = SourceFile::new("t.sql", text.as_bytes());
            let mine: Vec<&str> = (1..).map_while(|n| f.line_text(n)).collect();
            assert_eq!(mine, text.lines().collect::<Vec<_>>(), "{text:?}");
            assert_eq!(f.line_text(0), None);
        }
    }
}
