//! EG104: LOAD.

use pg_query::protobuf::LoadStmt;

use crate::rules::RuleCx;

declare_rule! {
    /// ## What it flags
    /// `LOAD 'library'`.
    ///
    /// ## Why it is dangerous
    /// The shared library's `_PG_init` runs inside the server process: native
    /// code that can replace hooks (disabling auditing or access checks) and
    /// do anything the server can. Non-superusers may only load from
    /// `$libdir/plugins`, so a script that needs it runs as superuser.
    ///
    /// ## Example
    /// ```sql
    /// LOAD '/tmp/x.so';
    /// ```
    ///
    /// ## Fix
    /// Let the server load the extension's own module through its C
    /// functions (`MODULE_PATHNAME`); libraries that must be preloaded are
    /// configured by the operator.
    pub static RULE = { code: "EG104", name: "load-library", title: "LOAD of a shared library", severity: Error };
}

pub fn check(ck: &mut RuleCx, l: &LoadStmt) {
    let span = ck
        .string_span(&l.filename)
        .unwrap_or_else(|| ck.keyword_span("load"));
    ck.report(
        &RULE,
        span,
        format!(
            "LOAD runs the native code of '{}' inside the server",
            l.filename
        ),
        Some(l.filename.clone()),
    );
}
