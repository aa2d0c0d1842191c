//! PS010: CREATE SCHEMA IF NOT EXISTS.

use pg_query::protobuf::CreateSchemaStmt;

use crate::rules::RuleCx;

declare_rule! {
    /// ## What it flags
    /// `CREATE SCHEMA IF NOT EXISTS` for a schema the script did not create earlier.
    ///
    /// ## Why it is dangerous
    /// If the schema exists, it is kept with its owner and privileges: the
    /// extension then puts its objects into a schema someone else controls.
    ///
    /// ## Example
    /// ```sql
    /// CREATE SCHEMA IF NOT EXISTS ext;
    /// ```
    ///
    /// ## Fix
    /// `CREATE SCHEMA ext;` (fails if it exists).
    pub static RULE = { code: "PS010", name: "unsafe-schema-creation", title: "Unsafe schema creation", severity: Error };
}

pub fn check(ck: &mut RuleCx, s: &CreateSchemaStmt) {
    if !s.if_not_exists || ck.created_schema(&s.schemaname) {
        return;
    }
    let span = ck.keyword_span("exists");
    ck.report(
        &RULE,
        span,
        format!(
            "schema {} may already exist and be owned by someone else",
            s.schemaname
        ),
        Some(s.schemaname.clone()),
    );
}
