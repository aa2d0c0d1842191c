//! CREATE FUNCTION, DO blocks and sql-accepting calls: the statements whose
//! bodies are more SQL, analysed as nested units.

use pg_query::protobuf::{self as pb, FunctionParameterMode, VariableSetKind};
use pg_query::NodeEnum;

use super::checker::{walk_with, Checker};
use super::{analyze_statements, dynamic, plpgsql, Sequencing, Unit, MAX_DEPTH};
use crate::parse::lexer::{self, TokenKind};
use crate::parse::names;
use crate::rules;
use crate::search_path::{split_path, State};

/// Facts about a CREATE FUNCTION that the rules need.
pub struct FunctionInfo<'t> {
    pub stmt: &'t pb::CreateFunctionStmt,
    /// `name(argname type,...)`, as pgspot prints it.
    pub signature: String,
    pub language: String,
    pub security_definer: bool,
    /// The `SET search_path` clause, if any (the last one wins).
    pub path_clause: Option<&'t pb::VariableSetStmt>,
    /// Location of the clause's DefElem.
    pub path_clause_loc: i32,
    /// Does the body run with a secure search_path?
    pub body_secure: bool,
}

pub fn function_info<'t>(ck: &Checker, f: &'t pb::CreateFunctionStmt) -> FunctionInfo<'t> {
    let language = names::def_elem(&f.options, "language")
        .and_then(names::def_arg_text)
        .map(|l| l.to_ascii_lowercase())
        .unwrap_or_else(|| "sql".to_string());
    let security_definer = names::def_elem(&f.options, "security")
        .and_then(names::def_arg_text)
        .is_some_and(|v| v == "true");
    let mut path_clause = None;
    let mut path_clause_loc = -1;
    for d in names::def_elems(&f.options).filter(|d| d.defname == "set") {
        if let Some(NodeEnum::VariableSetStmt(v)) = d.arg.as_deref().and_then(|a| a.node.as_ref()) {
            if v.name == "search_path" {
                path_clause = Some(v);
                path_clause_loc = d.location;
            }
        }
    }
    let body_secure = path_clause.is_some_and(|v| clause_secure(ck.state, v));
    FunctionInfo {
        stmt: f,
        signature: signature(f),
        language,
        security_definer,
        path_clause,
        path_clause_loc,
        body_secure,
    }
}

/// The schemas a `SET search_path = ...` (statement or function clause) lists.
pub fn clause_schemas(v: &pb::VariableSetStmt) -> Vec<String> {
    v.args
        .iter()
        .filter_map(names::const_string)
        .flat_map(split_path)
        .collect()
}

/// Does a function's `SET search_path` clause make its body secure?
pub fn clause_secure(state: &State, v: &pb::VariableSetStmt) -> bool {
    match VariableSetKind::try_from(v.kind).unwrap_or(VariableSetKind::Undefined) {
        VariableSetKind::VarSetValue => state.is_secure(&clause_schemas(v)),
        // FROM CURRENT captures the search_path in force at CREATE time.
        VariableSetKind::VarSetCurrent => state.secure,
        _ => false,
    }
}

pub fn create_function(ck: &mut Checker, f: &pb::CreateFunctionStmt) {
    let info = function_info(ck, f);
    rules::ps002_unsafe_function_creation::check(&mut ck.rules(), &info);
    if !f.replace {
        std::sync::Arc::make_mut(&mut ck.state.created_functions).insert(info.signature.clone());
    }
    rules::ps003_security_definer_without_search_path::check(&mut ck.rules(), &info);
    rules::ps004_security_definer_insecure_search_path::check(&mut ck.rules(), &info);
    rules::ps005_function_without_search_path::check(&mut ck.rules(), &info);
    if let Some(clause) = info.path_clause {
        rules::ps018_unsafe_set_search_path::check(&mut ck.rules(), clause);
    }
    let lang_span = language_span(ck, &f.options);
    rules::eg115_untrusted_language_function::check_function(&mut ck.rules(), &info, lang_span);
    // trigger functions cannot be called directly, whoever may EXECUTE them
    if info.security_definer && !returns_trigger(f) {
        let loc = names::def_elem(&f.options, "security").map_or(-1, |d| d.location);
        let span = if loc >= 0 {
            ck.unit.tokens_span(loc, 2)
        } else {
            ck.unit.statement_span()
        };
        let parts = names::strings(&f.funcname);
        let schema = names::schema_of(&f.funcname)
            .unwrap_or_default()
            .to_string();
        let name = parts.last().copied().unwrap_or_default().to_string();
        rules::eg117_security_definer_executable_by_public::record(
            &mut ck.rules(),
            &schema,
            &name,
            span,
            &info.signature,
        );
    }
    // SET clauses: what they set is in force whenever the function runs.
    for d in names::def_elems(&f.options).filter(|d| d.defname == "set") {
        if let Some(NodeEnum::VariableSetStmt(v)) = d.arg.as_deref().and_then(|a| a.node.as_ref()) {
            rules::eg110_role_switch::check_set(&mut ck.rules(), v);
            rules::eg111_sensitive_setting::check_set(&mut ck.rules(), v);
        }
    }

    // Parameter defaults and the return type are resolved at CREATE time.
    let unit = ck.unit;
    walk_with(ck.cx, ck.state, unit, f.parameters.iter());

    if let Some(body) = &f.sql_body {
        // SQL-standard bodies (BEGIN ATOMIC / RETURN expr) are parsed and
        // resolved when the function is created, under the current search_path.
        let mut st = ck.state.clone();
        walk_with(ck.cx, &mut st, unit, std::iter::once(body.as_ref()));
        return;
    }
    if ck.cx.depth >= MAX_DEPTH {
        if let Some((body, _)) = body_unit(ck, &f.options) {
            ck.cx.nested_too_deeply(&body);
        }
        return;
    }
    let clause_path = info.path_clause.map(clause_schemas).unwrap_or_default();
    let body_state = ck
        .state
        .for_body(info.body_secure, clause_path, info.security_definer);
    match info.language.as_str() {
        "sql" => {
            if let Some((body, _)) = body_unit(ck, &f.options) {
                let mut st = body_state;
                ck.cx.depth += 1;
                analyze_statements(ck.cx, &mut st, &body, Sequencing::ResolvedUpFront);
                ck.cx.depth -= 1;
                // schemas the body created exist for the rest of the script
                ck.state.add_created_schemas(&st);
            }
        }
        "plpgsql" => {
            if ck.cx.cfg.plpgsql {
                if let Some((body, literal)) = body_unit(ck, &f.options) {
                    let mut st = body_state;
                    ck.cx.depth += 1;
                    plpgsql::analyze(ck.cx, &mut st, ck.unit, &body, literal);
                    ck.cx.depth -= 1;
                    ck.state.add_created_schemas(&st);
                }
            }
        }
        "c" | "internal" => {}
        lang if ck
            .cx
            .cfg
            .ignore_lang
            .iter()
            .any(|l| l.eq_ignore_ascii_case(lang)) => {}
        lang => {
            ck.rules().report(
                &rules::EG004,
                lang_span,
                format!("Unknown function language: {lang}"),
                Some(info.signature.clone()),
            );
        }
    }
}

/// Does the function return `trigger` or `event_trigger` (so only the
/// server calls it, as a trigger)?
fn returns_trigger(f: &pb::CreateFunctionStmt) -> bool {
    f.return_type.as_ref().is_some_and(|t| {
        !t.setof
            && t.array_bounds.is_empty()
            && matches!(
                names::strings(&t.names).as_slice(),
                ["trigger" | "event_trigger"] | ["pg_catalog", "trigger" | "event_trigger"]
            )
    })
}

/// ALTER FUNCTION / PROCEDURE / ROUTINE: SECURITY DEFINER hygiene.
pub fn alter_function(ck: &mut Checker, a: &pb::AlterFunctionStmt) {
    if !rules::eg116_alter_function_security_definer::check(&mut ck.rules(), a) {
        return;
    }
    let Some(func) = &a.func else { return };
    let parts = names::strings(&func.objname);
    let schema = names::schema_of(&func.objname)
        .unwrap_or_default()
        .to_string();
    let name = parts.last().copied().unwrap_or_default().to_string();
    let loc = names::def_elem(&a.actions, "security").map_or(-1, |d| d.location);
    let span = ck.unit.tokens_span(loc, 2);
    rules::eg117_security_definer_executable_by_public::record(
        &mut ck.rules(),
        &schema,
        &name,
        span,
        &names::dotted(&func.objname),
    );
}

/// The span of the language name of a CREATE FUNCTION (its `LANGUAGE` item),
/// else of the whole statement.
fn language_span(ck: &Checker, options: &[pb::Node]) -> crate::span::Span {
    let span = names::def_elem(options, "language")
        .map(|d| ck.unit.token_span(d.location))
        .unwrap_or_else(|| ck.unit.statement_span());
    next_word_span(ck, span)
}

/// The span of the word after `LANGUAGE` (the DefElem points at the keyword).
fn next_word_span(ck: &Checker, kw: crate::span::Span) -> crate::span::Span {
    let unit = ck.unit;
    for t in unit.tokens().iter() {
        let local = t.start;
        if unit.map.to_file(local) > kw.start
            && matches!(
                t.kind,
                TokenKind::Word | TokenKind::QuotedIdent | TokenKind::String
            )
        {
            return unit.span((local, t.end));
        }
    }
    kw
}

pub fn do_block(ck: &mut Checker, d: &pb::DoStmt) {
    let language = names::def_elem(&d.args, "language")
        .and_then(names::def_arg_text)
        .map(|l| l.to_ascii_lowercase())
        .unwrap_or_else(|| "plpgsql".into());
    if language != "plpgsql" {
        let lang_span = next_word_span(ck, ck.unit.keyword_span("language"));
        rules::eg115_untrusted_language_function::check_do(&mut ck.rules(), &language, lang_span);
        if !ck
            .cx
            .cfg
            .ignore_lang
            .iter()
            .any(|l| l.eq_ignore_ascii_case(&language))
        {
            // DO's LANGUAGE item carries no location: find the keyword, then the name.
            ck.rules().report(
                &rules::EG004,
                lang_span,
                format!("Unknown language: {language}"),
                None,
            );
        }
        return;
    }
    if !ck.cx.cfg.plpgsql {
        return;
    }
    if let Some((body, literal)) = body_unit(ck, &d.args) {
        if ck.cx.depth >= MAX_DEPTH {
            ck.cx.nested_too_deeply(&body);
            return;
        }
        // A DO block runs now, in this session: it shares the script's state.
        ck.cx.depth += 1;
        plpgsql::analyze(ck.cx, ck.state, ck.unit, &body, literal);
        ck.cx.depth -= 1;
    }
}

/// The body of a CREATE FUNCTION / DO as a unit mapped back to the file: the
/// first string literal after the `AS` item's location; with the literal's
/// byte range in the statement.
fn body_unit(ck: &Checker, options: &[pb::Node]) -> Option<(Unit<'static>, (usize, usize))> {
    let def = names::def_elem(options, "as")?;
    let unit = ck.unit;
    let from = def.location.max(0) as usize;
    let tok = unit
        .tokens()
        .iter()
        .find(|t| t.start >= from && t.kind == TokenKind::String)?;
    let local = lexer::Token {
        start: tok.start,
        end: tok.end,
        kind: tok.kind,
    };
    let value = lexer::decode_string(&unit.text, &local)?;
    // Only accept the literal if it really is the body the parser saw.
    let expected = names::def_arg_strings(def);
    if expected.first().is_some_and(|e| *e != value.value) {
        return None;
    }
    Some((
        Unit::owned(value.value, unit.map.compose(&value.map)),
        (tok.start, tok.end),
    ))
}

/// `--sql-accepting` functions: their string arguments are SQL. Constant
/// ones (literals, concatenations, format() of constants) are analysed under
/// the current state; values spliced into them unquoted are injection findings.
pub fn sql_accepting_call(ck: &mut Checker, f: &pb::FuncCall) {
    let Some(last) = names::strings(&f.funcname).last().copied() else {
        return;
    };
    if !ck.cx.cfg.sql_accepting.iter().any(|s| s == last) || ck.cx.depth >= MAX_DEPTH {
        return;
    }
    for arg in &f.args {
        // numbers, booleans and NULL are not SQL text
        if matches!(&arg.node, Some(NodeEnum::AConst(c)) if !matches!(c.val, Some(pb::a_const::Val::Sval(_))))
        {
            continue;
        }
        dynamic::sink(ck.cx, ck.state, ck.unit, arg);
    }
}

/// `name(argname type,...)` with defaults left out, as pgspot renders it.
pub fn signature(f: &pb::CreateFunctionStmt) -> String {
    let args: Vec<String> = f
        .parameters
        .iter()
        .filter_map(|p| match &p.node {
            Some(NodeEnum::FunctionParameter(p)) => Some(parameter(p)),
            _ => None,
        })
        .collect();
    format!("{}({})", names::dotted(&f.funcname), args.join(","))
}

fn parameter(p: &pb::FunctionParameter) -> String {
    let mut s = String::new();
    match FunctionParameterMode::try_from(p.mode).unwrap_or(FunctionParameterMode::Undefined) {
        FunctionParameterMode::FuncParamIn => s.push_str("IN "),
        FunctionParameterMode::FuncParamOut => s.push_str("OUT "),
        FunctionParameterMode::FuncParamInout => s.push_str("INOUT "),
        FunctionParameterMode::FuncParamVariadic => s.push_str("VARIADIC "),
        _ => {}
    }
    if !p.name.is_empty() {
        s.push_str(&quote_ident(&p.name));
        s.push(' ');
    }
    if let Some(t) = &p.arg_type {
        s.push_str(&type_name(t));
    }
    s
}

/// A type name rendered the way pgspot's printer does.
pub fn type_name(t: &pb::TypeName) -> String {
    let parts = names::strings(&t.names);
    let full = parts.join(".");
    let (mut out, suffix) = match full.as_str() {
        "pg_catalog.bool" => ("boolean".to_string(), ""),
        "pg_catalog.bpchar" => ("char".into(), ""),
        "pg_catalog.float4" => ("real".into(), ""),
        "pg_catalog.float8" => ("double precision".into(), ""),
        "pg_catalog.int2" => ("smallint".into(), ""),
        "pg_catalog.int4" => ("integer".into(), ""),
        "pg_catalog.int8" => ("bigint".into(), ""),
        "pg_catalog.interval" => ("interval".into(), ""),
        "pg_catalog.numeric" => ("numeric".into(), ""),
        "pg_catalog.time" => ("time".into(), ""),
        "pg_catalog.timestamp" => ("timestamp".into(), ""),
        "pg_catalog.timestamptz" => ("timestamp".into(), " with time zone"),
        "pg_catalog.timetz" => ("time".into(), " with time zone"),
        "pg_catalog.varbit" => ("bit varying".into(), ""),
        "pg_catalog.varchar" => ("varchar".into(), ""),
        "char" => ("\"char\"".into(), ""),
        _ => (
            parts
                .iter()
                .map(|p| quote_ident(p))
                .collect::<Vec<_>>()
                .join("."),
            "",
        ),
    };
    if t.pct_type {
        out.push_str("%TYPE");
        return out;
    }
    let mods: Vec<String> = t.typmods.iter().filter_map(names::const_text).collect();
    let skip = full == "pg_catalog.bpchar" && mods.len() == 1 && mods[0] == "1";
    if !mods.is_empty() && !skip && full != "pg_catalog.interval" {
        out.push('(');
        out.push_str(&mods.join(","));
        out.push(')');
    }
    out.push_str(suffix);
    for b in &t.array_bounds {
        match names::const_text(b) {
            Some(n) if !n.starts_with('-') => out.push_str(&format!("[{n}]")),
            _ => out.push_str("[]"),
        }
    }
    if t.setof {
        out.insert_str(0, "SETOF ");
    }
    out
}

/// Quote an identifier when PostgreSQL would need it.
pub fn quote_ident(s: &str) -> String {
    const RESERVED: &[&str] = &[
        "all",
        "analyse",
        "analyze",
        "and",
        "any",
        "array",
        "as",
        "asc",
        "asymmetric",
        "both",
        "case",
        "cast",
        "check",
        "collate",
        "column",
        "constraint",
        "create",
        "current_catalog",
        "current_date",
        "current_role",
        "current_time",
        "current_timestamp",
        "current_user",
        "default",
        "deferrable",
        "desc",
        "distinct",
        "do",
        "else",
        "end",
        "except",
        "false",
        "fetch",
        "for",
        "foreign",
        "from",
        "grant",
        "group",
        "having",
        "in",
        "initially",
        "intersect",
        "into",
        "lateral",
        "leading",
        "limit",
        "localtime",
        "localtimestamp",
        "not",
        "null",
        "offset",
        "on",
        "only",
        "or",
        "order",
        "placing",
        "primary",
        "references",
        "returning",
        "select",
        "session_user",
        "some",
        "symmetric",
        "table",
        "then",
        "to",
        "trailing",
        "true",
        "union",
        "unique",
        "user",
        "using",
        "variadic",
        "when",
        "where",
        "window",
        "with",
    ];
    let plain = s
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '$')
        && !RESERVED.contains(&s);
    if plain {
        s.to_string()
    } else {
        format!("\"{}\"", s.replace('"', "\"\""))
    }
}
