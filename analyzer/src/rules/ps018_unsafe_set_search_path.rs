//! PS018: search_path set from one quoted string that contains a comma.

use pg_query::protobuf::{VariableSetKind, VariableSetStmt};

use crate::parse::names;
use crate::rules::RuleCx;

declare_rule! {
    /// ## What it flags
    /// `SET search_path = 'a, b'` (one quoted value with a comma), at top
    /// level, in bodies, and in function SET clauses.
    ///
    /// ## Why it is dangerous
    /// The quotes make it a single schema named `a, b`, not a list: the
    /// intended schemas are not in the path at all, so lookups fall through to
    /// the implicit ones (pg_temp first for relations).
    ///
    /// ## Example
    /// ```sql
    /// SET search_path = 'pg_catalog, pg_temp';
    /// ```
    ///
    /// ## Fix
    /// `SET search_path = pg_catalog, pg_temp;`
    pub static RULE = { code: "PS018", name: "unsafe-set-search-path", title: "Unsafe SET search_path", severity: Error };
}

pub fn check(ck: &mut RuleCx, v: &VariableSetStmt) {
    if v.name != "search_path"
        || VariableSetKind::try_from(v.kind) != Ok(VariableSetKind::VarSetValue)
        || v.args.len() != 1
    {
        return;
    }
    let Some(value) = names::const_string(&v.args[0]) else {
        return;
    };
    if !value.contains(',') {
        return;
    }
    let span = names::location(&v.args[0])
        .map(|l| ck.token_span(l as i32))
        .unwrap_or_else(|| ck.statement_span());
    ck.report(
        &RULE,
        span,
        format!("'{value}' is one schema name, not a list"),
        Some(value.to_string()),
    );
    // pgspot names no object here
    ck.pgspot_context(String::new);
}
