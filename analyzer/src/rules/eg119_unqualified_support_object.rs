//! EG119: unqualified support functions and types of casts, operators,
//! aggregates, types, triggers and domains.

use pg_query::protobuf::{
    AlterOpFamilyStmt, CreateAmStmt, CreateCastStmt, CreateConversionStmt, CreateDomainStmt,
    CreateEventTrigStmt, CreateFdwStmt, CreateOpClassStmt, CreatePLangStmt, CreateRangeStmt,
    CreateTrigStmt, DefineStmt, Node, ObjectType, TypeName,
};
use pg_query::NodeEnum;

use crate::parse::names;
use crate::rules::RuleCx;

declare_rule! {
    /// ## What it flags
    /// While the search_path is not secure, a one-part function or type name
    /// that a definition binds for good: the function of `CREATE CAST ...
    /// WITH FUNCTION` and its source and target types; `PROCEDURE`/`FUNCTION`,
    /// `RESTRICT` and `JOIN` of `CREATE OPERATOR`; `SFUNC`, `FINALFUNC`,
    /// `COMBINEFUNC`, `SERIALFUNC`, `DESERIALFUNC`, `MSFUNC`, `MINVFUNC`,
    /// `MFINALFUNC` of `CREATE AGGREGATE`; `INPUT`, `OUTPUT`, `RECEIVE`,
    /// `SEND`, `TYPMOD_IN`, `TYPMOD_OUT`, `ANALYZE`, `SUBSCRIPT` of `CREATE
    /// TYPE`; `SUBTYPE_DIFF` and `CANONICAL` of a range type; the functions of
    /// text search parsers and templates; `EXECUTE FUNCTION` of `CREATE
    /// TRIGGER` and `CREATE EVENT TRIGGER`; the base type of `CREATE DOMAIN`;
    /// the `FUNCTION n f(...)` items of `CREATE OPERATOR CLASS` and `ALTER
    /// OPERATOR FAMILY ... ADD`; the handler (and inline/validator) functions
    /// of `CREATE ACCESS METHOD`, `CREATE FOREIGN DATA WRAPPER` and `CREATE
    /// LANGUAGE`; the function of `CREATE CONVERSION`.
    ///
    /// ## Why it is dangerous
    /// The name is resolved once, when the object is created, and the object
    /// keeps using what was found: a function or type planted in an earlier
    /// schema of the search_path (or pg_temp) becomes part of the cast,
    /// operator, aggregate or trigger, and runs whenever it is used, with the
    /// privileges of whoever uses it.
    ///
    /// ## Example
    /// ```sql
    /// CREATE OPERATOR s.=== (LEFTARG = s.t, RIGHTARG = s.t, FUNCTION = t_eq);
    /// ```
    ///
    /// ## Fix
    /// Qualify it (`FUNCTION = s.t_eq`, `pg_catalog.eqsel`) or set a secure
    /// search_path first.
    pub static RULE = { code: "EG119", name: "unqualified-support-object", title: "Unqualified support function or type", severity: Warning };
}

/// Support-function items of each kind of definition.
fn support_items(kind: ObjectType) -> &'static [&'static str] {
    match kind {
        ObjectType::ObjectOperator => &["procedure", "function", "restrict", "join"],
        ObjectType::ObjectAggregate => &[
            "sfunc",
            "finalfunc",
            "combinefunc",
            "serialfunc",
            "deserialfunc",
            "msfunc",
            "minvfunc",
            "mfinalfunc",
        ],
        ObjectType::ObjectType => &[
            "input",
            "output",
            "receive",
            "send",
            "typmod_in",
            "typmod_out",
            "analyze",
            "subscript",
        ],
        ObjectType::ObjectTsparser => &["start", "gettoken", "end", "lextypes", "headline"],
        ObjectType::ObjectTstemplate => &["init", "lexize"],
        _ => &[],
    }
}

/// Report the function named by each listed DefElem when it has one part.
fn check_items(ck: &mut RuleCx, what: &str, items: &[&str], definition: &[Node]) {
    for d in names::def_elems(definition).filter(|d| items.contains(&d.defname.as_str())) {
        let (name, loc) = match d.arg.as_deref().and_then(|a| a.node.as_ref()) {
            Some(NodeEnum::TypeName(t)) => (names::strings(&t.names), t.location),
            Some(NodeEnum::List(l)) => (names::strings(&l.items), -1),
            Some(NodeEnum::String(s)) => (vec![s.sval.as_str()], -1),
            _ => continue,
        };
        if name.len() != 1 {
            continue;
        }
        let span = if loc >= 0 {
            ck.name_span(loc)
        } else {
            ck.find_name_span_after(&d.defname, &name)
        };
        let name = name[0].to_string();
        ck.report(
            &RULE,
            span,
            format!(
                "{} function {name}() of the {what} is resolved through an insecure search_path",
                d.defname.to_ascii_uppercase()
            ),
            Some(name),
        );
    }
}

/// Report a one-part type name.
fn check_type(ck: &mut RuleCx, what: &str, t: Option<&TypeName>) {
    let Some(t) = t else { return };
    let parts = names::strings(&t.names);
    if parts.len() != 1 {
        return;
    }
    let span = ck.name_span(t.location);
    let name = parts[0].to_string();
    ck.report(
        &RULE,
        span,
        format!("{what} {name} is resolved through an insecure search_path"),
        Some(name),
    );
}

/// Report a one-part function name that follows the keyword `kw`.
fn check_function_name(ck: &mut RuleCx, what: &str, kw: &str, funcname: &[Node]) {
    let parts = names::strings(funcname);
    if parts.len() != 1 {
        return;
    }
    let span = ck.find_name_span_after(kw, &parts);
    let name = parts[0].to_string();
    ck.report(
        &RULE,
        span,
        format!("{what} function {name}() is resolved through an insecure search_path"),
        Some(name),
    );
}

pub fn check_define(ck: &mut RuleCx, d: &DefineStmt) {
    if ck.secure() {
        return;
    }
    let Ok(kind) = ObjectType::try_from(d.kind) else {
        return;
    };
    let what = match kind {
        ObjectType::ObjectOperator => "operator",
        ObjectType::ObjectAggregate => "aggregate",
        ObjectType::ObjectType => "type",
        ObjectType::ObjectTsparser => "text search parser",
        ObjectType::ObjectTstemplate => "text search template",
        _ => return,
    };
    check_items(ck, what, support_items(kind), &d.definition);
}

pub fn check_range(ck: &mut RuleCx, r: &CreateRangeStmt) {
    if ck.secure() {
        return;
    }
    check_items(ck, "range type", &["subtype_diff", "canonical"], &r.params);
}

pub fn check_cast(ck: &mut RuleCx, c: &CreateCastStmt) {
    if ck.secure() {
        return;
    }
    check_type(ck, "source type", c.sourcetype.as_ref());
    check_type(ck, "target type", c.targettype.as_ref());
    if let Some(f) = &c.func {
        check_function_name(ck, "cast", "function", &f.objname);
    }
}

pub fn check_trigger(ck: &mut RuleCx, t: &CreateTrigStmt) {
    if ck.secure() {
        return;
    }
    check_function_name(ck, "trigger", "execute", &t.funcname);
}

pub fn check_event_trigger(ck: &mut RuleCx, e: &CreateEventTrigStmt) {
    if ck.secure() {
        return;
    }
    check_function_name(ck, "event trigger", "execute", &e.funcname);
}

pub fn check_domain(ck: &mut RuleCx, d: &CreateDomainStmt) {
    if ck.secure() {
        return;
    }
    check_type(ck, "base type", d.type_name.as_ref());
}

/// `FUNCTION n name(...)` items of an operator class or family (item type 2).
fn check_opclass_items(ck: &mut RuleCx, what: &str, items: &[Node]) {
    const OPCLASS_ITEM_FUNCTION: i32 = 2;
    for item in items {
        let Some(NodeEnum::CreateOpClassItem(i)) = &item.node else {
            continue;
        };
        if i.itemtype != OPCLASS_ITEM_FUNCTION {
            continue;
        }
        if let Some(f) = &i.name {
            check_function_name(ck, what, "function", &f.objname);
        }
    }
}

pub fn check_opclass(ck: &mut RuleCx, c: &CreateOpClassStmt) {
    if !ck.secure() {
        check_opclass_items(ck, "operator class support", &c.items);
    }
}

pub fn check_opfamily(ck: &mut RuleCx, a: &AlterOpFamilyStmt) {
    if !ck.secure() && !a.is_drop {
        check_opclass_items(ck, "operator family support", &a.items);
    }
}

pub fn check_access_method(ck: &mut RuleCx, a: &CreateAmStmt) {
    if !ck.secure() {
        check_function_name(ck, "access method handler", "handler", &a.handler_name);
    }
}

pub fn check_fdw(ck: &mut RuleCx, f: &CreateFdwStmt) {
    if !ck.secure() {
        check_items(
            ck,
            "foreign-data wrapper",
            &["handler", "validator"],
            &f.func_options,
        );
    }
}

pub fn check_language(ck: &mut RuleCx, l: &CreatePLangStmt) {
    if ck.secure() {
        return;
    }
    check_function_name(ck, "language handler", "handler", &l.plhandler);
    check_function_name(ck, "language inline", "inline", &l.plinline);
    check_function_name(ck, "language validator", "validator", &l.plvalidator);
}

pub fn check_conversion(ck: &mut RuleCx, c: &CreateConversionStmt) {
    if !ck.secure() {
        check_function_name(ck, "conversion", "from", &c.func_name);
    }
}
