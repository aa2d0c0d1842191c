//! Expressions printed the way pgspot 0.9.4 prints them in its findings
//! (pglast's `RawStream`): `'=' in a = b`, `text in CAST(x AS text)`,
//! `CASE x WHEN 1 THEN 2 END`. Only `extguard pgspot` uses this text; the
//! other formats name the operator or type alone.
//!
//! The common expression nodes follow pglast's printers rule by rule
//! (parentheses around nested operators, `CAST(... AS ...)`, `- x` for a
//! prefix operator, quoting of names); anything else (sub-selects, window
//! clauses, JSON constructors) is printed by libpg_query's deparser, which
//! may space or parenthesise it differently.

use pg_query::protobuf as pb;
use pg_query::NodeEnum;

use crate::analysis::functions::{quote_ident, type_name};
use crate::parse::names;

/// `'op' in <expr>` for PS001.
pub fn operator(e: &pb::AExpr) -> String {
    let name = names::strings(&e.name).join(".");
    let mut out = String::new();
    a_expr(e, &mut out);
    format!("'{name}' in {out}")
}

/// `type in CAST(...)` for a PS017 cast.
pub fn cast(t: &pb::TypeCast) -> String {
    let name = t
        .type_name
        .as_ref()
        .map(|tn| names::strings(&tn.names).join("."))
        .unwrap_or_default();
    let mut out = String::new();
    type_cast(t, &mut out);
    format!("{name} in {out}")
}

/// The whole CASE expression, for PS009.
pub fn case(c: &pb::CaseExpr) -> String {
    let mut out = String::new();
    case_expr(c, &mut out);
    out
}

fn node(n: &pb::Node, out: &mut String) {
    let Some(e) = &n.node else { return };
    match e {
        NodeEnum::AExpr(x) => a_expr(x, out),
        NodeEnum::AConst(c) => a_const(c, out),
        NodeEnum::ColumnRef(c) => name_list(&c.fields, out),
        NodeEnum::ParamRef(p) => out.push_str(&format!("${}", p.number)),
        NodeEnum::FuncCall(f) if f.over.is_none() && f.agg_filter.is_none() => func_call(f, out),
        NodeEnum::TypeCast(t) => type_cast(t, out),
        NodeEnum::BoolExpr(b) => bool_expr(b, out),
        NodeEnum::NullTest(t) => {
            opt(&t.arg, out);
            out.push_str(" IS");
            if t.nulltesttype == pb::NullTestType::IsNotNull as i32 {
                out.push_str(" NOT");
            }
            out.push_str(" NULL");
        }
        NodeEnum::CaseExpr(c) => case_expr(c, out),
        NodeEnum::CoalesceExpr(c) => {
            out.push_str("COALESCE(");
            list(&c.args, out);
            out.push(')');
        }
        NodeEnum::MinMaxExpr(m) => {
            out.push_str(if m.op == pb::MinMaxOp::IsGreatest as i32 {
                "GREATEST("
            } else {
                "LEAST("
            });
            list(&m.args, out);
            out.push(')');
        }
        NodeEnum::AArrayExpr(a) => {
            out.push_str("ARRAY[");
            list(&a.elements, out);
            out.push(']');
        }
        NodeEnum::RowExpr(r) if r.row_format == pb::CoercionForm::CoerceExplicitCall as i32 => {
            out.push_str("ROW(");
            list(&r.args, out);
            out.push(')');
        }
        NodeEnum::RowExpr(r) if r.row_format == pb::CoercionForm::CoerceImplicitCast as i32 => {
            out.push('(');
            list(&r.args, out);
            out.push(')');
        }
        NodeEnum::NamedArgExpr(a) => {
            out.push_str(&quote_ident(&a.name));
            out.push_str(" => ");
            opt(&a.arg, out);
        }
        NodeEnum::AIndirection(i) => indirection(i, out),
        NodeEnum::AStar(_) => out.push('*'),
        NodeEnum::String(s) => out.push_str(&quote_ident(&s.sval)),
        NodeEnum::Integer(i) => out.push_str(&i.ival.to_string()),
        NodeEnum::Float(f) => out.push_str(&f.fval),
        NodeEnum::TypeName(t) => out.push_str(&type_name(t)),
        NodeEnum::SubLink(s) => sub_link(s, out),
        _ => deparsed(n, out),
    }
}

fn opt(n: &Option<Box<pb::Node>>, out: &mut String) {
    if let Some(n) = n {
        node(n, out);
    }
}

fn list(nodes: &[pb::Node], out: &mut String) {
    for (i, n) in nodes.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        node(n, out);
    }
}

fn name_list(nodes: &[pb::Node], out: &mut String) {
    for (i, n) in nodes.iter().enumerate() {
        if i > 0 {
            out.push('.');
        }
        match &n.node {
            Some(NodeEnum::String(s)) => out.push_str(&quote_ident(&s.sval)),
            Some(NodeEnum::AStar(_)) => out.push('*'),
            _ => node(n, out),
        }
    }
}

fn is_kind(n: &Option<Box<pb::Node>>, f: fn(&NodeEnum) -> bool) -> bool {
    n.as_ref().and_then(|n| n.node.as_ref()).is_some_and(f)
}

/// pglast wraps an operand in parentheses when it is itself an operator,
/// a boolean expression or a null test.
fn compound(e: &NodeEnum) -> bool {
    matches!(
        e,
        NodeEnum::BoolExpr(_) | NodeEnum::NullTest(_) | NodeEnum::AExpr(_)
    )
}

fn wrapped(n: Option<&pb::Node>, parens: bool, out: &mut String) {
    if parens {
        out.push('(');
    }
    if let Some(n) = n {
        node(n, out);
    }
    if parens {
        out.push(')');
    }
}

fn a_expr(e: &pb::AExpr, out: &mut String) {
    use pb::AExprKind as K;
    let op = names::strings(&e.name).join(".");
    let kind = K::try_from(e.kind).unwrap_or(K::Undefined);
    match kind {
        K::AexprOp => {
            if e.lexpr.is_some() {
                let mut parens = is_kind(&e.lexpr, compound);
                if let Some(NodeEnum::AExpr(l)) = e.lexpr.as_ref().and_then(|n| n.node.as_ref()) {
                    if names::strings(&l.name) == names::strings(&e.name)
                        && ["*", "/", "+", "-", "||"].contains(&op.as_str())
                    {
                        parens = false;
                    }
                }
                wrapped(e.lexpr.as_deref(), parens, out);
                out.push(' ');
            }
            if e.name.len() > 1 {
                out.push_str("OPERATOR(");
                let parts = names::strings(&e.name);
                let (last, schema) = parts.split_last().expect("two parts");
                for s in schema {
                    out.push_str(&quote_ident(s));
                    out.push('.');
                }
                out.push_str(last);
                out.push(')');
            } else {
                out.push_str(&op);
            }
            out.push(' ');
            wrapped(e.rexpr.as_deref(), is_kind(&e.rexpr, compound), out);
        }
        K::AexprOpAny | K::AexprOpAll => {
            opt(&e.lexpr, out);
            out.push(' ');
            out.push_str(&op);
            out.push_str(if kind == K::AexprOpAny {
                " ANY("
            } else {
                " ALL("
            });
            opt(&e.rexpr, out);
            out.push(')');
        }
        K::AexprDistinct => {
            wrapped(e.lexpr.as_deref(), is_kind(&e.lexpr, compound), out);
            out.push_str(" IS DISTINCT FROM ");
            wrapped(e.rexpr.as_deref(), is_kind(&e.rexpr, compound), out);
        }
        K::AexprNotDistinct => {
            opt(&e.lexpr, out);
            out.push_str(" IS NOT DISTINCT FROM ");
            opt(&e.rexpr, out);
        }
        K::AexprNullif => {
            out.push_str("NULLIF(");
            opt(&e.lexpr, out);
            out.push_str(", ");
            opt(&e.rexpr, out);
            out.push(')');
        }
        K::AexprIn => {
            opt(&e.lexpr, out);
            out.push_str(if op == "<>" { " NOT IN (" } else { " IN (" });
            match e.rexpr.as_ref().and_then(|n| n.node.as_ref()) {
                Some(NodeEnum::List(l)) => list(&l.items, out),
                _ => opt(&e.rexpr, out),
            }
            out.push(')');
        }
        K::AexprLike | K::AexprIlike | K::AexprSimilar => {
            opt(&e.lexpr, out);
            let (not, word) = match kind {
                K::AexprLike => (op == "!~~", "LIKE"),
                K::AexprIlike => (op == "!~~*", "ILIKE"),
                _ => (op == "!~", "SIMILAR TO"),
            };
            out.push_str(if not { " NOT " } else { " " });
            out.push_str(word);
            out.push(' ');
            match e.rexpr.as_ref().and_then(|n| n.node.as_ref()) {
                // SIMILAR TO's pattern is wrapped in similar_to_escape()
                Some(NodeEnum::FuncCall(f)) if kind == K::AexprSimilar => {
                    if let Some(p) = f.args.first() {
                        node(p, out);
                    }
                    if let Some(esc) = f.args.get(1) {
                        out.push_str(" ESCAPE ");
                        node(esc, out);
                    }
                }
                _ => opt(&e.rexpr, out),
            }
        }
        K::AexprBetween | K::AexprNotBetween | K::AexprBetweenSym | K::AexprNotBetweenSym => {
            opt(&e.lexpr, out);
            out.push_str(match kind {
                K::AexprBetween => " BETWEEN ",
                K::AexprNotBetween => " NOT BETWEEN ",
                K::AexprBetweenSym => " BETWEEN SYMMETRIC ",
                _ => " NOT BETWEEN SYMMETRIC ",
            });
            if let Some(NodeEnum::List(l)) = e.rexpr.as_ref().and_then(|n| n.node.as_ref()) {
                for (i, n) in l.items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(" AND ");
                    }
                    node(n, out);
                }
            }
        }
        K::Undefined => out.push_str(&op),
    }
}

fn a_const(c: &pb::AConst, out: &mut String) {
    use pb::a_const::Val;
    if c.isnull {
        out.push_str("NULL");
        return;
    }
    match &c.val {
        Some(Val::Ival(i)) => out.push_str(&i.ival.to_string()),
        Some(Val::Fval(f)) => out.push_str(&f.fval),
        Some(Val::Boolval(b)) => out.push_str(if b.boolval { "TRUE" } else { "FALSE" }),
        Some(Val::Sval(s)) => {
            out.push('\'');
            out.push_str(&placeholders(&s.sval).replace('\'', "''"));
            out.push('\'');
        }
        Some(Val::Bsval(b)) => {
            let (k, v) = b.bsval.split_at(b.bsval.len().min(1));
            out.push_str(&format!("{k}'{v}'"));
        }
        None => out.push_str("NULL"),
    }
}

/// Extension-script placeholders inside string literals as pgspot
/// substitutes them (`@extschema@` -> `extschema`, `@extschema:cube@` ->
/// `extschema_cube`); extguard's source text has them as quoted names.
fn placeholders(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.contains("\"ext") && !s.contains("\"database_owner\"") {
        return s.into();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('"') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let name = after.find('"').map(|j| &after[..j]);
        match name {
            Some(n @ ("extschema" | "extowner" | "database_owner")) => {
                out.push_str(n);
                rest = &after[n.len() + 1..];
            }
            Some(n) if n.starts_with("extschema:") => {
                out.push_str(&n.replacen(':', "_", 1));
                rest = &after[n.len() + 1..];
            }
            _ => {
                out.push('"');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out.into()
}

fn func_call(f: &pb::FuncCall, out: &mut String) {
    name_list(&f.funcname, out);
    out.push('(');
    if f.agg_distinct {
        out.push_str("DISTINCT ");
    }
    if f.args.is_empty() {
        if f.agg_star {
            out.push('*');
        }
    } else if f.func_variadic {
        let (last, rest) = f.args.split_last().expect("not empty");
        if !rest.is_empty() {
            list(rest, out);
            out.push_str(", ");
        }
        out.push_str("VARIADIC ");
        node(last, out);
    } else {
        list(&f.args, out);
    }
    if !f.agg_order.is_empty() {
        out.push_str(if f.agg_within_group {
            ") WITHIN GROUP (ORDER BY "
        } else {
            " ORDER BY "
        });
        for (i, s) in f.agg_order.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            match &s.node {
                Some(NodeEnum::SortBy(s)) => opt(&s.node, out),
                _ => node(s, out),
            }
        }
    }
    out.push(')');
}

fn type_cast(t: &pb::TypeCast, out: &mut String) {
    let Some(tn) = &t.type_name else {
        return opt(&t.arg, out);
    };
    let full = names::strings(&tn.names).join(".");
    if full == "pg_catalog.bpchar"
        && tn.typmods.is_empty()
        && is_kind(&t.arg, |e| matches!(e, NodeEnum::AConst(_)))
    {
        out.push_str("char ");
        return opt(&t.arg, out);
    }
    out.push_str("CAST(");
    opt(&t.arg, out);
    out.push_str(" AS ");
    out.push_str(&type_name(tn));
    out.push(')');
}

fn bool_expr(b: &pb::BoolExpr, out: &mut String) {
    let and_or = |n: &pb::Node| {
        matches!(&n.node, Some(NodeEnum::BoolExpr(x))
            if x.boolop == pb::BoolExprType::AndExpr as i32 || x.boolop == pb::BoolExprType::OrExpr as i32)
    };
    let sep = if b.boolop == pb::BoolExprType::AndExpr as i32 {
        " AND "
    } else if b.boolop == pb::BoolExprType::OrExpr as i32 {
        " OR "
    } else {
        out.push_str("NOT ");
        if let Some(a) = b.args.first() {
            wrapped(Some(a), and_or(a), out);
        }
        return;
    };
    for (i, a) in b.args.iter().enumerate() {
        if i > 0 {
            out.push_str(sep);
        }
        wrapped(Some(a), and_or(a), out);
    }
}

fn case_expr(c: &pb::CaseExpr, out: &mut String) {
    out.push_str("CASE ");
    if let Some(a) = &c.arg {
        node(a, out);
        out.push(' ');
    }
    for (i, w) in c.args.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        if let Some(NodeEnum::CaseWhen(w)) = &w.node {
            out.push_str("WHEN ");
            opt(&w.expr, out);
            out.push_str(" THEN ");
            opt(&w.result, out);
        }
    }
    if let Some(d) = &c.defresult {
        out.push_str(" ELSE ");
        node(d, out);
    }
    out.push_str(" END");
}

fn indirection(i: &pb::AIndirection, out: &mut String) {
    let first_is_index = matches!(
        i.indirection.first().and_then(|n| n.node.as_ref()),
        Some(NodeEnum::AIndices(_))
    );
    let parens = is_kind(&i.arg, |e| {
        matches!(
            e,
            NodeEnum::AArrayExpr(_)
                | NodeEnum::AExpr(_)
                | NodeEnum::FuncCall(_)
                | NodeEnum::AIndirection(_)
                | NodeEnum::RowExpr(_)
                | NodeEnum::TypeCast(_)
        )
    }) || (is_kind(&i.arg, |e| matches!(e, NodeEnum::ColumnRef(_)))
        && !first_is_index);
    wrapped(i.arg.as_deref(), parens, out);
    for n in &i.indirection {
        match &n.node {
            Some(NodeEnum::AIndices(x)) => {
                out.push('[');
                if x.is_slice {
                    opt(&x.lidx, out);
                    out.push(':');
                }
                opt(&x.uidx, out);
                out.push(']');
            }
            Some(NodeEnum::String(s)) => {
                out.push('.');
                out.push_str(&quote_ident(&s.sval));
            }
            Some(NodeEnum::AStar(_)) => out.push_str(".*"),
            _ => node(n, out),
        }
    }
}

fn sub_link(s: &pb::SubLink, out: &mut String) {
    use pb::SubLinkType as T;
    let oper = names::strings(&s.oper_name).join(".");
    match T::try_from(s.sub_link_type).unwrap_or(T::Undefined) {
        T::ExistsSublink => out.push_str("EXISTS "),
        T::AllSublink => {
            opt(&s.testexpr, out);
            out.push_str(&format!(" {oper} ALL "));
        }
        T::AnySublink if !oper.is_empty() => {
            opt(&s.testexpr, out);
            out.push_str(&format!(" {oper} ANY "));
        }
        T::AnySublink => {
            opt(&s.testexpr, out);
            out.push_str(" IN ");
        }
        T::ArraySublink => out.push_str("ARRAY"),
        _ => {}
    }
    out.push('(');
    if let Some(sel) = &s.subselect {
        match sel.node.as_ref().map(|n| n.deparse()) {
            Some(Ok(text)) => out.push_str(&text),
            _ => out.push('…'),
        }
    }
    out.push(')');
}

/// libpg_query's deparser, for nodes this printer does not follow pglast for.
fn deparsed(n: &pb::Node, out: &mut String) {
    let select = pb::SelectStmt {
        target_list: vec![pb::Node {
            node: Some(NodeEnum::ResTarget(Box::new(pb::ResTarget {
                val: Some(Box::new(n.clone())),
                ..Default::default()
            }))),
        }],
        limit_option: pb::LimitOption::Default as i32,
        op: pb::SetOperation::SetopNone as i32,
        ..Default::default()
    };
    match NodeEnum::SelectStmt(Box::new(select)).deparse() {
        Ok(text) => out.push_str(text.strip_prefix("SELECT ").unwrap_or(&text)),
        Err(_) => out.push('…'),
    }
}
