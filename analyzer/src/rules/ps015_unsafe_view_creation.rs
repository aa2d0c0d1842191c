//! PS015: CREATE OR REPLACE VIEW.

use pg_query::protobuf::ViewStmt;

use crate::rules::RuleCx;

declare_rule! {
    /// ## What it flags
    /// `CREATE OR REPLACE VIEW` outside a schema the script created.
    ///
    /// ## Why it is dangerous
    /// A view someone created first is taken over and keeps its owner, who
    /// can redefine it later.
    ///
    /// ## Example
    /// ```sql
    /// CREATE OR REPLACE VIEW public.v AS SELECT 1 AS a;
    /// ```
    ///
    /// ## Fix
    /// `CREATE VIEW public.v AS ...;`
    pub static RULE = { code: "PS015", name: "unsafe-view-creation", title: "Unsafe view creation", severity: Error };
}

pub fn check(ck: &mut RuleCx, s: &ViewStmt) {
    let Some(view) = &s.view else { return };
    if !s.replace || ck.created_schema(&view.schemaname) {
        return;
    }
    let object = super::ps012_unsafe_table_creation::rel_name(view);
    let span = ck.keyword_span("replace");
    ck.report(
        &RULE,
        span,
        format!("CREATE OR REPLACE VIEW {object} can take over a view someone else created first"),
        Some(object),
    );
}
