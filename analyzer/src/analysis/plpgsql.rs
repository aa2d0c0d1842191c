//! PL/pgSQL bodies (functions and DO blocks).
//!
//! libpg_query's PL/pgSQL parser gives a JSON tree whose expressions carry
//! only their query text and parse mode; each is found again in the body text
//! (near its statement's line) so that findings inside it get exact spans.
//! The walk is path-sensitive for search_path: a SET inside one IF branch does
//! not make the code after END IF secure, loops are joined conservatively
//! (zero or more iterations), an exception handler starts from the
//! search_path of its block's entry (the error rolled the block back, SETs
//! included) and its exit is joined with the block's, and RETURN / RAISE
//! EXCEPTION end a path. DECLARE defaults run at their block's entry; a bound
//! cursor's query is analysed where the cursor is opened.
//!
//! Variables are tracked along the same paths: their taint (for the SQL
//! injection rules) and, when they hold one, their constant string value, so
//! that `EXECUTE v` can be analysed like `EXECUTE '...'` (see [`dynamic`]).

use std::collections::{HashMap, HashSet};

use crate::parse::json::Json as Value;
use pg_query::NodeEnum;

use super::dynamic::{self, Eval, Evaluator, Taint, Text};
use super::plpgsql_tree::{self, Outcome};
use super::{analyze_statement, Cx, Unit};
use crate::finding::Severity;
use crate::parse::lexer::{self, TokenKind};
use crate::parse::names;
use crate::rules;
use crate::search_path::{Name, State};
use crate::span::OffsetMap;

/// Loops nested deeper than this skip their silent first pass (which would
/// otherwise cost 2^depth walks).
const MAX_SILENT_NESTING: usize = 4;

/// elog level of RAISE EXCEPTION (PostgreSQL's ERROR).
const ERROR_LEVEL: i64 = 21;

/// Analyse a PL/pgSQL body. `stmt` is the whole CREATE FUNCTION / DO
/// statement (what the PL/pgSQL parser needs), `body` its body literal,
/// which is `stmt.text[literal.0..literal.1]`.
///
/// PostgreSQL parses the SQL of every expression of a body it validates;
/// the walk parses each itself, so the body is compiled without that check.
/// Only when an expression does not parse (in the walk, or in a last pass
/// over those the walk did not parse as PostgreSQL would) is the body
/// compiled again with the check, and if PostgreSQL rejects it, the walk's
/// findings are dropped for the error PostgreSQL reports.
pub fn analyze(cx: &mut Cx, state: &mut State, stmt: &Unit, body: &Unit, literal: (usize, usize)) {
    let checked = |check| plpgsql_tree::parse(&stmt.text, literal, &body.text, check);
    let mut tree = match checked(false) {
        Outcome::Tree(v) => v,
        // the first error PostgreSQL would report
        _ => match report_rejected(cx, body, checked(true)) {
            Some(v) => v,
            None => return,
        },
    };
    let (findings, suppressions, entry) = (cx.findings.len(), cx.suppressions.len(), state.clone());
    if walk(cx, state, body, &mut tree) {
        return;
    }
    let outcome = checked(true);
    if !matches!(outcome, Outcome::Tree(_)) {
        cx.findings.truncate(findings);
        cx.suppressions.truncate(suppressions);
        *state = entry;
        report_rejected(cx, body, outcome);
    }
}

/// Report a body PostgreSQL rejects (or cannot be parsed without a
/// catalog); the tree when it is not rejected after all.
fn report_rejected(cx: &mut Cx, body: &Unit, outcome: Outcome) -> Option<Value> {
    match outcome {
        Outcome::Tree(v) => Some(v),
        Outcome::Syntax { message, line } => {
            let span = line_span(body, line, &message);
            cx.report(&rules::EG001, Severity::Error, span, message, None);
            None
        }
        Outcome::Incomplete { message, line } => {
            let span = line_span(body, line, &message);
            cx.report(&rules::EG006, Severity::Info, span, message, None);
            None
        }
    }
}

/// Walk the functions of a compiled body; returns whether every expression
/// in them is known to parse as PostgreSQL parses it.
fn walk(cx: &mut Cx, state: &mut State, body: &Unit, tree: &mut Value) -> bool {
    collect_suppressions(cx, body);
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
        datums: std::rc::Rc::new(Vec::new()),
        declared_in: HashMap::new(),
        opened: HashSet::new(),
        params: 0,
        parsed: crate::FastMap::default(),
        unparsed: false,
    };
    // the body's variables do not outlive it (a DO block shares the script's state)
    let outer_vars = std::mem::take(&mut state.vars);
    let outer_consts = std::mem::take(&mut state.consts);
    let mut all_parse = true;
    for func in tree.as_array_mut().into_iter().flatten() {
        let Some(f) = func.get_mut("PLpgSQL_function") else {
            continue;
        };
        w.datums = std::rc::Rc::new(match f.get_mut("datums").map(Value::take) {
            Some(Value::Array(d)) => d,
            _ => Vec::new(),
        });
        let f = &*f;
        w.index_declarations(f.get("action"));
        w.parameters(state);
        if let Some(action) = f.get("action") {
            w.stmt(action, state);
        }
        all_parse = all_parse
            && !w.unparsed
            && w.datums.iter().all(|d| w.rest_parses(d))
            && f.get("action").is_none_or(|a| w.rest_parses(a));
    }
    state.vars = outer_vars;
    state.consts = outer_consts;
    all_parse
}

struct Walker<'a, 'c, 'f> {
    cx: &'a mut Cx<'f>,
    body: &'a Unit<'c>,
    line_starts: Vec<usize>,
    /// While > 0, findings are discarded (the first pass over a loop body).
    silent: usize,
    /// The function's variables, by number (`varno`, `dno`).
    datums: std::rc::Rc<Vec<Value>>,
    /// Line of a block's BEGIN -> the datums its DECLARE section declares.
    declared_in: HashMap<usize, Vec<usize>>,
    /// Bound cursors opened somewhere (their query is analysed at OPEN / FOR).
    opened: HashSet<usize>,
    /// How many of the first datums are the function's parameters (`$1`...).
    params: usize,
    /// The expressions (their `PLpgSQL_expr` objects) the walk parsed, and
    /// whether in a form that parses exactly when PostgreSQL's parse of
    /// them does.
    parsed: crate::FastMap<*const Value, bool>,
    /// Whether the walk met an expression that did not parse.
    unparsed: bool,
}

/// The one key of a `{"Kind": {...}}` node.
fn kind(v: &Value) -> Option<(&str, &Value)> {
    let o = v.as_object()?;
    let (k, inner) = o.iter().next()?;
    Some((*k, inner))
}

fn lineno(v: &Value) -> usize {
    v.get("lineno").and_then(Value::as_u64).unwrap_or(0) as usize
}

impl Walker<'_, '_, '_> {
    /// Assign the variables declared in DECLARE sections to the block whose
    /// BEGIN follows them: the first block (by line) at or after the
    /// declaration. Also note which bound cursors get opened.
    fn index_declarations(&mut self, action: Option<&Value>) {
        let mut blocks = Vec::new();
        let mut opened = HashSet::new();
        collect(action, &mut blocks, &mut opened);
        blocks.sort_unstable();
        blocks.dedup();
        self.declared_in.clear();
        for (i, d) in self.datums.iter().enumerate() {
            let Some((k, v)) = kind(d) else { continue };
            let declared = matches!(k, "PLpgSQL_var" | "PLpgSQL_rec")
                && v.get("lineno").is_some()
                && !v.get("isconst").and_then(Value::as_bool).unwrap_or(false)
                && !refname(v).starts_with("__Case__Variable_");
            if !declared {
                continue;
            }
            let line = lineno(v);
            if let Some(b) = blocks.iter().find(|&&b| b >= line) {
                self.declared_in.entry(*b).or_default().push(i);
            }
        }
        self.opened = opened;

        fn collect(v: Option<&Value>, blocks: &mut Vec<usize>, opened: &mut HashSet<usize>) {
            match v {
                Some(Value::Object(o)) => {
                    for (k, child) in o {
                        match *k {
                            "PLpgSQL_stmt_block" => blocks.push(lineno(child)),
                            "PLpgSQL_stmt_open" | "PLpgSQL_stmt_forc" => {
                                if let Some(c) = child.get("curvar").and_then(Value::as_u64) {
                                    opened.insert(c as usize);
                                }
                            }
                            _ => {}
                        }
                        collect(Some(child), blocks, opened);
                    }
                }
                Some(Value::Array(a)) => {
                    for x in a {
                        collect(Some(x), blocks, opened);
                    }
                }
                _ => {}
            }
        }
    }

    /// Parameters and implicit variables (no line number): raw unless of a
    /// type that cannot carry SQL.
    fn parameters(&mut self, st: &mut State) {
        // the parameters come first, then the implicit FOUND
        self.params = self
            .datums
            .iter()
            .rposition(|d| {
                kind(d).is_some_and(|(_, v)| v.get("lineno").is_none() && refname(v) == "found")
            })
            .unwrap_or(0);
        for (i, d) in self.datums.iter().enumerate() {
            let Some((k, v)) = kind(d) else { continue };
            if v.get("lineno").is_some() || !matches!(k, "PLpgSQL_var" | "PLpgSQL_rec") {
                continue;
            }
            let safe = k == "PLpgSQL_var" && dynamic::is_safe_type(typname(v));
            for name in self.names(i, v) {
                st.forget_const(&name);
                if safe {
                    st.set_var(name, Taint::Clean);
                } else {
                    st.forget_var(&name);
                }
            }
        }
    }

    /// The names variable `dno` goes by: its own, and `$n` for the n-th parameter.
    fn names(&self, dno: usize, v: &Value) -> Vec<Name> {
        let mut out: Vec<Name> = vec![refname(v).into()];
        if dno < self.params {
            out.push(format!("${}", dno + 1).into());
        }
        out.dedup();
        out
    }

    /// Run the DECLARE section of the block starting at `line`: defaults are
    /// evaluated (and analysed) at block entry, in order.
    fn declare(&mut self, line: usize, st: &mut State) {
        let Some(ids) = self.declared_in.get(&line).cloned() else {
            return;
        };
        for i in ids {
            let datums = self.datums.clone();
            let Some((_, v)) = kind(&datums[i]) else {
                continue;
            };
            let dline = lineno(v);
            if let Some(q) = v.get("cursor_explicit_expr") {
                if !self.opened.contains(&i) {
                    self.expr_value(q, st, dline);
                }
                continue;
            }
            let value = match v.get("default_val") {
                Some(e) => {
                    let anchor = refname(v).to_string();
                    self.value_of(e, st, dline, Some(&anchor))
                }
                None => Eval::clean(), // NULL
            };
            self.set_var(i, value.taint, false, st);
            self.set_const(i, value.konst, st);
        }
    }

    /// Record the taint of a value stored in variable `dno`. `partial`: only
    /// a field or element was assigned, the rest keeps its old taint.
    fn set_var(&self, dno: usize, taint: Taint, partial: bool, st: &mut State) {
        let Some((k, v)) = self.datums.get(dno).and_then(kind) else {
            return;
        };
        match k {
            "PLpgSQL_var" | "PLpgSQL_rec" => {
                for name in self.names(dno, v) {
                    st.forget_const(&name);
                    let taint = if k == "PLpgSQL_var" && dynamic::is_safe_type(typname(v)) {
                        Taint::Clean
                    } else if partial {
                        st.vars.get(&name).cloned().unwrap_or_default().join(&taint)
                    } else {
                        taint.clone()
                    };
                    st.set_var(name, taint);
                }
            }
            "PLpgSQL_row" => {
                for f in v
                    .get("fields")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    if let Some(n) = f.get("varno").and_then(Value::as_u64) {
                        self.set_var(n as usize, taint.clone(), partial, st);
                    }
                }
            }
            "PLpgSQL_recfield" => {
                if let Some(p) = v.get("recparentno").and_then(Value::as_u64) {
                    self.set_var(p as usize, taint, true, st);
                }
            }
            _ => {}
        }
    }

    /// Record the constant string variable `dno` now holds (after [`Self::set_var`]).
    fn set_const(&self, dno: usize, konst: Option<Text>, st: &mut State) {
        let Some(("PLpgSQL_var", v)) = self.datums.get(dno).and_then(kind) else {
            return;
        };
        if let Some(k) = konst {
            st.set_const(refname(v).into(), k);
        }
    }

    /// The target of INTO / FETCH / a query loop gets values read from the
    /// database: raw, except where `taints` (one per column of a SELECT whose
    /// columns are known) says otherwise.
    fn set_target(&self, t: Option<&Value>, columns: &[(Option<String>, Taint)], st: &mut State) {
        let Some((k, v)) = t.and_then(kind) else {
            return;
        };
        match k {
            "PLpgSQL_row" => {
                let fields: Vec<usize> = v
                    .get("fields")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|f| f.get("varno").and_then(Value::as_u64))
                    .map(|n| n as usize)
                    .collect();
                for (i, n) in fields.iter().enumerate() {
                    let taint = if columns.len() == fields.len() {
                        columns[i].1.clone()
                    } else {
                        Taint::Raw
                    };
                    self.set_var(*n, taint, false, st);
                }
            }
            _ => {
                let dno = v
                    .get("dno")
                    .and_then(Value::as_u64)
                    .map(|d| d as usize)
                    .or_else(|| self.find_datum(refname(v)));
                let taint = match columns.split_first() {
                    Some((first, rest)) => rest.iter().fold(first.1.clone(), |a, b| a.join(&b.1)),
                    None => Taint::Raw,
                };
                if let Some(d) = dno {
                    self.set_var(d, taint, false, st);
                }
                // a record's fields, by column name (`r.t`)
                let rec = refname(v).to_string();
                let prefix = format!("{rec}.");
                st.forget_vars_with_prefix(&prefix);
                for (name, taint) in columns {
                    if let (Some(name), Taint::Clean | Taint::Built(_)) = (name, taint) {
                        st.set_var(format!("{prefix}{name}").into(), taint.clone());
                    }
                }
            }
        }
    }

    /// Analyse a query whose rows are read into variables, and return the
    /// taint of each of its columns (empty when they are not known: `*`,
    /// UNION, not a SELECT).
    fn query_columns(
        &mut self,
        e: Option<&Value>,
        st: &mut State,
        line: usize,
    ) -> Vec<(Option<String>, Taint)> {
        let Some(e) = e.and_then(|e| e.get("PLpgSQL_expr")) else {
            return Vec::new();
        };
        let Some((unit, Some(tree))) = self.parsed_expr(e, st, line, None) else {
            return Vec::new();
        };
        let Some(NodeEnum::SelectStmt(sel)) = tree
            .stmts
            .first()
            .and_then(|s| s.stmt.as_ref())
            .and_then(|s| s.node.as_ref())
        else {
            return Vec::new();
        };
        if sel.op != pg_query::protobuf::SetOperation::SetopNone as i32 {
            return Vec::new();
        }
        let ev = Evaluator::new(&unit, st);
        let mut out = Vec::new();
        for t in &sel.target_list {
            let Some(NodeEnum::ResTarget(t)) = &t.node else {
                return Vec::new();
            };
            let Some(val) = t.val.as_deref() else {
                return Vec::new();
            };
            if let Some(NodeEnum::ColumnRef(c)) = &val.node {
                if c.fields
                    .iter()
                    .any(|f| matches!(f.node, Some(NodeEnum::AStar(_))))
                {
                    return Vec::new();
                }
            }
            let name = match &val.node {
                _ if !t.name.is_empty() => Some(t.name.clone()),
                Some(NodeEnum::ColumnRef(c)) => {
                    names::strings(&c.fields).last().map(|s| s.to_string())
                }
                Some(NodeEnum::FuncCall(f)) => {
                    names::strings(&f.funcname).last().map(|s| s.to_string())
                }
                _ => None,
            };
            out.push((name, ev.eval(val).taint));
        }
        out
    }

    fn find_datum(&self, name: &str) -> Option<usize> {
        self.datums
            .iter()
            .rposition(|d| kind(d).is_some_and(|(_, v)| refname(v) == name))
    }

    /// Walk a statement list; returns whether control can fall off its end.
    fn list(&mut self, v: Option<&Value>, st: &mut State) -> bool {
        for s in v.and_then(Value::as_array).into_iter().flatten() {
            if !self.stmt(s, st) {
                return false;
            }
        }
        true
    }

    /// Walk one statement; returns whether control falls through to the next
    /// one. In a silent pass its findings are dropped.
    fn stmt(&mut self, s: &Value, st: &mut State) -> bool {
        match kind(s) {
            Some((k, n)) => self.stmt_of_kind(k, n, st),
            None => true,
        }
    }

    /// [`Self::stmt`] of the statement `{k: n}`.
    fn stmt_of_kind(&mut self, k: &str, n: &Value, st: &mut State) -> bool {
        let before = self.cx.findings.len();
        let falls = self.stmt_inner(k, n, st);
        if self.silent > 0 {
            self.cx.findings.truncate(before);
        }
        falls
    }

    fn stmt_inner(&mut self, k: &str, n: &Value, st: &mut State) -> bool {
        let line = lineno(n);
        match k {
            "PLpgSQL_stmt_block" => self.block(n, st),
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
                self.loop_head(k, n, st, line);
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
            "PLpgSQL_stmt_assign" => {
                let Some(e) = n.get("expr") else { return true };
                let value = self.value_of(e, st, line, None);
                // `a[i] := x` / `r.f := x` change only part of the variable
                let query = expr_query(e).unwrap_or_default();
                let target = &query[..assignment_rhs(query)];
                let partial = target.contains('[') || target.contains('.');
                if let Some(v) = n.get("varno").and_then(Value::as_u64) {
                    self.set_var(v as usize, value.taint, partial, st);
                    if !partial {
                        self.set_const(v as usize, value.konst, st);
                    }
                }
                true
            }
            "PLpgSQL_stmt_dynexecute" => {
                self.dynamic(n.get("query"), st, line);
                self.params(n, st, line);
                if n.get("into").and_then(Value::as_bool).unwrap_or(false) {
                    self.set_target(n.get("target"), &[], st);
                }
                true
            }
            "PLpgSQL_stmt_return_query" => {
                if n.get("dynquery").is_some() {
                    self.dynamic(n.get("dynquery"), st, line);
                    self.params(n, st, line);
                } else {
                    self.expr_field(n, "query", st, line);
                }
                true
            }
            "PLpgSQL_stmt_open" => {
                self.cursor_args(n, st, line);
                if n.get("dynquery").is_some() {
                    self.dynamic(n.get("dynquery"), st, line);
                    self.params(n, st, line);
                } else if n.get("query").is_some() {
                    self.expr_field(n, "query", st, line);
                } else {
                    self.bound_cursor(n, st);
                }
                true
            }
            "PLpgSQL_stmt_execsql" => {
                let columns = self.query_columns(n.get("sqlstmt"), st, line);
                if n.get("into").and_then(Value::as_bool).unwrap_or(false) {
                    self.set_target(n.get("target"), &columns, st);
                }
                true
            }
            "PLpgSQL_stmt_fetch" => {
                self.expr_field(n, "expr", st, line);
                if !n.get("is_move").and_then(Value::as_bool).unwrap_or(false) {
                    self.set_target(n.get("target"), &[], st);
                }
                true
            }
            "PLpgSQL_stmt_getdiag" => {
                for item in n
                    .get("diag_items")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    let item = item.get("PLpgSQL_diag_item").unwrap_or(item);
                    if let Some(t) = item.get("target").and_then(Value::as_u64) {
                        self.set_var(t as usize, Taint::Raw, false, st);
                    }
                }
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
            // RETURN NEXT, PERFORM, CALL, ASSERT, EXIT / CONTINUE, CLOSE, NULL
            _ => {
                self.exprs(n, st, line);
                true
            }
        }
    }

    /// A block: DECLARE defaults, the body, and exception handlers. An error
    /// rolls back the block's subtransaction, so a handler starts with the
    /// search_path of the block's entry, but with variables as they may be
    /// anywhere in the body.
    fn block(&mut self, n: &Value, st: &mut State) -> bool {
        self.declare(lineno(n), st);
        let entry = st.clone();
        let handlers = n
            .get("exceptions")
            .and_then(|e| e.get("PLpgSQL_exception_block"))
            .and_then(|e| e.get("exc_list"))
            .and_then(Value::as_array);
        let Some(handlers) = handlers else {
            return self.list(n.get("body"), st);
        };
        let mut anywhere = entry.clone();
        let mut falls = true;
        for s in n
            .get("body")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let f = self.stmt(s, st);
            anywhere.join_vars(st);
            if !f {
                falls = false;
                break;
            }
        }
        let mut exit = falls.then(|| st.clone());
        for h in handlers {
            let h = h.get("PLpgSQL_exception").unwrap_or(h);
            let mut hs = entry.clone();
            hs.vars = anywhere.vars.clone();
            hs.consts = anywhere.consts.clone();
            // SQLSTATE / SQLERRM of this handler carry the error's text
            for name in ["sqlstate", "sqlerrm"] {
                hs.forget_var(name);
            }
            if self.list(h.get("action"), &mut hs) {
                match &mut exit {
                    Some(e) => e.join(&hs),
                    None => exit = Some(hs),
                }
            }
        }
        match exit {
            Some(e) => {
                *st = e;
                true
            }
            None => false,
        }
    }

    /// The expressions of a loop header, and what its loop variable receives.
    fn loop_head(&mut self, k: &str, n: &Value, st: &mut State, line: usize) {
        for key in ["cond", "lower", "upper", "step", "expr"] {
            self.expr_field(n, key, st, line);
        }
        self.cursor_args(n, st, line);
        let mut columns = Vec::new();
        match k {
            "PLpgSQL_stmt_fors" => columns = self.query_columns(n.get("query"), st, line),
            "PLpgSQL_stmt_dynfors" => {
                self.dynamic(n.get("query"), st, line);
                self.params(n, st, line);
            }
            "PLpgSQL_stmt_forc" => self.bound_cursor(n, st),
            _ => {}
        }
        match k {
            "PLpgSQL_stmt_fors" | "PLpgSQL_stmt_forc" | "PLpgSQL_stmt_dynfors" => {
                self.set_target(n.get("var"), &columns, st)
            }
            "PLpgSQL_stmt_foreach_a" => {
                if let Some(v) = n.get("varno").and_then(Value::as_u64) {
                    self.set_var(v as usize, Taint::Raw, false, st);
                }
            }
            _ => {}
        }
    }

    /// The arguments of a bound cursor. Named ones (`c(k := x)`) come as
    /// `x AS k, ...`, which is not body text: each is located on its own.
    fn cursor_args(&mut self, n: &Value, st: &mut State, line: usize) {
        let Some(e) = n.get("argquery").and_then(|a| a.get("PLpgSQL_expr")) else {
            return;
        };
        let Some(query) = e.get("query").and_then(Value::as_str) else {
            return;
        };
        for part in split_args(query) {
            let arg = Value::Object(vec![
                ("parseMode", Value::Int(2)),
                ("query", Value::Str(part.into())),
            ]);
            self.expr(&arg, st, line, None);
        }
    }

    /// The query of a bound cursor, analysed where it is opened.
    fn bound_cursor(&mut self, n: &Value, st: &mut State) {
        let Some(c) = n.get("curvar").and_then(Value::as_u64) else {
            return;
        };
        let Some(d) = self
            .datums
            .get(c as usize)
            .and_then(kind)
            .map(|(_, v)| v.clone())
        else {
            return;
        };
        if let Some(q) = d.get("cursor_explicit_expr") {
            self.expr_value(q, st, lineno(&d));
        }
    }

    /// USING parameters (values, never SQL text).
    fn params(&mut self, n: &Value, st: &mut State, line: usize) {
        for p in n
            .get("params")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            self.expr_value(p, st, line);
        }
    }

    /// An expression whose value is executed as SQL.
    fn dynamic(&mut self, e: Option<&Value>, st: &mut State, line: usize) {
        let Some(e) = e.and_then(|e| e.get("PLpgSQL_expr")) else {
            return;
        };
        let Some((unit, Some(tree))) = self.parsed_expr(e, st, line, None) else {
            return;
        };
        let cx = &mut *self.cx;
        dynamic::target_of(&tree, |node| dynamic::sink(cx, st, &unit, node));
    }

    /// Analyse an expression and evaluate it (constant value and taint).
    fn value_of(&mut self, e: &Value, st: &mut State, line: usize, anchor: Option<&str>) -> Eval {
        let Some(e) = e.get("PLpgSQL_expr") else {
            return Eval::raw();
        };
        let Some((unit, Some(tree))) = self.parsed_expr(e, st, line, anchor) else {
            return Eval::raw();
        };
        let st = &*st;
        dynamic::target_of(&tree, |node| Evaluator::new(&unit, st).eval(node))
            .unwrap_or_else(Eval::raw)
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
                if let Some(e) = v.get("PLpgSQL_expr") {
                    self.expr(e, st, line, None);
                    return;
                }
                let line = v
                    .get("lineno")
                    .and_then(Value::as_u64)
                    .map_or(line, |l| l as usize);
                for (k, child) in o {
                    // nested statement lists inside unknown nodes still get walked
                    if k.starts_with("PLpgSQL_stmt_") {
                        self.stmt_of_kind(k, child, st);
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
            self.expr(e, st, line, None);
        }
    }

    /// Analyse one PL/pgSQL expression or embedded statement; returns the
    /// unit it was analysed as (expressions become `SELECT expr`).
    /// `anchor`: a word on the line that the expression follows (a
    /// declaration's variable name).
    fn expr(
        &mut self,
        e: &Value,
        st: &mut State,
        line: usize,
        anchor: Option<&str>,
    ) -> Option<Unit<'static>> {
        self.parsed_expr(e, st, line, anchor).map(|(unit, _)| unit)
    }

    /// [`Self::expr`], also returning the expression's parse tree (`None`
    /// when it did not parse).
    fn parsed_expr(
        &mut self,
        e: &Value,
        st: &mut State,
        line: usize,
        anchor: Option<&str>,
    ) -> Option<(
        Unit<'static>,
        Option<std::rc::Rc<pg_query::protobuf::ParseResult>>,
    )> {
        let query = e.get("query").and_then(Value::as_str)?;
        let mode = e.get("parseMode").and_then(Value::as_i64).unwrap_or(0);
        // simple CASE: `"__Case__Variable_N__" IN (a, b)` stands for `WHEN a, b`
        let (query, mode) = match case_values(query) {
            Some(list) => (list, 2),
            None => (query, mode),
        };
        let map = self.locate(query, line, anchor);
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
        let tree = analyze_statement(self.cx, st, &unit);
        let key = e as *const Value;
        match &tree {
            None => self.unparsed = true,
            Some(t) => {
                self.parsed
                    .entry(key)
                    .or_insert_with(|| parses_like_postgres(query, mode, t));
            }
        }
        Some((unit, tree))
    }

    /// Whether every expression inside `v` that the walk did not parse as
    /// PostgreSQL would (code after a RETURN, a cursor never opened, forms
    /// the walk rewrites) parses in its own parse mode.
    fn rest_parses(&self, v: &Value) -> bool {
        match v {
            Value::Object(o) => o.iter().all(|(k, child)| {
                if *k != "PLpgSQL_expr" || self.parsed.get(&(child as *const Value)) == Some(&true)
                {
                    return self.rest_parses(child);
                }
                let query = child.get("query").and_then(Value::as_str).unwrap_or("");
                let mode = child.get("parseMode").and_then(Value::as_i64).unwrap_or(0);
                // PostgreSQL checks a simple CASE's values before it rewrites them
                match case_values(query) {
                    Some(list) => crate::parse::parses_in_mode(list, 2),
                    None => crate::parse::parses_in_mode(query, mode as i32),
                }
            }),
            Value::Array(a) => a.iter().all(|x| self.rest_parses(x)),
            _ => true,
        }
    }

    /// Where a query text sits in the body, as an offset map for its bytes.
    fn locate(&self, query: &str, line: usize, anchor: Option<&str>) -> OffsetMap {
        let text = &self.body.text;
        let mut from = self
            .line_starts
            .get(line.saturating_sub(1))
            .copied()
            .unwrap_or(0);
        if let Some(a) = anchor {
            if let Some(p) = find_word(text, a, from) {
                from = p + a.len();
            }
        }
        // Most queries start right where their statement does: each form
        // of the query is looked for there first, then from the
        // statement's line on, else before it (a miss searches the whole
        // body, so it comes last).
        let near = from.saturating_add(NEAR);
        let exact = |from: usize, before: usize| {
            find_word_before(text, query, from, before).map(|p| self.body.map.shifted(p))
        };
        // PERFORM x becomes "SELECT x": same text after the first word,
        // which may be written in any case.
        let perform = |from: usize, before: usize| {
            let rest = query.strip_prefix("SELECT").filter(|r| !r.is_empty())?;
            let mut start = from;
            while let Some(p) = find_word_before(text, rest, start, before) {
                let word = p.checked_sub(7).and_then(|w| text.get(w..p));
                if word.is_some_and(|w| w.eq_ignore_ascii_case("perform")) {
                    let p = p - 7;
                    let table: Vec<usize> = (0..6)
                        .map(|i| p + i)
                        .chain((6..=query.len()).map(|i| p + i + 1))
                        .collect();
                    return Some(self.body.map.compose(&table));
                }
                start = p + rest.chars().next().map_or(1, char::len_utf8);
            }
            None
        };
        // An INTO clause is blanked out of the query: offsets stay the same,
        // so the text before the blanks locates it.
        let head = |from: usize, before: usize| {
            let head = query.split("  ").next().filter(|h| h.len() >= 6)?;
            find_word_before(text, head, from, before).map(|p| self.body.map.shifted(p))
        };
        // (what starts before `near` was searched already)
        let found = exact(from, near)
            .or_else(|| perform(from, near))
            .or_else(|| head(from, near))
            .or_else(|| exact(near, usize::MAX))
            .or_else(|| exact(0, from))
            .or_else(|| perform(near, usize::MAX))
            .or_else(|| perform(0, from))
            .or_else(|| head(near, usize::MAX))
            .or_else(|| head(0, from));
        if let Some(map) = found {
            return map;
        }
        // Fallback: the start of the statement's line.
        OffsetMap::Table(vec![self.body.map.to_file(from)].into())
    }
}

/// How far after the start of its statement's line a query is first
/// looked for (where it starts, in bytes).
const NEAR: usize = 256;

/// Where a PL/pgSQL parse error is: the name or token the message quotes
/// (`at or near "x"`, `"v.f" is not a known variable`), first looked for
/// from body line `line` (from 1; PostgreSQL's "near line" may be before
/// the error, never after), else the first token of that line, else of the body.
fn line_span(body: &Unit, line: Option<usize>, message: &str) -> crate::span::Span {
    let text = &body.text;
    let tokens: Vec<&lexer::Token> = body
        .tokens()
        .iter()
        .filter(|t| t.is_significant())
        .collect();
    let start = match line {
        Some(l) if l > 1 => text
            .match_indices('\n')
            .nth(l - 2)
            .map_or(0, |(i, _)| i + 1),
        _ => 0,
    };
    let quoted = match message.split_once("at or near \"") {
        Some((_, r)) => r.rsplit_once('"').map(|(w, _)| w),
        None => message
            .split_once('"')
            .and_then(|(_, r)| r.split_once('"'))
            .map(|(w, _)| w),
    };
    // the token sequence spelling `name` (`v.f` is three tokens), by position
    let at = |from: usize, name: &str| {
        let parts: Vec<&str> = name.split('.').collect();
        (0..tokens.len()).find_map(|i| {
            if tokens[i].start < from {
                return None;
            }
            let mut j = i;
            for (n, part) in parts.iter().enumerate() {
                if n > 0 {
                    if tokens.get(j).is_none_or(|t| t.text(text) != ".") {
                        return None;
                    }
                    j += 1;
                }
                let t = tokens.get(j)?;
                let word = t.text(text).trim_matches('"');
                if !word.eq_ignore_ascii_case(part) {
                    return None;
                }
                j += 1;
            }
            Some((tokens[i].start, tokens[j - 1].end))
        })
    };
    let range = quoted
        .filter(|q| !q.is_empty())
        .and_then(|q| at(start, q).or_else(|| at(0, q)))
        .or_else(|| {
            tokens
                .iter()
                .find(|t| t.start >= start)
                .map(|t| (t.start, t.end))
        })
        .unwrap_or((0, text.len().min(1)));
    body.span(range)
}

/// Register the `-- extguard: ignore CODE` comments of a PL/pgSQL body:
/// each covers the statement that follows it, up to the semicolon that ends
/// it (for IF, CASE, loops and blocks: through their END).
fn collect_suppressions(cx: &mut Cx, body: &Unit) {
    // every directive spells this; most bodies have none, and need no lexing
    if !body.text.contains("extguard:") {
        return;
    }
    let tokens = body.tokens();
    for (i, t) in tokens.iter().enumerate() {
        if t.kind != TokenKind::Comment {
            continue;
        }
        let Some(codes) = crate::source::parse_directive(t.text(&body.text)) else {
            continue;
        };
        let rest = &tokens[i + 1..];
        let Some(first) = rest.iter().find(|t| t.is_significant()) else {
            continue;
        };
        let end = statement_end(&body.text, rest);
        cx.suppressions.push(super::Suppression {
            comment: body.map.span(t.start, t.end),
            covers: body.map.span(first.start, end),
            codes,
        });
    }
}

/// End offset of the PL/pgSQL statement that starts with `tokens`: its
/// semicolon outside parentheses and nested IF / CASE / LOOP / BEGIN.
fn statement_end(text: &str, tokens: &[lexer::Token]) -> usize {
    let mut parens = 0i32;
    let mut blocks = 0i32;
    let words: Vec<&lexer::Token> = tokens.iter().filter(|t| t.is_significant()).collect();
    for (i, t) in words.iter().enumerate() {
        let next = words.get(i + 1);
        let prev = i.checked_sub(1).map(|p| words[p]);
        match t.kind {
            TokenKind::Punct if t.is_punct(text, '(') => parens += 1,
            TokenKind::Punct if t.is_punct(text, ')') => parens -= 1,
            TokenKind::Punct if t.is_punct(text, ';') && parens <= 0 && blocks <= 0 => {
                return t.end;
            }
            TokenKind::Word if parens <= 0 => {
                // END IF / END LOOP / END CASE close what END already counted
                let after_end = prev.is_some_and(|p| p.is_word(text, "end"));
                let opens = ["loop", "case", "begin"].iter().any(|w| t.is_word(text, w))
                    || (t.is_word(text, "if")
                        && !next
                            .is_some_and(|n| n.is_word(text, "exists") || n.is_word(text, "not")));
                if t.is_word(text, "end") {
                    blocks -= 1;
                } else if opens && !after_end {
                    blocks += 1;
                }
            }
            _ => {}
        }
    }
    tokens.last().map_or(0, |t| t.end)
}

/// `needle` in `text` at or after `from`, not inside a longer identifier.
fn find_word(text: &str, needle: &str, from: usize) -> Option<usize> {
    find_word_before(text, needle, from, usize::MAX)
}

/// [`find_word`], for a match starting before `before`: only that much of
/// `text` (and the needle's length past it) is searched.
fn find_word_before(text: &str, needle: &str, from: usize, before: usize) -> Option<usize> {
    if needle.is_empty() || from > text.len() || from >= before {
        return None;
    }
    let mut end = before.saturating_add(needle.len()).min(text.len());
    while !text.is_char_boundary(end) {
        end += 1;
    }
    let ident = |c: char| c.is_alphanumeric() || c == '_' || c == '$';
    let first_ident = needle.chars().next().is_some_and(ident);
    let last_ident = needle.chars().next_back().is_some_and(ident);
    let mut start = from;
    while let Some(p) = find_in(text.get(start..end)?, needle) {
        let at = start + p;
        if at >= before {
            return None;
        }
        let before_ok = !first_ident || !text[..at].chars().next_back().is_some_and(ident);
        let after_ok = !last_ident || !text[at + needle.len()..].chars().next().is_some_and(ident);
        if before_ok && after_ok {
            return Some(at);
        }
        start = at + needle.chars().next().map_or(1, char::len_utf8);
    }
    None
}

/// The first `needle` in `hay`. Most searches are of a short stretch just
/// after a statement's start, where building a two-way searcher would cost
/// more than the search: there, each occurrence of the needle's first byte
/// is compared.
fn find_in(hay: &str, needle: &str) -> Option<usize> {
    const SHORT: usize = 1024;
    let (h, n) = (hay.as_bytes(), needle.as_bytes());
    let &first = n.first()?;
    if h.len() > SHORT {
        return hay.find(needle);
    }
    memchr::memchr_iter(first, h).find(|&i| h[i..].starts_with(n))
}

/// The arguments of `a AS k, b AS j` (or `a, b`), without their names.
fn split_args<'q>(query: &'q str) -> Vec<&'q str> {
    let tokens: Vec<_> = lexer::lex(query)
        .into_iter()
        .filter(|t| t.is_significant())
        .collect();
    let mut parts = Vec::new();
    let mut depth = 0i32;
    let mut first = 0;
    let flush = |from: usize, to: usize, parts: &mut Vec<&'q str>| {
        let toks = &tokens[from..to];
        let n = toks.len();
        let toks = if n >= 3 && toks[n - 2].is_word(query, "as") {
            &toks[..n - 2]
        } else {
            toks
        };
        if let (Some(a), Some(b)) = (toks.first(), toks.last()) {
            parts.push(&query[a.start..b.end]);
        }
    };
    for (i, t) in tokens.iter().enumerate() {
        match (t.kind, t.text(query)) {
            (TokenKind::Punct, "(") | (TokenKind::Punct, "[") => depth += 1,
            (TokenKind::Punct, ")") | (TokenKind::Punct, "]") => depth -= 1,
            (TokenKind::Punct, ",") if depth == 0 => {
                flush(first, i, &mut parts);
                first = i + 1;
            }
            _ => {}
        }
    }
    flush(first, tokens.len(), &mut parts);
    parts
}

/// The value list of a simple CASE's WHEN, from its generated test
/// `"__Case__Variable_N__" IN (list)`.
fn case_values(query: &str) -> Option<&str> {
    let rest = query.strip_prefix("\"__Case__Variable_")?;
    let open = rest.find("IN (")? + 4;
    rest[open..].strip_suffix(')')
}

fn expr_query(e: &Value) -> Option<&str> {
    e.get("PLpgSQL_expr")?.get("query")?.as_str()
}

fn refname(v: &Value) -> &str {
    v.get("refname").and_then(Value::as_str).unwrap_or("")
}

fn typname(v: &Value) -> &str {
    v.get("datatype")
        .and_then(|t| t.get("PLpgSQL_type"))
        .and_then(|t| t.get("typname"))
        .and_then(Value::as_str)
        .unwrap_or("")
}

/// Whether the walk's parse of a query in `mode` (the text itself for a
/// statement, `SELECT <expression>` for an expression or an assignment's
/// right-hand side), which gave `tree`, stands for PostgreSQL's parse of it
/// in that mode: this text parses, so would PostgreSQL's. Not so for an
/// INSERT whose constant rows the walk blanked, an expression that parsed
/// only as `SELECT` allows more (a set operation or INTO at its top), or an
/// assignment to more than a name (a subscript).
fn parses_like_postgres(query: &str, mode: i64, tree: &pg_query::protobuf::ParseResult) -> bool {
    // the tree of `SELECT <expression>` is one plain SELECT
    let plain_select = || match tree.stmts.as_slice() {
        [raw] => match raw.stmt.as_ref().and_then(|n| n.node.as_ref()) {
            Some(NodeEnum::SelectStmt(s)) => {
                s.op == pg_query::protobuf::SetOperation::SetopNone as i32
                    && s.into_clause.is_none()
            }
            _ => false,
        },
        _ => false,
    };
    match mode {
        0 => crate::parse::blank_constant_rows(query).is_none(),
        2 => plain_select(),
        3..=5 => {
            let start = assignment_rhs(query);
            start > 0
                && query[..start]
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"_$.:= \t\r\n".contains(&b))
                && plain_select()
        }
        _ => false,
    }
}

/// Offset of the right-hand side of `target := expr` / `target = expr`.
fn assignment_rhs(query: &str) -> usize {
    let mut depth = 0i32;
    for t in lexer::Lexer::new(query) {
        match (t.kind, t.text(query)) {
            (TokenKind::Punct, "(") | (TokenKind::Punct, "[") => depth += 1,
            (TokenKind::Punct, ")") | (TokenKind::Punct, "]") => depth -= 1,
            (TokenKind::Operator, ":=") | (TokenKind::Operator, "=") if depth == 0 => return t.end,
            _ => {}
        }
    }
    0
}

#[cfg(test)]
mod tests {
    use super::{find_word, find_word_before, parses_like_postgres};

    /// The walk's parse stands for PostgreSQL's only where the two accept
    /// the same texts.
    #[test]
    fn walk_parses_stand_for_postgres_only_in_equivalent_forms() {
        for (query, mode, same) in [
            ("a + 1", 2, true),
            ("'日本' || x", 2, true),
            ("allowed + 1", 2, true),
            ("exception_count + 1", 2, true),
            ("(SELECT 1 UNION SELECT 2) + 1", 2, true),
            ("x FROM t WHERE y ORDER BY 1 LIMIT 1", 2, true),
            ("1 UNION SELECT 2", 2, false),
            ("x FROM t EXCEPT SELECT 1", 2, false),
            ("ALL x", 2, true),
            ("/* c */ DISTINCT x", 2, true),
            ("x INTO y", 2, false),
            ("v := n + 1", 3, true),
            ("r.f := 'é'", 4, true),
            ("arr[1] := 2", 3, false),
            ("v := 1 UNION SELECT 2", 3, false),
            ("INSERT INTO t VALUES (1)", 0, true),
            ("INSERT INTO t VALUES (1), (2)", 0, false),
            ("-- rows\nINSERT INTO t VALUES (1), (2)", 0, false),
            ("SELECT 1 UNION SELECT 2", 0, true),
            ("anything", 1, false),
        ] {
            // what the walk parses
            let text = match mode {
                0 => query.to_string(),
                3..=5 => format!("SELECT {}", &query[super::assignment_rhs(query)..]),
                _ => format!("SELECT {query}"),
            };
            let tree = crate::parse::parse(&text).expect("the walk's text parses");
            let judged = parses_like_postgres(query, mode, &tree);
            assert_eq!(judged, same, "{query} in mode {mode}");
            // where the walk's parse stands for it, PostgreSQL's parse agrees
            if same {
                assert!(crate::parse::parses_in_mode(query, mode as i32), "{query}");
            }
        }
    }

    /// The bounded search before `from` finds what a search of the whole
    /// text finds when the search from `from` finds nothing.
    #[test]
    fn bounded_search_finds_the_first_match_before() {
        let text = "x := xx; é x1 := x; aaa aa ab_x x";
        for needle in ["x", "xx", "aa", "a", "x1", "é x", "ab", "nothing", "x := x"] {
            for from in 0..=text.len() {
                if !text.is_char_boundary(from) {
                    continue;
                }
                let whole = find_word(text, needle, from).or_else(|| find_word(text, needle, 0));
                let bounded = find_word(text, needle, from)
                    .or_else(|| find_word_before(text, needle, 0, from));
                assert_eq!(whole, bounded, "{needle:?} from {from}");
            }
        }
        assert_eq!(find_word(text, "aa", 0), Some(25));
        assert_eq!(find_word_before(text, "aa", 0, 25), None);
        assert_eq!(
            find_word_before(text, "x", 1, 100),
            Some(text.find(" x;").unwrap() + 1)
        );
    }
}
