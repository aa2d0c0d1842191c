//! Dynamic SQL: the strings given to EXECUTE (and RETURN QUERY EXECUTE, OPEN
//! ... FOR EXECUTE, FOR ... IN EXECUTE) and to `--sql-accepting` functions.
//!
//! An expression is evaluated two ways at once:
//! - as a constant (string literals, `||` and concat() of constants, format()
//!   with a constant format and constant arguments, quote_ident/quote_literal
//!   of constants), keeping the file offset of every byte of the result so
//!   that the SQL is analysed with spans pointing into the literals it came from;
//! - for taint: which non-constant, unquoted values were spliced into SQL text
//!   with `||`, concat() or format('%s'). Quoting (quote_ident, quote_literal,
//!   quote_nullable, `%I`, `%L`) and values of types that cannot carry SQL
//!   (numbers, booleans, reg* types) are clean.

use pg_query::protobuf::{self as pb, a_const::Val};
use pg_query::NodeEnum;

use super::{analyze_statements, Cx, Sequencing, Unit, MAX_DEPTH};
use crate::parse::{lexer, names};
use crate::rules::{self, RuleCx};
use crate::search_path::State;
use crate::span::{OffsetMap, Span};

/// How a non-constant value was put into SQL text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpliceKind {
    /// `||`, concat(), concat_ws().
    Concat,
    /// format() with `%s`.
    Format,
}

/// One non-constant, unquoted value spliced into SQL text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Splice {
    /// The value's expression in the file.
    pub span: Span,
    pub kind: SpliceKind,
    /// The value's source text (for messages).
    pub what: String,
}

/// Where a value may come from.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Taint {
    /// A constant, a quoted value, or a value of a type that cannot carry SQL.
    Clean,
    /// A value from outside (a parameter, a query result) that was never quoted.
    #[default]
    Raw,
    /// Text built by splicing such values into SQL: where they were put in.
    Built(Vec<Splice>),
}

impl Taint {
    /// The taint of a value that comes from either of two paths.
    pub fn join(&self, other: &Taint) -> Taint {
        match (self, other) {
            (Taint::Clean, Taint::Clean) => Taint::Clean,
            (Taint::Built(a), Taint::Built(b)) => {
                let mut v = a.clone();
                for s in b {
                    if !v.contains(s) {
                        v.push(s.clone());
                    }
                }
                Taint::Built(v)
            }
            (Taint::Built(a), _) | (_, Taint::Built(a)) => Taint::Built(a.clone()),
            _ => Taint::Raw,
        }
    }

    /// A value computed from several values (not by splicing them into SQL):
    /// spliced SQL stays spliced, anything raw makes it raw.
    fn derived<'a>(parts: impl IntoIterator<Item = &'a Taint>) -> Taint {
        let mut out = Taint::Clean;
        for p in parts {
            out = match (&out, p) {
                (Taint::Clean, Taint::Clean) => Taint::Clean,
                _ => out.join(p),
            };
        }
        out
    }
}

/// A constant string and the file offset of each of its bytes (one extra
/// entry for the end).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text {
    pub value: String,
    pub offsets: Vec<usize>,
}

impl Text {
    /// `value` whose every byte is attributed to one file offset.
    fn at(value: String, offset: usize) -> Text {
        let offsets = vec![offset; value.len() + 1];
        Text { value, offsets }
    }

    fn empty(offset: usize) -> Text {
        Text::at(String::new(), offset)
    }

    fn push(&mut self, other: &Text) {
        self.offsets.pop();
        self.value.push_str(&other.value);
        self.offsets.extend_from_slice(&other.offsets);
    }

    /// The text as a unit to analyse, mapped back to the file.
    pub fn into_unit(self) -> Unit<'static> {
        Unit::owned(self.value, OffsetMap::Table(self.offsets.into()))
    }
}

/// An evaluated expression: its constant value if it has one, and its taint.
#[derive(Debug, Clone)]
pub struct Eval {
    pub konst: Option<Text>,
    pub taint: Taint,
}

impl Eval {
    pub fn clean() -> Eval {
        Eval {
            konst: None,
            taint: Taint::Clean,
        }
    }

    pub fn raw() -> Eval {
        Eval {
            konst: None,
            taint: Taint::Raw,
        }
    }
}

/// Types whose text form cannot break out of SQL syntax (numbers,
/// booleans, dates, reg* types, whose output is quoted as needed).
pub fn is_safe_type(typname: &str) -> bool {
    let mut t = typname.trim();
    while let Some(rest) = t.strip_prefix("pg_catalog.") {
        t = rest;
    }
    // most names need no copy: no quotes, already lower case
    let owned;
    if t.bytes().any(|b| b == b'"' || b.is_ascii_uppercase()) {
        owned = t.replace('"', "").to_ascii_lowercase();
        t = &owned;
    }
    let t = t.split('(').next().unwrap_or("").trim();
    let t = t.trim_end_matches("[]").trim();
    matches!(
        t,
        "int"
            | "int2"
            | "int4"
            | "int8"
            | "integer"
            | "smallint"
            | "bigint"
            | "numeric"
            | "decimal"
            | "real"
            | "float4"
            | "float8"
            | "double precision"
            | "bool"
            | "boolean"
            | "oid"
            | "regclass"
            | "regproc"
            | "regprocedure"
            | "regtype"
            | "regnamespace"
            | "regoper"
            | "regoperator"
            | "regrole"
            | "regconfig"
            | "regdictionary"
            | "regcollation"
            | "date"
            | "timestamp"
            | "timestamptz"
            | "interval"
            | "uuid"
    )
}

/// Functions whose text is SQL the server wrote itself, identifiers quoted
/// where needed (format_type, the pg_get_*def deparsers), whatever their
/// arguments.
fn quotes_its_result(name: &str) -> bool {
    matches!(
        name,
        "format_type"
            | "pg_get_constraintdef"
            | "pg_get_expr"
            | "pg_get_function_arguments"
            | "pg_get_function_identity_arguments"
            | "pg_get_function_result"
            | "pg_get_functiondef"
            | "pg_get_indexdef"
            | "pg_get_partkeydef"
            | "pg_get_ruledef"
            | "pg_get_serial_sequence"
            | "pg_get_statisticsobjdef"
            | "pg_get_triggerdef"
            | "pg_get_viewdef"
            | "pg_typeof"
            | "to_regclass"
            | "to_regcollation"
            | "to_regnamespace"
            | "to_regoper"
            | "to_regoperator"
            | "to_regproc"
            | "to_regprocedure"
            | "to_regrole"
            | "to_regtype"
    )
}

/// Evaluates expressions of one unit against the variable taints of a state.
pub struct Evaluator<'a, 'u> {
    unit: &'a Unit<'u>,
    state: &'a State,
}

impl<'a, 'u> Evaluator<'a, 'u> {
    pub fn new(unit: &'a Unit<'u>, state: &'a State) -> Self {
        Evaluator { unit, state }
    }

    pub fn eval(&self, node: &pb::Node) -> Eval {
        match node.node.as_ref() {
            Some(NodeEnum::AConst(c)) => self.constant(c),
            Some(NodeEnum::TypeCast(tc)) => {
                let inner = tc.arg.as_deref().map_or_else(Eval::raw, |a| self.eval(a));
                let ty = tc
                    .type_name
                    .as_ref()
                    .map(|t| names::strings(&t.names).join("."))
                    .unwrap_or_default();
                if is_safe_type(&ty) {
                    Eval::clean()
                } else if matches!(
                    ty.trim_start_matches("pg_catalog."),
                    "text" | "varchar" | "name" | "bpchar"
                ) {
                    inner
                } else {
                    Eval {
                        konst: None,
                        taint: inner.taint,
                    }
                }
            }
            Some(NodeEnum::ColumnRef(c)) => Eval {
                konst: match names::strings(&c.fields).as_slice() {
                    [name] => self.state.consts.get(*name).map(|t| Text::clone(t)),
                    _ => None,
                },
                taint: self.variable(c),
            },
            // a parameter by number: as clean as the parameter
            Some(NodeEnum::ParamRef(p)) => Eval {
                konst: None,
                taint: self
                    .state
                    .vars
                    .get(format!("${}", p.number).as_str())
                    .cloned()
                    .unwrap_or_default(),
            },
            // (SELECT x ...), ARRAY(SELECT x ...): as clean as the column x
            Some(NodeEnum::SubLink(l)) => {
                let target = match l.subselect.as_deref().and_then(|s| s.node.as_ref()) {
                    Some(NodeEnum::SelectStmt(sel))
                        if sel.op == pb::SetOperation::SetopNone as i32
                            && sel.target_list.len() == 1 =>
                    {
                        match &sel.target_list[0].node {
                            Some(NodeEnum::ResTarget(t)) => t.val.as_deref(),
                            _ => None,
                        }
                    }
                    _ => None,
                };
                match target {
                    Some(t) => Eval {
                        konst: None,
                        taint: self.eval(t).taint,
                    },
                    None => Eval::raw(),
                }
            }
            Some(NodeEnum::AExpr(e)) => {
                let op = names::strings(&e.name);
                let is_concat = matches!(op.as_slice(), ["||"] | ["pg_catalog", "||"])
                    && e.kind == pb::AExprKind::AexprOp as i32;
                let parts: Vec<&pb::Node> =
                    e.lexpr.iter().chain(e.rexpr.iter()).map(|b| &**b).collect();
                if is_concat {
                    self.concat(&parts, None)
                } else {
                    let evals: Vec<Eval> = parts.iter().map(|p| self.eval(p)).collect();
                    Eval {
                        konst: None,
                        taint: Taint::derived(evals.iter().map(|e| &e.taint)),
                    }
                }
            }
            Some(NodeEnum::FuncCall(f)) => self.call(f),
            Some(NodeEnum::CaseExpr(c)) => {
                let mut evals: Vec<Eval> = c
                    .args
                    .iter()
                    .filter_map(|w| match &w.node {
                        Some(NodeEnum::CaseWhen(w)) => w.result.as_deref().map(|r| self.eval(r)),
                        _ => None,
                    })
                    .collect();
                if let Some(d) = c.defresult.as_deref() {
                    evals.push(self.eval(d));
                }
                let mut taint = Taint::Clean;
                for e in &evals {
                    taint = taint.join(&e.taint);
                }
                Eval { konst: None, taint }
            }
            Some(NodeEnum::CoalesceExpr(c)) => self.derived(c.args.iter()),
            Some(NodeEnum::AArrayExpr(a)) => self.derived(a.elements.iter()),
            Some(NodeEnum::AIndirection(i)) => i.arg.as_deref().map_or_else(Eval::raw, |a| Eval {
                konst: None,
                taint: self.eval(a).taint,
            }),
            Some(NodeEnum::BoolExpr(_)) | Some(NodeEnum::NullTest(_)) => Eval::clean(),
            _ => Eval::raw(),
        }
    }

    fn derived<'n>(&self, nodes: impl Iterator<Item = &'n pb::Node>) -> Eval {
        let evals: Vec<Eval> = nodes.map(|n| self.eval(n)).collect();
        Eval {
            konst: None,
            taint: Taint::derived(evals.iter().map(|e| &e.taint)),
        }
    }

    /// A variable (or record field) of the PL/pgSQL body: its taint at this
    /// point; unknown names (parameters, columns) are raw.
    fn variable(&self, c: &pb::ColumnRef) -> Taint {
        let fields = names::strings(&c.fields);
        // a record field known by name
        if let [rec, field, ..] = fields.as_slice() {
            if let Some(t) = self.state.vars.get(format!("{rec}.{field}").as_str()) {
                return t.clone();
            }
        }
        // `r.f` is a field of record r; `label.v` / `func.param` name v / param.
        for name in fields.iter().take(2) {
            if let Some(t) = self.state.vars.get(*name) {
                return t.clone();
            }
        }
        Taint::Raw
    }

    fn constant(&self, c: &pb::AConst) -> Eval {
        if c.isnull {
            return Eval::clean();
        }
        let loc = c.location.max(0) as usize;
        let konst = match &c.val {
            Some(Val::Sval(s)) => Some(
                self.literal(loc)
                    .unwrap_or_else(|| Text::at(s.sval.clone(), self.unit.map.to_file(loc))),
            ),
            Some(Val::Ival(_)) | Some(Val::Fval(_)) | Some(Val::Boolval(_)) => {
                let (a, b) = self.unit.token_range(loc);
                let value = self.unit.text[a..b].to_string();
                let offsets = (a..=b).map(|i| self.unit.map.to_file(i)).collect();
                Some(Text { value, offsets })
            }
            _ => None,
        };
        Eval {
            konst,
            taint: Taint::Clean,
        }
    }

    /// The decoded string literal token at `loc`, with file offsets.
    fn literal(&self, loc: usize) -> Option<Text> {
        let unit = self.unit;
        let i = unit.token_index(loc)?;
        let t = unit.tokens()[i];
        if t.kind != lexer::TokenKind::String || t.start != loc {
            return None;
        }
        let local = lexer::Token {
            start: t.start,
            end: t.end,
            kind: t.kind,
        };
        let v = lexer::decode_string(&unit.text, &local)?;
        let offsets = v.map.iter().map(|&o| unit.map.to_file(o)).collect();
        Some(Text {
            value: v.value,
            offsets,
        })
    }

    /// Local byte range of a node's leading token or name.
    fn node_range(&self, n: &pb::Node) -> (usize, usize) {
        // the leftmost part of `x::text`, `a[1]`, `a + b`
        let left = match &n.node {
            Some(NodeEnum::TypeCast(t)) => t.arg.as_deref(),
            Some(NodeEnum::AIndirection(i)) => i.arg.as_deref(),
            Some(NodeEnum::AExpr(e)) => e.lexpr.as_deref(),
            _ => None,
        };
        if let Some(a) = left {
            return self.node_range(a);
        }
        let loc = names::location(n).unwrap_or(0);
        match &n.node {
            Some(NodeEnum::ColumnRef(_)) | Some(NodeEnum::FuncCall(_)) => self.unit.name_range(loc),
            _ => self.unit.token_range(loc),
        }
    }

    /// A splice of the value of `n` (its taint) into SQL text.
    fn splices(&self, n: &pb::Node, taint: &Taint, kind: SpliceKind, out: &mut Vec<Splice>) {
        match taint {
            Taint::Clean => {}
            Taint::Raw => {
                let r = self.node_range(n);
                let mut what = self.unit.text[r.0..r.1].to_string();
                match n.node {
                    Some(NodeEnum::FuncCall(_)) => what.push_str("(...)"),
                    Some(NodeEnum::SubLink(_)) => what = "a subquery's result".into(),
                    _ => {}
                }
                let splice = Splice {
                    span: self.unit.span(r),
                    kind,
                    what,
                };
                if !out.contains(&splice) {
                    out.push(splice);
                }
            }
            Taint::Built(v) => {
                for s in v {
                    if !out.contains(s) {
                        out.push(s.clone());
                    }
                }
            }
        }
    }

    /// `a || b`, concat(a, b, ...), concat_ws(sep, a, ...) (`sep` given apart).
    fn concat(&self, parts: &[&pb::Node], sep: Option<&pb::Node>) -> Eval {
        let mut konst: Option<Text> = parts
            .first()
            .and_then(|p| names::location(p))
            .map(|l| Text::empty(self.unit.map.to_file(l)));
        let mut splices = Vec::new();
        let sep_eval = sep.map(|s| (s, self.eval(s)));
        if let Some((s, e)) = &sep_eval {
            self.splices(s, &e.taint, SpliceKind::Concat, &mut splices);
        }
        for (i, p) in parts.iter().enumerate() {
            let e = self.eval(p);
            self.splices(p, &e.taint, SpliceKind::Concat, &mut splices);
            konst = match (konst, &e.konst) {
                (Some(mut k), Some(v)) => {
                    if i > 0 {
                        match &sep_eval {
                            Some((_, Eval { konst: Some(s), .. })) => k.push(s),
                            Some(_) => {
                                konst = None;
                                continue;
                            }
                            None => {}
                        }
                    }
                    k.push(v);
                    Some(k)
                }
                _ => None,
            };
        }
        Eval {
            konst,
            taint: if splices.is_empty() {
                Taint::Clean
            } else {
                Taint::Built(splices)
            },
        }
    }

    fn call(&self, f: &pb::FuncCall) -> Eval {
        let name = names::strings(&f.funcname);
        let fname = match name.as_slice() {
            [n] | ["pg_catalog", n] => n.to_ascii_lowercase(),
            _ => String::new(),
        };
        let args: Vec<&pb::Node> = f.args.iter().collect();
        if f.func_variadic || f.agg_star {
            return self.derived(f.args.iter());
        }
        match (fname.as_str(), args.as_slice()) {
            ("quote_ident", [a]) => self.quoted(a, quote_ident),
            ("quote_literal", [a]) | ("quote_nullable", [a]) => self.quoted(a, quote_literal),
            ("concat", _) => self.concat(&args, None),
            ("concat_ws", [sep, rest @ ..]) => self.concat(rest, Some(sep)),
            ("format", [fmt, rest @ ..]) => self.format(fmt, rest),
            // settings can be set by any user; names of the session's objects
            // are whatever their creator chose
            ("current_setting", _) => Eval::raw(),
            (name, _) if quotes_its_result(name) => Eval::clean(),
            (name, []) => {
                if matches!(
                    name,
                    "now"
                        | "clock_timestamp"
                        | "statement_timestamp"
                        | "transaction_timestamp"
                        | "random"
                        | "pg_backend_pid"
                        | "txid_current"
                        | "pi"
                ) {
                    Eval::clean()
                } else {
                    Eval::raw()
                }
            }
            // other functions: clean results from clean arguments (lower(),
            // string_agg(quote_ident(x), ',') ...)
            _ => self.derived(f.args.iter()),
        }
    }

    /// quote_ident(a) / quote_literal(a): clean, constant if `a` is.
    fn quoted(&self, a: &pb::Node, quote: fn(&Text) -> Text) -> Eval {
        let e = self.eval(a);
        Eval {
            konst: e.konst.as_ref().map(quote),
            taint: Taint::Clean,
        }
    }

    /// format(fmt, args...): `%s` splices its argument, `%I` and `%L` quote it.
    fn format(&self, fmt: &pb::Node, args: &[&pb::Node]) -> Eval {
        let f = self.eval(fmt);
        let evals: Vec<Eval> = args.iter().map(|a| self.eval(a)).collect();
        let mut splices = Vec::new();
        let Some(ft) = f.konst else {
            // an unknown format: the format itself is spliced SQL
            self.splices(fmt, &f.taint, SpliceKind::Format, &mut splices);
            for e in &evals {
                if let Taint::Built(_) = e.taint {
                    self.splices(fmt, &e.taint, SpliceKind::Format, &mut splices);
                }
            }
            return Eval {
                konst: None,
                taint: if splices.is_empty() {
                    Taint::derived(std::iter::once(&f.taint).chain(evals.iter().map(|e| &e.taint)))
                } else {
                    Taint::Built(splices)
                },
            };
        };
        let mut out = Some(Text::empty(ft.offsets[0]));
        let bytes = ft.value.as_bytes();
        let mut next_arg = 0usize;
        let mut i = 0;
        let mut lit_start = 0;
        let flush = |out: &mut Option<Text>, from: usize, to: usize| {
            if let Some(o) = out {
                if to > from {
                    o.push(&Text {
                        value: ft.value[from..to].to_string(),
                        offsets: ft.offsets[from..=to].to_vec(),
                    });
                }
            }
        };
        while i < bytes.len() {
            if bytes[i] != b'%' {
                i += 1;
                continue;
            }
            flush(&mut out, lit_start, i);
            i += 1;
            if bytes.get(i) == Some(&b'%') {
                flush(&mut out, i, i + 1);
                i += 1;
                lit_start = i;
                continue;
            }
            // [argpos$][flags][width][type]
            let mut argpos = None;
            let digits = bytes[i..].iter().take_while(|b| b.is_ascii_digit()).count();
            if digits > 0 && bytes.get(i + digits) == Some(&b'$') {
                argpos = std::str::from_utf8(&bytes[i..i + digits])
                    .ok()
                    .and_then(|s| s.parse::<usize>().ok());
                i += digits + 1;
            }
            while bytes.get(i) == Some(&b'-') {
                i += 1;
            }
            if bytes.get(i) == Some(&b'*') {
                i += 1;
                let d = bytes[i..].iter().take_while(|b| b.is_ascii_digit()).count();
                if d > 0 && bytes.get(i + d) == Some(&b'$') {
                    i += d + 1;
                } else {
                    next_arg += 1;
                }
            } else {
                i += bytes[i..].iter().take_while(|b| b.is_ascii_digit()).count();
            }
            let ty = bytes.get(i).copied();
            if !ty.is_some_and(|b| b.is_ascii()) {
                // a conversion PostgreSQL rejects (or a truncated one)
                return Eval {
                    konst: None,
                    taint: if splices.is_empty() {
                        Taint::Clean
                    } else {
                        Taint::Built(splices)
                    },
                };
            }
            i += 1;
            lit_start = i.min(bytes.len());
            let idx = match argpos {
                Some(p) if p >= 1 => p - 1,
                _ => next_arg,
            };
            next_arg = idx + 1;
            let (Some(arg), Some(e)) = (args.get(idx), evals.get(idx)) else {
                out = None;
                continue;
            };
            match ty {
                Some(b's') => {
                    self.splices(arg, &e.taint, SpliceKind::Format, &mut splices);
                    out = match (out, &e.konst) {
                        (Some(mut o), Some(k)) => {
                            o.push(k);
                            Some(o)
                        }
                        _ => None,
                    };
                }
                Some(b'I') | Some(b'L') => {
                    let quote = if ty == Some(b'I') {
                        quote_ident
                    } else {
                        quote_literal
                    };
                    out = match (out, &e.konst) {
                        (Some(mut o), Some(k)) => {
                            o.push(&quote(k));
                            Some(o)
                        }
                        _ => None,
                    };
                }
                _ => out = None,
            }
        }
        flush(&mut out, lit_start, bytes.len());
        Eval {
            konst: out,
            taint: if splices.is_empty() {
                Taint::Clean
            } else {
                Taint::Built(splices)
            },
        }
    }
}

/// PostgreSQL's quote_ident(), keeping each byte's offset (added quotes
/// map to the start and end of the value).
fn quote_ident(t: &Text) -> Text {
    if super::functions::quote_ident(&t.value) == t.value {
        return t.clone();
    }
    escape(t, "", '"', &['"'])
}

/// PostgreSQL's quote_literal(): doubled quotes, and E'' with doubled
/// backslashes when there are backslashes; offsets kept as in [`quote_ident`].
fn quote_literal(t: &Text) -> Text {
    let prefix = if t.value.contains('\\') { "E" } else { "" };
    escape(t, prefix, '\'', &['\'', '\\'])
}

/// `prefix` + `quote` + the value with `doubled` characters doubled + `quote`.
fn escape(t: &Text, prefix: &str, quote: char, doubled: &[char]) -> Text {
    let start = t.offsets[0];
    let end = *t.offsets.last().unwrap_or(&start);
    let mut out = Text::at(format!("{prefix}{quote}"), start);
    for (i, c) in t.value.char_indices() {
        let n = if doubled.contains(&c) { 2 } else { 1 };
        for _ in 0..n {
            out.push(&Text {
                value: c.to_string(),
                offsets: (i..=i + c.len_utf8()).map(|j| t.offsets[j]).collect(),
            });
        }
    }
    out.push(&Text::at(quote.to_string(), end));
    out
}

/// The SQL an expression evaluates to is executed here: report what was
/// spliced into it unquoted, and analyse it if it is constant.
pub fn sink(cx: &mut Cx, st: &mut State, unit: &Unit, node: &pb::Node) {
    let ev = Evaluator::new(unit, st).eval(node);
    if let Taint::Built(splices) = &ev.taint {
        for s in splices {
            match s.kind {
                SpliceKind::Concat => {
                    rules::eg201_sql_injection_concat::check(&mut RuleCx::new(cx, st, unit), s)
                }
                SpliceKind::Format => {
                    rules::eg202_sql_injection_format::check(&mut RuleCx::new(cx, st, unit), s)
                }
            }
        }
    }
    if let Some(text) = ev.konst {
        let unit = text.into_unit();
        if cx.depth < MAX_DEPTH {
            cx.depth += 1;
            analyze_statements(cx, st, &unit, Sequencing::Script);
            cx.depth -= 1;
        } else {
            cx.nested_too_deeply(&unit);
        }
    }
}

/// Parse `text` (a `SELECT expr` unit) and run `f` on its first target expression.
pub fn with_target<R>(text: &str, f: impl FnOnce(&pb::Node) -> R) -> Option<R> {
    let tree = crate::parse::parse(text).ok()?;
    target_of(&tree, f)
}

/// Run `f` on the first target expression of a parsed `SELECT expr`.
pub fn target_of<R>(tree: &pb::ParseResult, f: impl FnOnce(&pb::Node) -> R) -> Option<R> {
    let stmt = tree.stmts.first()?.stmt.as_ref()?;
    let Some(NodeEnum::SelectStmt(s)) = &stmt.node else {
        return None;
    };
    let Some(NodeEnum::ResTarget(t)) = s.target_list.first()?.node.as_ref() else {
        return None;
    };
    t.val.as_deref().map(f)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{check_text, Config, Severity};

    /// The constant value of `expr`, evaluated as `SELECT expr`.
    fn konst(expr: &str) -> Option<String> {
        let text = format!("SELECT {expr}");
        let unit = Unit::owned(text.clone(), OffsetMap::Shift(0));
        let st = State::default();
        with_target(&text, |n| Evaluator::new(&unit, &st).eval(n).konst)
            .flatten()
            .map(|t| t.value)
    }

    #[test]
    fn constant_folding() {
        assert_eq!(konst("'a' || 'b' || 1").as_deref(), Some("ab1"));
        assert_eq!(
            konst("format('%s %I %L %% %2$s', 'a', 'B c', 'x''y')").as_deref(),
            Some("a \"B c\" 'x''y' % B c")
        );
        assert_eq!(konst("concat_ws(', ', 'a', 'b')").as_deref(), Some("a, b"));
        assert_eq!(
            konst("quote_literal(E'a\\\\b')").as_deref(),
            Some("E'a\\\\b'")
        );
        assert_eq!(konst("'a' || x"), None);
        // malformed formats give no value (and no panic)
        assert_eq!(konst("format('%é', 'a')"), None);
        assert_eq!(konst("format('abc%', 'a')"), None);
        assert_eq!(konst("format('%5$s', 'a')"), None);
        assert_eq!(konst("format('é%sé', 'ü')").as_deref(), Some("éüé"));
        assert_eq!(konst("format('%s', x)"), None);
    }

    #[test]
    fn constant_offsets_point_into_each_literal() {
        let text = "SELECT 'ab' || 'c''d'";
        let unit = Unit::owned(text.to_string(), OffsetMap::Shift(0));
        let st = State::default();
        let t = with_target(text, |n| Evaluator::new(&unit, &st).eval(n).konst)
            .flatten()
            .unwrap();
        assert_eq!(t.value, "abc'd");
        // a b | c ' d: the doubled quote maps to its first quote
        assert_eq!(&t.offsets[..5], &[8, 9, 16, 17, 19]);
    }

    #[test]
    fn taint_join() {
        let s = Splice {
            span: Span::new(1, 2),
            kind: SpliceKind::Concat,
            what: "p".into(),
        };
        let built = Taint::Built(vec![s]);
        assert_eq!(Taint::Clean.join(&Taint::Clean), Taint::Clean);
        assert_eq!(Taint::Clean.join(&Taint::Raw), Taint::Raw);
        assert_eq!(Taint::Raw.join(&built), built);
        assert_eq!(built.join(&Taint::Clean), built);
    }

    #[test]
    fn error_in_security_definer_warning_elsewhere() {
        let sql = "
CREATE FUNCTION s.a(p text) RETURNS void LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp AS $$ BEGIN EXECUTE 'SELECT ' || p; END $$;
CREATE FUNCTION s.b(p text) RETURNS void LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp AS $$ BEGIN EXECUTE format('SELECT %s', p); END $$;
DO $$ DECLARE p text := pg_catalog.current_user(); BEGIN EXECUTE 'SELECT ' || p; END $$;
";
        let found: Vec<(&str, Severity)> = check_text("t.sql", sql, &Config::default())
            .iter()
            .filter(|f| f.code.starts_with("EG2"))
            .map(|f| (f.code, f.severity))
            .collect();
        assert_eq!(
            found,
            vec![
                ("EG201", Severity::Error),
                ("EG202", Severity::Warning),
                ("EG201", Severity::Warning)
            ]
        );
    }
}
