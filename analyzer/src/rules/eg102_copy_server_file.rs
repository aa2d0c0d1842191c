//! EG102: COPY to or from a file of the server, and file_fdw's `filename` option.

use pg_query::protobuf::{CopyStmt, CreateForeignTableStmt};

use crate::parse::names;
use crate::rules::RuleCx;

declare_rule! {
    /// ## What it flags
    /// `COPY ... FROM 'file'` and `COPY ... TO 'file'` (a file on the
    /// database server, not psql's `\copy` nor `STDIN`/`STDOUT`), and a
    /// foreign table with a `filename` option (file_fdw).
    ///
    /// ## Why it is dangerous
    /// The server process reads or writes the file with its own rights:
    /// secrets (`server.key`, the environment, service-account tokens) can be
    /// read, and configuration (`postgresql.auto.conf`, `pg_hba.conf`) or
    /// libraries to `LOAD` later can be written. It needs superuser or
    /// `pg_read_server_files` / `pg_write_server_files`.
    ///
    /// ## Example
    /// ```sql
    /// COPY s.t FROM '/proc/self/environ';
    /// ```
    ///
    /// ## Fix
    /// Ship data as SQL in the script (INSERT or `COPY ... FROM STDIN` in a
    /// psql-run file), never as a server-side file.
    pub static RULE = { code: "EG102", name: "copy-server-file", title: "COPY to or from a server file", severity: Error };
}

pub fn check(ck: &mut RuleCx, c: &CopyStmt) {
    if c.is_program || c.filename.is_empty() {
        return;
    }
    let span = ck
        .string_span(&c.filename)
        .unwrap_or_else(|| ck.keyword_span(if c.is_from { "from" } else { "to" }));
    let what = if c.is_from {
        "reads the server file"
    } else {
        "writes the server file"
    };
    ck.report(
        &RULE,
        span,
        format!("COPY {what} '{}' with the server's rights", c.filename),
        Some(c.filename.clone()),
    );
}

/// `CREATE FOREIGN TABLE ... OPTIONS (filename '...')` (file_fdw).
pub fn check_foreign_table(ck: &mut RuleCx, t: &CreateForeignTableStmt) {
    let Some(opt) = names::def_elem(&t.options, "filename") else {
        return;
    };
    let span = ck.token_span(opt.location);
    let file = names::def_arg_text(opt).unwrap_or_default();
    ck.report(
        &RULE,
        span,
        format!("the foreign table reads the server file '{file}' each time it is read"),
        Some(file),
    );
}
