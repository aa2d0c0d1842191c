//! PS017: unqualified relation, type or defined-object name.

use pg_query::protobuf::{DefineStmt, RangeVar, TypeCast};

use crate::finding::Severity;
use crate::parse::names;
use crate::rules::RuleCx;

declare_rule! {
    /// ## What it flags
    /// While the search_path is not secure: a relation without a schema (FROM,
    /// INSERT/UPDATE/DELETE targets, COPY, ALTER TABLE, CREATE TABLE/INDEX/TRIGGER
    /// ... ON), not counting CTE names; a one-part name in CREATE
    /// OPERATOR/AGGREGATE/TYPE/COLLATION/TEXT SEARCH (warnings); and a cast to
    /// a one-part type name such as `::text` (an error, as in pgspot; a
    /// warning for a type of pg_catalog outside SECURITY DEFINER bodies while
    /// pg_catalog is not listed after other schemas: then only the session's
    /// own pg_temp comes before it, which gains its user nothing; always an
    /// error in `extguard pgspot`).
    ///
    /// ## Why it is dangerous
    /// The name is resolved through the search_path: a table, view or type
    /// planted in an earlier schema, or in pg_temp, is used instead.
    ///
    /// ## Example
    /// ```sql
    /// SELECT * FROM t;
    /// ```
    ///
    /// ## Fix
    /// Qualify it (`s.t`, `::pg_catalog.text`) or set a secure search_path first.
    pub static RULE = { code: "PS017", name: "unqualified-object-reference", title: "Unqualified object reference", severity: Warning };
}

pub fn check_range_var(ck: &mut RuleCx, r: &RangeVar) {
    if !r.schemaname.is_empty() || ck.secure() || ck.is_cte(&r.relname) {
        return;
    }
    let span = ck.name_span(r.location);
    ck.report(
        &RULE,
        span,
        format!(
            "relation {} is resolved through an insecure search_path",
            r.relname
        ),
        Some(r.relname.clone()),
    );
}

pub fn check_type_cast(ck: &mut RuleCx, t: &TypeCast) {
    let Some(tn) = &t.type_name else { return };
    let parts = names::strings(&tn.names);
    if parts.len() != 1 || ck.secure() {
        return;
    }
    let span = ck.name_span(tn.location);
    let name = parts[0].to_string();
    let catalog_first = ck.catalog_searched_first();
    // (`extguard pgspot` keeps pgspot's severity)
    let own_session_only = ck.catalog().is_type(&name)
        && catalog_first
        && !ck.in_security_definer()
        && !ck.pgspot_mode();
    ck.report_as(
        &RULE,
        if own_session_only {
            Severity::Warning
        } else {
            Severity::Error
        },
        span,
        format!("cast to type {name} is resolved through an insecure search_path"),
        Some(name),
    );
    ck.pgspot_context(|| crate::report::pgspot_text::cast(t));
}

pub fn check_define(ck: &mut RuleCx, d: &DefineStmt) {
    let parts = names::strings(&d.defnames);
    if parts.len() != 1 || ck.secure() {
        return;
    }
    let span = ck.find_name_span(&parts);
    let name = parts[0].to_string();
    ck.report(
        &RULE,
        span,
        format!("{name} is created in the first schema of an insecure search_path"),
        Some(name),
    );
}
