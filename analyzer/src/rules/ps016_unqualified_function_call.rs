//! PS016: unqualified function call.

use pg_query::protobuf::FuncCall;

use crate::parse::names;
use crate::rules::RuleCx;

declare_rule! {
    /// ## What it flags
    /// A function call without a schema while the search_path is not secure,
    /// wherever it appears (queries, defaults, CHECK, index expressions, policies).
    ///
    /// ## Why it is dangerous
    /// The function is looked up through the search_path: a function with a
    /// better-matching signature planted in an earlier schema (or pg_temp) runs
    /// instead, with the caller's privileges.
    ///
    /// ## Example
    /// ```sql
    /// SELECT f(1);
    /// ```
    ///
    /// ## Fix
    /// Qualify it (`SELECT s.f(1)`, `pg_catalog.lower(x)`) or set a secure search_path first.
    pub static RULE = { code: "PS016", name: "unqualified-function-call", title: "Unqualified function call", severity: Warning };
}

pub fn check(ck: &mut RuleCx, f: &FuncCall) {
    let name = names::strings(&f.funcname);
    if name.len() != 1 || ck.secure() {
        return;
    }
    let span = ck.name_span(f.location);
    let name = name[0].to_string();
    ck.report(
        &RULE,
        span,
        format!("function {name}() is resolved through an insecure search_path"),
        Some(name),
    );
}
