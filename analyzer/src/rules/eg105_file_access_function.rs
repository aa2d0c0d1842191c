//! EG105: calls of the server's file-access functions.

use pg_query::protobuf::FuncCall;

use crate::parse::names;
use crate::rules::RuleCx;

declare_rule! {
    /// ## What it flags
    /// A call of a function that reads, writes or lists files of the database
    /// server: `lo_import`, `lo_export`, `pg_read_file`,
    /// `pg_read_binary_file`, `pg_stat_file`, `pg_ls_dir` and the other
    /// `pg_ls_*dir` functions, and adminpack's `pg_file_write`,
    /// `pg_file_rename`, `pg_file_unlink`, `pg_file_sync`, `pg_file_read`,
    /// `pg_logdir_ls`, with or without a schema, wherever it appears.
    ///
    /// ## Why it is dangerous
    /// They give the server's own file access to SQL: read secrets, explore
    /// the filesystem, write libraries and configuration. EXECUTE on them is
    /// revoked from PUBLIC; a script that calls them runs as superuser or
    /// relies on grants no extension should need.
    ///
    /// ## Example
    /// ```sql
    /// SELECT pg_catalog.pg_read_file('/var/lib/postgresql/data/server.key');
    /// ```
    ///
    /// ## Fix
    /// Remove the call; ship data in the script itself.
    pub static RULE = { code: "EG105", name: "file-access-function", title: "Server file access function", severity: Error };
}

/// Built-in (and adminpack) functions that touch the server's files.
pub const FILE_FUNCTIONS: &[&str] = &[
    "lo_import",
    "lo_export",
    "pg_read_file",
    "pg_read_binary_file",
    "pg_stat_file",
    "pg_ls_dir",
    "pg_ls_logdir",
    "pg_ls_waldir",
    "pg_ls_tmpdir",
    "pg_ls_archive_statusdir",
    "pg_ls_logicalsnapdir",
    "pg_ls_logicalmapdir",
    "pg_ls_replslotdir",
    "pg_file_write",
    "pg_file_rename",
    "pg_file_unlink",
    "pg_file_sync",
    "pg_file_read",
    "pg_logdir_ls",
];

pub fn check(ck: &mut RuleCx, f: &FuncCall) {
    let parts = names::strings(&f.funcname);
    let Some(name) = parts.last().copied() else {
        return;
    };
    if !FILE_FUNCTIONS.contains(&name) {
        return;
    }
    let span = ck.name_span(f.location);
    ck.report(
        &RULE,
        span,
        format!("{name}() gives SQL access to the database server's files"),
        Some(name.to_string()),
    );
}
