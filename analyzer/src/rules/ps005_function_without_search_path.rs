//! PS005: SQL or PL/pgSQL function without a secure search_path.

use crate::analysis::functions::FunctionInfo;
use crate::rules::RuleCx;

declare_rule! {
    /// ## What it flags
    /// A `sql` or `plpgsql` function (not SECURITY DEFINER) without a secure
    /// `SET search_path` clause, unless its signature is listed with
    /// `--proc-without-search-path`. SQL-standard bodies (`BEGIN ATOMIC`,
    /// `RETURN expr`) are exempt: their names are resolved when the function
    /// is created, not when it runs.
    ///
    /// ## Why it is dangerous
    /// The body resolves names with whatever search_path its caller has. A
    /// privileged caller (a superuser, a maintenance job, a trigger) can be
    /// made to run objects planted by a less privileged user.
    ///
    /// ## Example
    /// ```sql
    /// CREATE FUNCTION s.f() RETURNS int LANGUAGE sql AS $$ SELECT g() $$;
    /// ```
    ///
    /// ## Fix
    /// Add `SET search_path = pg_catalog, pg_temp` (plus the extension's
    /// schema if it needs it), or qualify everything and list the signature
    /// with `--proc-without-search-path`.
    pub static RULE = { code: "PS005", name: "function-without-search-path", title: "Function without explicit search_path", severity: Warning };
}

pub fn check(ck: &mut RuleCx, f: &FunctionInfo) {
    if f.security_definer
        || f.body_secure
        || f.stmt.sql_body.is_some()
        || !matches!(f.language.as_str(), "sql" | "plpgsql")
    {
        return;
    }
    if ck
        .config()
        .proc_without_search_path
        .iter()
        .any(|s| s == &f.signature)
    {
        return;
    }
    let span = ck.find_name_span(&crate::parse::names::strings(&f.stmt.funcname));
    let what = if f.path_clause.is_some() {
        "sets an insecure search_path"
    } else {
        "has no SET search_path clause"
    };
    ck.report(
        &RULE,
        span,
        format!("function {} {what}", f.signature),
        Some(f.signature.clone()),
    );
}
