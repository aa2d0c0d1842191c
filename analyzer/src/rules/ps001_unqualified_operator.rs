//! PS001: unqualified operator.

use pg_query::protobuf::AExpr;

use crate::parse::names;
use crate::rules::RuleCx;

declare_rule! {
    /// ## What it flags
    /// An operator written without a schema (`a = b`, `x LIKE y`, `IN (...)`,
    /// `BETWEEN`, `NULLIF`, `IS DISTINCT FROM`) while the search_path is not secure.
    ///
    /// ## Why it is dangerous
    /// The operator is looked up through the search_path. Anyone who can
    /// create objects in a schema listed before `pg_catalog`, or in `pg_temp`,
    /// can define a better-matching operator and run code as the caller.
    ///
    /// ## Example
    /// ```sql
    /// SELECT a + b FROM s.t;
    /// ```
    ///
    /// ## Fix
    /// Qualify it, `a OPERATOR(pg_catalog.+) b`, or set a secure search_path
    /// first: `SET search_path = pg_catalog, pg_temp;`.
    pub static RULE = { code: "PS001", name: "unqualified-operator", title: "Unqualified operator", severity: Warning };
}

pub fn check(ck: &mut RuleCx, e: &AExpr) {
    let name = names::strings(&e.name);
    if name.len() == 2 || ck.secure() {
        return;
    }
    let op = name.join(".");
    let span = ck.token_span(e.location);
    ck.report(
        &RULE,
        span,
        format!("operator '{op}' is resolved through an insecure search_path"),
        Some(op),
    );
    ck.pgspot_context(|| crate::report::pgspot_text::operator(e));
}
