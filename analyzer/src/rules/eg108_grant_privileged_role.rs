//! EG108: GRANT of predefined roles that reach files, programs or all data.

use pg_query::protobuf::GrantRoleStmt;
use pg_query::NodeEnum;

use crate::rules::RuleCx;

declare_rule! {
    /// ## What it flags
    /// `GRANT role TO ...` where the role is one of the predefined roles with
    /// server-level power: `pg_execute_server_program`,
    /// `pg_read_server_files`, `pg_write_server_files`, `pg_read_all_data`,
    /// `pg_write_all_data`, `pg_signal_backend`, `pg_create_subscription`
    /// (PostgreSQL 16+), `pg_maintain` (17+), `pg_signal_autovacuum_worker`
    /// (18+). A role that does not exist in the `--pg-version` analysed for
    /// is not reported (the GRANT fails there).
    ///
    /// ## Why it is dangerous
    /// Membership gives shell commands (`COPY ... PROGRAM`), server file
    /// access, every table's data regardless of grants, the power to
    /// terminate the platform's sessions or autovacuum, or maintenance
    /// commands (which run index and view functions as the table owner) on
    /// every table. A grant made by an install script
    /// outlives the extension.
    ///
    /// ## Example
    /// ```sql
    /// GRANT pg_execute_server_program TO app;
    /// ```
    ///
    /// ## Fix
    /// Remove the grant; give the extension's own objects the privileges
    /// they need.
    pub static RULE = { code: "EG108", name: "grant-privileged-role", title: "GRANT of a privileged predefined role", severity: Error };
}

/// Predefined roles and what membership gives.
const ROLES: &[(&str, &str)] = &[
    (
        "pg_execute_server_program",
        "runs shell commands on the server",
    ),
    ("pg_read_server_files", "reads any file of the server"),
    ("pg_write_server_files", "writes any file of the server"),
    ("pg_read_all_data", "reads every table"),
    ("pg_write_all_data", "writes every table"),
    ("pg_signal_backend", "terminates other sessions"),
    ("pg_create_subscription", "opens replication connections"),
    (
        "pg_maintain",
        "runs VACUUM, ANALYZE, REINDEX, CLUSTER, REFRESH and LOCK on every table",
    ),
    (
        "pg_signal_autovacuum_worker",
        "terminates autovacuum workers",
    ),
];

pub fn check(ck: &mut RuleCx, g: &GrantRoleStmt) {
    if !g.is_grant {
        return;
    }
    for r in &g.granted_roles {
        let Some(NodeEnum::AccessPriv(p)) = &r.node else {
            continue;
        };
        let Some((name, power)) = ROLES.iter().find(|(n, _)| *n == p.priv_name) else {
            continue;
        };
        if !ck.catalog().is_predefined_role(name) {
            continue;
        }
        let span = ck.find_name_span(&[name]);
        ck.report(
            &RULE,
            span,
            format!("membership in {name} {power}"),
            Some(name.to_string()),
        );
    }
}
