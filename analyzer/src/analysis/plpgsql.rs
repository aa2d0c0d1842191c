//! PL/pgSQL bodies (functions and DO blocks).
//!
//! libpg_query's PL/pgSQL parser gives a JSON tree whose expressions carry
//! only their query text and parse mode; each is found again in the body text
//! (near its statement's line) so that findings inside it get exact spans.
//! The walk is path-sensitive for search_path: a SET inside one IF branch does
//! not make the code after END IF secure, loops and exception handlers are
//! joined conservatively, and RETURN / RAISE EXCEPTION end a path.

use serde_json::Value;

use super::{analyze_statement, Cx, Unit};
use crate::finding::Severity;
use crate::parse::lexer::{self, TokenKind};
use crate::rules;
use crate::search_path::State;
use crate::span::OffsetMap;

/// Loops nested deeper than this skip their silent first pass (which would
/// otherwise cost 2^depth walks).
const MAX_SILENT_NESTING: usize = 4;

/// elog level of RAISE EXCEPTION (PostgreSQL's ERROR).
const ERROR_LEVEL: i64 = 21;

/// Analyse a PL/pgSQL body. `stmt_text` is the whole CREATE FUNCTION / DO
/// statement (what the PL/pgSQL parser needs); `body` is its body literal.
pub fn analyze(cx: &mut Cx, state: &mut State, stmt: &Unit, body: &Unit, stmt_text: &str) {
    let tree = match pg_query::parse_plpgsql(stmt_text) {
        Ok(v) => v,
        Err(e) => {
            let span = body.span((0, body.text.len().min(1)));
            match e {
                pg_query::Error::Parse(m) => cx.report(
                    &rules::EG001,
                    Severity::Error,
                    span,
                    format!("PL/pgSQL body does not parse: {m}"),
                    None,
                ),
                other => cx.report(
                    &rules::EG006,
                    Severity::Warning,
                    span,
                    format!("PL/pgSQL body is nested too deeply to analyse: {other}"),
                    None,
                ),
            }
            return;
        }
    };
    let _ = stmt;
    let mut line_starts = vec![0];
    line_starts.extend(
        body.text
            .bytes()
            .enumerate()
            .filter(|(_, b)| *b == b'\n')
            .map(|(i, _)| i + 1),
    );
    let mut w = Walker {
        cx,
        body,
        line_starts,
        silent: 0,
    };
    for func in tree.as_array().into_iter().flatten() {
        let Some(f) = func.get("PLpgSQL_function") else {
            continue;
        };
        // DECLARE defaults and cursor queries.
        for d in f
            .get("datums")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            w.exprs(d, state, 0);
        }
        if let Some(action) = f.get("action") {
            w.stmt(action, state);
        }
    }
}

struct Walker<'a, 'c, 'f> {
    cx: &'a mut Cx<'f>,
    body: &'a Unit<'c>,
    line_starts: Vec<usize>,
    /// While > 0, findings are discarded (the first pass over a loop body).
    silent: usize,
}

/// The one key of a `{"Kind": {...}}` node.
fn kind(v: &Value) -> Option<(&str, &Value)> {
    let o = v.as_object()?;
    let (k, inner) = o.iter().next()?;
    Some((k.as_str(), inner))
}

fn lineno(v: &Value) -> usize {
    v.get("lineno").and_then(Value::as_u64).unwrap_or(0) as usize
}

impl Walker<'_, '_, '_> {
    /// Walk a statement list; returns whether control can fall off its end.
    fn list(&mut self, v: Option<&Value>, st: &mut State) -> bool {
        for s in v.and_then(Value::as_array).into_iter().flatten() {
            if !self.stmt(s, st) {
                return false;
            }
        }
        true
    }

    /// Walk one statement; returns whether control falls through to the next one.
    fn stmt(&mut self, s: &Value, st: &mut State) -> bool {
        let Some((k, n)) = kind(s) else { return true };
        let line = lineno(n);
        match k {
            "PLpgSQL_stmt_block" => {
                let entry = st.clone();
                let mut falls = self.list(n.get("body"), st);
                let handlers = n
                    .get("exceptions")
                    .and_then(|e| e.get("PLpgSQL_exception_block"))
                    .and_then(|e| e.get("exc_list"))
                    .and_then(Value::as_array);
                if let Some(handlers) = handlers {
                    let mut exit = if falls { Some(st.clone()) } else { None };
                    for h in handlers {
                        let h = h.get("PLpgSQL_exception").unwrap_or(h);
                        // an error can come from anywhere in the block
                        let mut hs = entry.clone();
                        hs.join(st);
                        if self.list(h.get("action"), &mut hs) {
                            match &mut exit {
                                Some(e) => e.join(&hs),
                                None => exit = Some(hs),
                            }
                        }
                    }
                    falls = exit.is_some();
                    if let Some(e) = exit {
                        *st = e;
                    }
                }
                falls
            }
            "PLpgSQL_stmt_if" => {
                self.expr_field(n, "cond", st, line);
                let mut exits: Vec<State> = Vec::new();
                let mut then_st = st.clone();
                if self.list(n.get("then_body"), &mut then_st) {
                    exits.push(then_st);
                }
                let mut else_path = st.clone();
                for e in n
                    .get("elsif_list")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    let e = e.get("PLpgSQL_if_elsif").unwrap_or(e);
                    self.expr_field(e, "cond", &mut else_path, lineno(e));
                    let mut b = else_path.clone();
                    if self.list(e.get("stmts"), &mut b) {
                        exits.push(b);
                    }
                }
                if self.list(n.get("else_body"), &mut else_path) {
                    exits.push(else_path);
                }
                self.merge(exits, st)
            }
            "PLpgSQL_stmt_case" => {
                self.expr_field(n, "t_expr", st, line);
                let mut exits = Vec::new();
                for w in n
                    .get("case_when_list")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    let w = w.get("PLpgSQL_case_when").unwrap_or(w);
                    self.expr_field(w, "expr", st, lineno(w));
                    let mut b = st.clone();
                    if self.list(w.get("stmts"), &mut b) {
                        exits.push(b);
                    }
                }
                // without ELSE, no match raises CASE_NOT_FOUND: that path ends
                if n.get("have_else").and_then(Value::as_bool).unwrap_or(false) {
                    let mut b = st.clone();
                    if self.list(n.get("else_stmts"), &mut b) {
                        exits.push(b);
                    }
                }
                self.merge(exits, st)
            }
            "PLpgSQL_stmt_loop"
            | "PLpgSQL_stmt_while"
            | "PLpgSQL_stmt_fori"
            | "PLpgSQL_stmt_fors"
            | "PLpgSQL_stmt_forc"
            | "PLpgSQL_stmt_foreach_a"
            | "PLpgSQL_stmt_dynfors" => {
                // loop header expressions
                for key in [
                    "cond", "lower", "upper", "step", "query", "expr", "argquery",
                ] {
                    self.expr_field(n, key, st, line);
                }
                for p in n
                    .get("params")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    self.expr_value(p, st, line);
                }
                // First a silent pass to learn what one iteration does, then
                // the reported pass from the join of entry and that result.
                let mut head = st.clone();
                if self.silent < MAX_SILENT_NESTING {
                    let mut probe = st.clone();
                    self.silent += 1;
                    self.list(n.get("body"), &mut probe);
                    self.silent -= 1;
                    head.join(&probe);
                }
                let mut body = head.clone();
                self.list(n.get("body"), &mut body);
                // zero iterations, or any number of them (EXIT leaves from anywhere)
                head.join(&body);
                *st = head;
                true
            }
            "PLpgSQL_stmt_return" => {
                self.exprs(n, st, line);
                false
            }
            "PLpgSQL_stmt_raise" => {
                self.exprs(n, st, line);
                let level = n
                    .get("elog_level")
                    .and_then(Value::as_i64)
                    .unwrap_or(ERROR_LEVEL);
                level < ERROR_LEVEL
            }
            "PLpgSQL_stmt_commit" => {
                st.commit();
                true
            }
            "PLpgSQL_stmt_rollback" => {
                st.rollback();
                true
            }
            _ => {
                self.exprs(n, st, line);
                true
            }
        }
    }

    /// The state after a branching statement: the join of the paths that fall through.
    fn merge(&mut self, exits: Vec<State>, st: &mut State) -> bool {
        let mut it = exits.into_iter();
        let Some(mut first) = it.next() else {
            return false;
        };
        for e in it {
            first.join(&e);
        }
        *st = first;
        true
    }

    fn expr_field(&mut self, n: &Value, key: &str, st: &mut State, line: usize) {
        if let Some(e) = n.get(key) {
            self.expr_value(e, st, line);
        }
    }

    /// Analyse every expression found anywhere inside `v` (statements that
    /// have no control flow of their own), in document order.
    fn exprs(&mut self, v: &Value, st: &mut State, line: usize) {
        match v {
            Value::Object(o) => {
                if let Some(e) = o.get("PLpgSQL_expr") {
                    self.expr(e, st, line);
                    return;
                }
                let line = o
                    .get("lineno")
                    .and_then(Value::as_u64)
                    .map_or(line, |l| l as usize);
                for (k, child) in o {
                    // nested statement lists inside unknown nodes still get walked
                    if k.starts_with("PLpgSQL_stmt_") {
                        self.stmt(
                            &Value::Object([(k.clone(), child.clone())].into_iter().collect()),
                            st,
                        );
                    } else {
                        self.exprs(child, st, line);
                    }
                }
            }
            Value::Array(a) => {
                for x in a {
                    self.exprs(x, st, line);
                }
            }
            _ => {}
        }
    }

    fn expr_value(&mut self, v: &Value, st: &mut State, line: usize) {
        if let Some(e) = v.get("PLpgSQL_expr") {
            self.expr(e, st, line);
        }
    }

    /// Analyse one PL/pgSQL expression or embedded statement.
    fn expr(&mut self, e: &Value, st: &mut State, line: usize) {
        let Some(query) = e.get("query").and_then(Value::as_str) else {
            return;
        };
        let mode = e.get("parseMode").and_then(Value::as_i64).unwrap_or(0);
        let map = self.locate(query, line);
        // parse modes: 0 = a whole statement, 2 = an expression, 3..5 = an assignment
        let (text, map) = match mode {
            0 => (query.to_string(), map),
            _ => {
                let start = if mode >= 3 { assignment_rhs(query) } else { 0 };
                let rhs = &query[start..];
                (format!("SELECT {rhs}"), map.with_prefix(7, start))
            }
        };
        let unit = Unit::owned(text, map);
        let before = self.cx.findings.len();
        analyze_statement(self.cx, st, &unit);
        if self.silent > 0 {
            self.cx.findings.truncate(before);
        }
    }

    /// Where a query text sits in the body, as an offset map for its bytes.
    fn locate(&self, query: &str, line: usize) -> OffsetMap {
        let text = &self.body.text;
        let from = self
            .line_starts
            .get(line.saturating_sub(1))
            .copied()
            .unwrap_or(0);
        let at = |needle: &str| {
            text[from..]
                .find(needle)
                .map(|p| p + from)
                .or_else(|| text.find(needle))
        };
        if let Some(p) = at(query) {
            return self.body.map.shifted(p);
        }
        // PERFORM x becomes "SELECT x": same text after the first word.
        if let Some(rest) = query.strip_prefix("SELECT") {
            if !rest.is_empty() {
                if let Some(p) = at(&format!("PERFORM{rest}")) {
                    let table: Vec<usize> = (0..6)
                        .map(|i| p + i)
                        .chain((6..=query.len()).map(|i| p + i + 1))
                        .collect();
                    return self.body.map.compose(&table);
                }
            }
        }
        // An INTO clause is blanked out of the query: offsets stay the same,
        // so the text before the blanks locates it.
        let head = query.split("  ").next().unwrap_or(query);
        if head.len() >= 6 {
            if let Some(p) = at(head) {
                return self.body.map.shifted(p);
            }
        }
        // Fallback: the start of the statement's line.
        OffsetMap::Table(vec![self.body.map.to_file(from)].into())
    }
}

/// Offset of the right-hand side of `target := expr` / `target = expr`.
fn assignment_rhs(query: &str) -> usize {
    let mut depth = 0i32;
    for t in lexer::lex(query) {
        match (t.kind, t.text(query)) {
            (TokenKind::Punct, "(") | (TokenKind::Punct, "[") => depth += 1,
            (TokenKind::Punct, ")") | (TokenKind::Punct, "]") => depth -= 1,
            (TokenKind::Operator, ":=") | (TokenKind::Operator, "=") if depth == 0 => return t.end,
            _ => {}
        }
    }
    0
}
