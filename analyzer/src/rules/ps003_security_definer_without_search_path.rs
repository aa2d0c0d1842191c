//! PS003: SECURITY DEFINER function without a SET search_path clause.

use crate::analysis::functions::FunctionInfo;
use crate::parse::names;
use crate::rules::RuleCx;

declare_rule! {
    /// ## What it flags
    /// A `SECURITY DEFINER` function or procedure (any language) with no
    /// `SET search_path` clause.
    ///
    /// ## Why it is dangerous
    /// The function runs with its owner's privileges but resolves names with
    /// the caller's search_path, so the caller can plant objects that the
    /// function then uses with the owner's rights.
    ///
    /// ## Example
    /// ```sql
    /// CREATE FUNCTION s.f() RETURNS int LANGUAGE sql SECURITY DEFINER AS 'SELECT 1';
    /// ```
    ///
    /// ## Fix
    /// Add `SET search_path = pg_catalog, pg_temp` to the definition.
    pub static RULE = { code: "PS003", name: "security-definer-without-search-path", title: "SECURITY DEFINER function without explicit search_path", severity: Error };
}

pub fn check(ck: &mut RuleCx, f: &FunctionInfo) {
    if !f.security_definer || f.path_clause.is_some() {
        return;
    }
    let loc = names::def_elem(&f.stmt.options, "security").map_or(-1, |d| d.location);
    let span = if loc >= 0 {
        ck.tokens_span(loc, 2)
    } else {
        ck.statement_span()
    };
    ck.report(
        &RULE,
        span,
        format!(
            "SECURITY DEFINER function {} has no SET search_path clause",
            f.signature
        ),
        Some(f.signature.clone()),
    );
}
