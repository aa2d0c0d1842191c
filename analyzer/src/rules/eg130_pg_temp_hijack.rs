//! EG130: an unqualified relation or type that only pg_temp can provide.

use pg_query::protobuf::{RangeVar, TypeCast};

use crate::finding::Severity;
use crate::parse::names;
use crate::rules::RuleCx;

declare_rule! {
    /// ## What it flags
    /// Inside a function body whose search_path is `pg_catalog, pg_temp`
    /// (nothing else before pg_temp), an unqualified relation or type that is
    /// not in pg_catalog (PostgreSQL 15's catalog, embedded in extguard). An
    /// error in SECURITY DEFINER functions, a warning elsewhere.
    ///
    /// ## Why it is dangerous
    /// pg_temp is searched for relations and types. With nothing else in the
    /// path, the name can only resolve to a temporary table or type — which
    /// any caller can create first, so a SECURITY DEFINER function reads or
    /// writes the caller's object with its owner's rights (temp-table hijack).
    /// Functions and operators are never looked up in pg_temp, so
    /// `lower(x)` there is fine.
    ///
    /// ## Example
    /// ```sql
    /// CREATE FUNCTION s.f() RETURNS bigint LANGUAGE sql SECURITY DEFINER
    ///   SET search_path = pg_catalog, pg_temp
    ///   AS $$ SELECT count(*) FROM settings $$;
    /// ```
    ///
    /// ## Fix
    /// Qualify the name (`s.settings`), or put the extension's schema in the
    /// SET clause before pg_temp: `SET search_path = s, pg_catalog, pg_temp`.
    pub static RULE = { code: "EG130", name: "pg-temp-hijack", title: "Name resolvable only through pg_temp", severity: Warning };
}

fn severity(ck: &RuleCx) -> Severity {
    if ck.in_security_definer() {
        Severity::Error
    } else {
        Severity::Warning
    }
}

pub fn check_range_var(ck: &mut RuleCx, r: &RangeVar) {
    if !r.schemaname.is_empty()
        || r.relpersistence == "t"
        || !ck.in_function_body()
        || !ck.only_catalog_then_temp()
        || ck.is_cte(&r.relname)
        || ck.catalog().is_relation(&r.relname)
    {
        return;
    }
    let span = ck.name_span(r.location);
    let sev = severity(ck);
    ck.report_as(&RULE, sev, span, format!("relation {} is not in pg_catalog, so it can only resolve to a temporary table in pg_temp", r.relname), Some(r.relname.clone()));
}

pub fn check_type_cast(ck: &mut RuleCx, t: &TypeCast) {
    let Some(tn) = &t.type_name else { return };
    let parts = names::strings(&tn.names);
    if parts.len() != 1
        || !ck.in_function_body()
        || !ck.only_catalog_then_temp()
        || ck.catalog().is_type(parts[0])
    {
        return;
    }
    let span = ck.name_span(tn.location);
    let sev = severity(ck);
    let name = parts[0].to_string();
    ck.report_as(
        &RULE,
        sev,
        span,
        format!("type {name} is not in pg_catalog, so it can only resolve to a type in pg_temp"),
        Some(name),
    );
}
