//! EG106: connections to other servers (or back to this one) from SQL.

use pg_query::protobuf::{CreateForeignServerStmt, CreateSubscriptionStmt, FuncCall};

use crate::parse::names;
use crate::rules::RuleCx;

declare_rule! {
    /// ## What it flags
    /// A call of a dblink function that opens or uses a connection
    /// (`dblink_connect`, `dblink_connect_u`, `dblink`, `dblink_exec`,
    /// `dblink_open`, `dblink_send_query`); `CREATE SERVER` for the
    /// `postgres_fdw` or `dblink_fdw` wrapper; `CREATE SUBSCRIPTION`.
    ///
    /// ## Why it is dangerous
    /// A loopback connection runs statements in a fresh top-level session,
    /// possibly as another role (socket `trust`/`peer` authentication):
    /// statements forbidden in functions (ALTER SYSTEM) run there, and the
    /// audit trail is split between backends. Outbound connections reach the
    /// platform's internal network and can exfiltrate data.
    ///
    /// ## Example
    /// ```sql
    /// SELECT dblink_exec('host=/var/run/postgresql dbname=postgres', 'ALTER SYSTEM ...');
    /// ```
    ///
    /// ## Fix
    /// Do not open connections from an extension script; leave servers and
    /// user mappings to the database owner.
    pub static RULE = { code: "EG106", name: "remote-connection", title: "Remote or loopback database connection", severity: Warning };
}

/// dblink functions that take a connection string (or a named connection).
const DBLINK_FUNCTIONS: &[&str] = &[
    "dblink_connect",
    "dblink_connect_u",
    "dblink",
    "dblink_exec",
    "dblink_open",
    "dblink_send_query",
];

/// Foreign-data wrappers whose servers are PostgreSQL connections.
const CONNECTION_WRAPPERS: &[&str] = &["postgres_fdw", "dblink_fdw"];

pub fn check_call(ck: &mut RuleCx, f: &FuncCall) {
    let parts = names::strings(&f.funcname);
    let Some(name) = parts.last().copied() else {
        return;
    };
    if !DBLINK_FUNCTIONS.contains(&name) {
        return;
    }
    let span = ck.name_span(f.location);
    ck.report(
        &RULE,
        span,
        format!("{name}() connects to a database server from SQL"),
        Some(name.to_string()),
    );
}

pub fn check_server(ck: &mut RuleCx, s: &CreateForeignServerStmt) {
    if !CONNECTION_WRAPPERS.contains(&s.fdwname.as_str()) {
        return;
    }
    let span = ck.find_name_span_after("wrapper", &[&s.fdwname]);
    let host = names::def_elem(&s.options, "host")
        .and_then(names::def_arg_text)
        .map(|h| format!(" to host {h}"))
        .unwrap_or_else(|| " (no host: the local server)".into());
    ck.report(
        &RULE,
        span,
        format!(
            "server {} connects through {}{host}",
            s.servername, s.fdwname
        ),
        Some(s.servername.clone()),
    );
}

pub fn check_subscription(ck: &mut RuleCx, s: &CreateSubscriptionStmt) {
    let span = ck.keyword_span("connection");
    ck.report(
        &RULE,
        span,
        format!(
            "subscription {} connects to another server and writes what it replicates",
            s.subname
        ),
        Some(s.subname.clone()),
    );
}
