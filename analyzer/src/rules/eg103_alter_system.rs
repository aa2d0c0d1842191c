//! EG103: ALTER SYSTEM.

use pg_query::protobuf::AlterSystemStmt;

use crate::rules::RuleCx;

declare_rule! {
    /// ## What it flags
    /// `ALTER SYSTEM SET` / `ALTER SYSTEM RESET` of any parameter.
    ///
    /// ## Why it is dangerous
    /// It rewrites `postgresql.auto.conf`, the server's own configuration:
    /// `archive_command` and the other command settings run shell commands,
    /// `shared_preload_libraries` loads native code at the next start, logging
    /// settings hide what happens. The change outlives the extension and is
    /// superuser-only (or granted per parameter, see EG109).
    ///
    /// ## Example
    /// ```sql
    /// ALTER SYSTEM SET archive_command = 'sh -c "..."';
    /// ```
    ///
    /// ## Fix
    /// Document the setting for the operator instead of changing it from a script.
    pub static RULE = { code: "EG103", name: "alter-system", title: "ALTER SYSTEM", severity: Error };
}

pub fn check(ck: &mut RuleCx, a: &AlterSystemStmt) {
    let name = a
        .setstmt
        .as_ref()
        .map(|v| v.name.clone())
        .filter(|n| !n.is_empty());
    let span = ck.keyword_span("system");
    let what = name.as_deref().unwrap_or("all parameters");
    ck.report(
        &RULE,
        span,
        format!("ALTER SYSTEM changes the server configuration ({what}) beyond the extension"),
        name,
    );
}
