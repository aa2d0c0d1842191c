//! PS004: SECURITY DEFINER function whose SET search_path is insecure.

use crate::analysis::functions::FunctionInfo;
use crate::rules::RuleCx;

declare_rule! {
    /// ## What it flags
    /// A `SECURITY DEFINER` function whose `SET search_path` clause is not
    /// secure: every schema before the last must be `pg_catalog` or one the
    /// script created, and the last must be `pg_temp`.
    ///
    /// ## Why it is dangerous
    /// A schema writable by others (or an implicit `pg_temp` searched first)
    /// lets a caller plant objects the function uses with its owner's rights.
    ///
    /// ## Example
    /// ```sql
    /// CREATE FUNCTION s.f() RETURNS int LANGUAGE sql SECURITY DEFINER
    ///   SET search_path = public AS 'SELECT 1';
    /// ```
    ///
    /// ## Fix
    /// `SET search_path = pg_catalog, pg_temp` (add the extension's own schema before pg_temp if needed).
    pub static RULE = { code: "PS004", name: "security-definer-insecure-search-path", title: "SECURITY DEFINER function with insecure search_path", severity: Error };
}

pub fn check(ck: &mut RuleCx, f: &FunctionInfo) {
    if !f.security_definer || f.path_clause.is_none() || f.body_secure {
        return;
    }
    let span = ck.set_clause_span(f.path_clause_loc);
    ck.report(
        &RULE,
        span,
        format!(
            "SECURITY DEFINER function {} sets an insecure search_path",
            f.signature
        ),
        Some(f.signature.clone()),
    );
}
