//! PS012: CREATE TABLE IF NOT EXISTS.

use pg_query::protobuf::{CreateStmt, RangeVar};

use crate::rules::RuleCx;

declare_rule! {
    /// ## What it flags
    /// `CREATE TABLE IF NOT EXISTS` (also foreign tables) outside a schema the script created.
    ///
    /// ## Why it is dangerous
    /// A table someone created first is kept, with its owner, triggers and
    /// policies, and the extension writes into it.
    ///
    /// ## Example
    /// ```sql
    /// CREATE TABLE IF NOT EXISTS public.t(a int);
    /// ```
    ///
    /// ## Fix
    /// `CREATE TABLE public.t(a int);`
    pub static RULE = { code: "PS012", name: "unsafe-table-creation", title: "Unsafe table creation", severity: Error };
}

/// `schema.name` or `name`.
pub fn rel_name(r: &RangeVar) -> String {
    if r.schemaname.is_empty() {
        r.relname.clone()
    } else {
        format!("{}.{}", r.schemaname, r.relname)
    }
}

pub fn check(ck: &mut RuleCx, s: &CreateStmt) {
    let Some(rel) = &s.relation else { return };
    if !s.if_not_exists || ck.created_schema(&rel.schemaname) {
        return;
    }
    let object = rel_name(rel);
    let span = ck.keyword_span("exists");
    ck.report(
        &RULE,
        span,
        format!("table {object} may already exist and be owned by someone else"),
        Some(object),
    );
}
