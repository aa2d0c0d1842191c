//! Spans of the words and names of a [`Unit`], for the positions of findings.

use super::Unit;
use crate::parse::lexer::{self, Token, TokenKind};
use crate::span::Span;

impl Unit<'_> {
    /// File span of the token at a node location (local to the unit).
    pub fn token_span(&self, loc: i32) -> Span {
        self.span(self.token_range(loc.max(0) as usize))
    }

    /// File span of the (qualified) name at a node location.
    pub fn name_span(&self, loc: i32) -> Span {
        self.span(self.name_range(loc.max(0) as usize))
    }

    /// File span of the whole statement being walked.
    pub fn statement_span(&self) -> Span {
        self.span((0, self.text.len()))
    }

    /// File span of the first token at or after `loc` that is the word `kw`,
    /// else of the statement's first token.
    pub fn keyword_span(&self, kw: &str) -> Span {
        for t in self.tokens().iter() {
            if t.kind == TokenKind::Word && self.text[t.start..t.end].eq_ignore_ascii_case(kw) {
                return self.span((t.start, t.end));
            }
        }
        self.token_span(0)
    }

    /// File span of the last word `kw` that starts before the file offset
    /// `before` (the keyword right in front of a literal), if any.
    pub fn keyword_span_before(&self, kw: &str, before: usize) -> Option<Span> {
        self.tokens()
            .iter()
            .rev()
            .map(|t| (t.start, t.end, t.kind))
            .find(|&(s, e, k)| {
                k == TokenKind::Word
                    && self.map.to_file(s) < before
                    && self.text[s..e].eq_ignore_ascii_case(kw)
            })
            .map(|(s, e, _)| self.span((s, e)))
    }

    /// Local tokens of the unit with offsets relative to its text.
    fn local_tokens(&self) -> impl Iterator<Item = (usize, Token)> + '_ {
        self.tokens().iter().copied().enumerate()
    }

    /// File span of `n` consecutive tokens starting at a node location.
    pub fn tokens_span(&self, loc: i32, n: usize) -> Span {
        let loc = loc.max(0) as usize;
        let toks: Vec<_> = self
            .local_tokens()
            .map(|(_, t)| t)
            .filter(|t| t.start >= loc)
            .take(n)
            .collect();
        match (toks.first(), toks.last()) {
            (Some(a), Some(b)) => self.span((a.start, b.end)),
            _ => self.token_span(loc as i32),
        }
    }

    /// File span of a `SET name = value, ...` clause starting at a DefElem location.
    pub fn set_clause_span(&self, loc: i32) -> Span {
        use TokenKind as K;
        let loc = loc.max(0) as usize;
        let text = &self.text;
        let mut start = None;
        let mut end = loc;
        let mut seen_value = false;
        for (_, t) in self
            .local_tokens()
            .filter(|(_, t)| t.start >= loc && t.is_significant())
        {
            let word = &text[t.start..t.end];
            if start.is_none() {
                start = Some(t.start);
                end = t.end;
                continue;
            }
            let is_assign = t.kind == K::Operator && word == "="
                || t.kind == K::Word && word.eq_ignore_ascii_case("to");
            let is_value = matches!(t.kind, K::Word | K::QuotedIdent | K::String)
                || (t.kind == K::Punct && word == ",");
            if is_assign && !seen_value {
                end = t.end;
            } else if is_value && (seen_value || end > 0) {
                // stop at the next clause keyword after a complete value list
                if seen_value && t.kind == K::Word && !text[end..t.start].contains(',') {
                    break;
                }
                seen_value = true;
                end = t.end;
            } else {
                break;
            }
        }
        self.span((start.unwrap_or(loc), end))
    }

    /// File span of the first occurrence of a (qualified) name in the statement.
    pub fn find_name_span(&self, parts: &[&str]) -> Span {
        self.find_name_span_from(0, parts)
            .unwrap_or_else(|| self.token_span(0))
    }

    /// File span of the first occurrence of a (qualified) name after the first
    /// word `kw` of the statement (`EXECUTE FUNCTION f`, `WITH FUNCTION f`),
    /// else anywhere in the statement.
    pub fn find_name_span_after(&self, kw: &str, parts: &[&str]) -> Span {
        let kw_span = self.keyword_span(kw);
        let all = self.find_name_span(parts);
        if all.start >= kw_span.end {
            return all;
        }
        // the name also occurs earlier: search only the tokens after the keyword
        let from = self
            .local_tokens()
            .map(|(_, t)| t)
            .find(|t| self.map.to_file(t.start) >= kw_span.end)
            .map(|t| t.start);
        match from {
            Some(from) => self.find_name_span_from(from, parts).unwrap_or(all),
            None => all,
        }
    }

    /// Span of the first occurrence of a (qualified) name among the tokens
    /// starting at local offset `from`.
    fn find_name_span_from(&self, from: usize, parts: &[&str]) -> Option<Span> {
        use TokenKind as K;
        let text = &self.text;
        let toks: Vec<_> = self
            .local_tokens()
            .map(|(_, t)| t)
            .filter(|t| t.is_significant() && t.start >= from)
            .collect();
        let matches = |t: &Token, part: &str| {
            let w = &text[t.start..t.end];
            match t.kind {
                K::Word => w.eq_ignore_ascii_case(part),
                K::QuotedIdent => w.len() >= 2 && w[1..w.len() - 1].replace("\"\"", "\"") == part,
                K::Operator => w == part,
                _ => false,
            }
        };
        'outer: for i in 0..toks.len() {
            let mut j = i;
            for (k, part) in parts.iter().enumerate() {
                if k > 0 {
                    if toks.get(j).is_none_or(|t| &text[t.start..t.end] != ".") {
                        continue 'outer;
                    }
                    j += 1;
                }
                match toks.get(j) {
                    Some(t) if matches(t, part) => j += 1,
                    _ => continue 'outer,
                }
            }
            return Some(self.span((toks[i].start, toks[j - 1].end)));
        }
        None
    }

    /// File span of the last string literal of the statement whose value is
    /// `value` (a COPY file name, a library path), if any.
    pub fn string_span(&self, value: &str) -> Option<Span> {
        let text = &self.text;
        self.local_tokens()
            .map(|(_, t)| t)
            .filter(|t| t.kind == TokenKind::String)
            .filter(|t| lexer::decode_string(text, t).is_some_and(|v| v.value == value))
            .last()
            .map(|t| self.span((t.start, t.end)))
    }
}
