//! PS009: simple CASE expression under an insecure search_path.

use pg_query::protobuf::CaseExpr;

use crate::rules::RuleCx;

declare_rule! {
    /// ## What it flags
    /// A simple `CASE x WHEN v THEN ...` expression while the search_path is not secure.
    ///
    /// ## Why it is dangerous
    /// Each `WHEN` compares with an implicit `=` operator that is looked up
    /// through the search_path and cannot be schema-qualified.
    ///
    /// ## Example
    /// ```sql
    /// SELECT CASE a WHEN 1 THEN 'x' END FROM s.t;
    /// ```
    ///
    /// ## Fix
    /// Use a searched CASE with a qualified operator:
    /// `CASE WHEN a OPERATOR(pg_catalog.=) 1 THEN 'x' END`.
    pub static RULE = { code: "PS009", name: "unsafe-case-expression", title: "Unsafe CASE expression", severity: Error };
}

pub fn check(ck: &mut RuleCx, c: &CaseExpr) {
    if c.arg.is_none() || ck.secure() {
        return;
    }
    let span = ck.token_span(c.location);
    ck.report(
        &RULE,
        span,
        "simple CASE compares with an '=' operator resolved through an insecure search_path".into(),
        Some("CASE".into()),
    );
    ck.pgspot_context(|| crate::report::pgspot_text::case(c));
}
