//! PS014: CREATE INDEX IF NOT EXISTS.

use pg_query::protobuf::IndexStmt;

use crate::rules::RuleCx;

declare_rule! {
    /// ## What it flags
    /// `CREATE INDEX IF NOT EXISTS` on a table outside a schema the script created.
    ///
    /// ## Why it is dangerous
    /// An index someone created first is kept, possibly with expressions that
    /// call functions they control.
    ///
    /// ## Example
    /// ```sql
    /// CREATE INDEX IF NOT EXISTS i ON public.t(a);
    /// ```
    ///
    /// ## Fix
    /// `CREATE INDEX i ON public.t(a);`
    pub static RULE = { code: "PS014", name: "unsafe-index-creation", title: "Unsafe index creation", severity: Error };
}

pub fn check(ck: &mut RuleCx, s: &IndexStmt) {
    let schema = s
        .relation
        .as_ref()
        .map(|r| r.schemaname.as_str())
        .unwrap_or("");
    if !s.if_not_exists || ck.created_schema(schema) {
        return;
    }
    let span = ck.keyword_span("exists");
    ck.report(
        &RULE,
        span,
        format!(
            "index {} may already exist and be owned by someone else",
            s.idxname
        ),
        Some(s.idxname.clone()),
    );
}
