//! PS013: CREATE SERVER IF NOT EXISTS.

use pg_query::protobuf::CreateForeignServerStmt;

use crate::rules::RuleCx;

declare_rule! {
    /// ## What it flags
    /// `CREATE SERVER IF NOT EXISTS`.
    ///
    /// ## Why it is dangerous
    /// A server someone defined first is kept, with its connection options.
    ///
    /// ## Example
    /// ```sql
    /// CREATE SERVER IF NOT EXISTS srv FOREIGN DATA WRAPPER postgres_fdw;
    /// ```
    ///
    /// ## Fix
    /// `CREATE SERVER srv ...;`
    pub static RULE = { code: "PS013", name: "unsafe-foreign-server-creation", title: "Unsafe foreign server creation", severity: Error };
}

pub fn check(ck: &mut RuleCx, s: &CreateForeignServerStmt) {
    if !s.if_not_exists {
        return;
    }
    let span = ck.keyword_span("exists");
    ck.report(
        &RULE,
        span,
        format!(
            "server {} may already exist and be owned by someone else",
            s.servername
        ),
        Some(s.servername.clone()),
    );
}
