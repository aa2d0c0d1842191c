//! EG109: GRANT ... ON PARAMETER.

use pg_query::protobuf::{GrantStmt, ObjectType};

use crate::parse::names;
use crate::rules::RuleCx;

declare_rule! {
    /// ## What it flags
    /// `GRANT SET ON PARAMETER ...` and `GRANT ALTER SYSTEM ON PARAMETER ...`
    /// (PostgreSQL 15 and later).
    ///
    /// ## Why it is dangerous
    /// It lets ordinary roles change superuser-only settings: preload
    /// libraries load native code, command settings run shell commands,
    /// logging settings hide activity. The grant outlives the extension.
    ///
    /// ## Example
    /// ```sql
    /// GRANT ALTER SYSTEM ON PARAMETER archive_command TO ops;
    /// ```
    ///
    /// ## Fix
    /// Leave parameter privileges to the operator.
    pub static RULE = { code: "EG109", name: "grant-on-parameter", title: "GRANT on a configuration parameter", severity: Error };
}

pub fn check(ck: &mut RuleCx, g: &GrantStmt) {
    if !g.is_grant || ObjectType::try_from(g.objtype) != Ok(ObjectType::ObjectParameterAcl) {
        return;
    }
    for name in names::strings(&g.objects) {
        let parts: Vec<&str> = name.split('.').collect();
        let span = ck.find_name_span_after("parameter", &parts);
        ck.report(
            &RULE,
            span,
            format!("the grant lets other roles change the superuser-only parameter {name}"),
            Some(name.to_string()),
        );
    }
}
