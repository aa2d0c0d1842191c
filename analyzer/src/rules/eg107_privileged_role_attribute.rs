//! EG107: CREATE/ALTER ROLE granting SUPERUSER, REPLICATION, BYPASSRLS or CREATEROLE.

use pg_query::protobuf::{AlterRoleStmt, CreateRoleStmt, Node};
use pg_query::NodeEnum;

use crate::parse::names;
use crate::rules::RuleCx;

declare_rule! {
    /// ## What it flags
    /// `CREATE ROLE` / `CREATE USER` / `ALTER ROLE` with `SUPERUSER`,
    /// `REPLICATION`, `BYPASSRLS` or `CREATEROLE` (not their `NO...` forms).
    ///
    /// ## Why it is dangerous
    /// These attributes are escalations: a superuser owns the server,
    /// REPLICATION reads everything through the replication protocol (and
    /// could load output plugins), BYPASSRLS ignores every row-level policy,
    /// and up to PostgreSQL 15 CREATEROLE can grant itself
    /// `pg_execute_server_program`. An extension never needs to hand them out.
    ///
    /// ## Example
    /// ```sql
    /// ALTER ROLE app SUPERUSER;
    /// ```
    ///
    /// ## Fix
    /// Remove the attribute; grant the specific privileges the extension's
    /// objects need.
    pub static RULE = { code: "EG107", name: "privileged-role-attribute", title: "Privileged role attribute", severity: Error };
}

/// DefElem names of the attributes, as the parser spells them, and their SQL.
const ATTRIBUTES: &[(&str, &str)] = &[
    ("superuser", "SUPERUSER"),
    ("isreplication", "REPLICATION"),
    ("bypassrls", "BYPASSRLS"),
    ("createrole", "CREATEROLE"),
];

pub fn check_create(ck: &mut RuleCx, r: &CreateRoleStmt) {
    check_options(ck, &r.role, &r.options);
}

pub fn check_alter(ck: &mut RuleCx, r: &AlterRoleStmt) {
    let role = r
        .role
        .as_ref()
        .map(|s| s.rolename.clone())
        .unwrap_or_default();
    check_options(ck, &role, &r.options);
}

fn check_options(ck: &mut RuleCx, role: &str, options: &[Node]) {
    for d in names::def_elems(options) {
        let Some((_, sql)) = ATTRIBUTES.iter().find(|(n, _)| *n == d.defname) else {
            continue;
        };
        let on = match d.arg.as_deref().and_then(|a| a.node.as_ref()) {
            Some(NodeEnum::Boolean(b)) => b.boolval,
            Some(NodeEnum::Integer(i)) => i.ival != 0,
            _ => true,
        };
        if !on {
            continue;
        }
        let span = ck.token_span(d.location);
        let who = if role.is_empty() { "the role" } else { role };
        ck.report(
            &RULE,
            span,
            format!("{sql} makes {who} a privileged role"),
            Some(role.to_string()),
        );
    }
}
