//! EG116: ALTER FUNCTION ... SECURITY DEFINER without a secure SET search_path.

use pg_query::protobuf::AlterFunctionStmt;
use pg_query::NodeEnum;

use crate::parse::names;
use crate::rules::RuleCx;

declare_rule! {
    /// ## What it flags
    /// `ALTER FUNCTION` / `ALTER PROCEDURE` / `ALTER ROUTINE` that makes a
    /// routine `SECURITY DEFINER` without also setting a secure
    /// `SET search_path` (such as `pg_catalog, pg_temp`) in the same
    /// statement. (A search_path set by the CREATE earlier is not looked up.)
    ///
    /// ## Why it is dangerous
    /// The function now runs with its owner's privileges but still resolves
    /// names through the caller's search_path: the caller plants a function,
    /// operator or table in a schema it controls (or pg_temp) and the owner
    /// runs it. This is PS003/PS004 for the ALTER route, which pgspot misses.
    ///
    /// ## Example
    /// ```sql
    /// ALTER FUNCTION s.f(int) SECURITY DEFINER;
    /// ```
    ///
    /// ## Fix
    /// `ALTER FUNCTION s.f(int) SECURITY DEFINER SET search_path = pg_catalog, pg_temp;`
    pub static RULE = { code: "EG116", name: "alter-function-security-definer", title: "ALTER FUNCTION ... SECURITY DEFINER without a secure search_path", severity: Error };
}

/// Reports, and tells whether the statement makes the routine SECURITY DEFINER.
pub fn check(ck: &mut RuleCx, a: &AlterFunctionStmt) -> bool {
    let Some(sec) = names::def_elem(&a.actions, "security") else {
        return false;
    };
    if names::def_arg_text(sec).as_deref() != Some("true") {
        return false;
    }
    let secure_path = names::def_elems(&a.actions)
        .filter(|d| d.defname == "set")
        .filter_map(|d| match d.arg.as_deref().and_then(|n| n.node.as_ref()) {
            Some(NodeEnum::VariableSetStmt(v)) if v.name == "search_path" => Some(v),
            _ => None,
        })
        .last()
        .map(|v| ck.clause_secure(v));
    if secure_path == Some(true) {
        return true;
    }
    let func = a
        .func
        .as_ref()
        .map(|f| names::dotted(&f.objname))
        .unwrap_or_default();
    let why = match secure_path {
        Some(_) => "sets an insecure search_path",
        None => "sets no search_path",
    };
    let span = ck.tokens_span(sec.location, 2);
    ck.report(
        &RULE,
        span,
        format!("{func} becomes SECURITY DEFINER but the ALTER {why}"),
        Some(func),
    );
    true
}
