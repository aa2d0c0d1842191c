//! `extguard.isolation_report()`: the isolation self-check (crate
//! `extguard-isolation`) run by the backend itself, on its own process and
//! the server's paths. Reads files only: never runs a program, never
//! sends traffic.

use extguard_isolation::{evaluate, ids_with, Row, Sources, Status};
use pgrx::prelude::*;

/// `violated: a, b; unknown: c` (`violated: none` when all hold): the
/// detail of the `isolation` record.
pub fn summary(rows: &[Row]) -> String {
    let violated = ids_with(rows, Status::Violated);
    let unknown = ids_with(rows, Status::Unknown);
    let mut s = format!(
        "violated: {}",
        if violated.is_empty() {
            "none".to_string()
        } else {
            violated.join(", ")
        }
    );
    if !unknown.is_empty() {
        s.push_str(&format!("; unknown: {}", unknown.join(", ")));
    }
    s
}

/// One row per check. Superusers and members of `extguard_reader` only
/// (EXECUTE is revoked from PUBLIC, and checked here too): the report
/// describes the host.
#[pg_extern(sql = r#"
CREATE FUNCTION isolation_report()
RETURNS TABLE ("check" text, status text, observed text, expected text, reference text)
VOLATILE PARALLEL RESTRICTED
LANGUAGE c AS '@MODULE_PATHNAME@', 'isolation_report_wrapper';
"#)]
#[allow(clippy::type_complexity)]
fn isolation_report() -> TableIterator<
    'static,
    (
        name!(check, String),
        name!(status, &'static str),
        name!(observed, String),
        name!(expected, &'static str),
        name!(reference, &'static str),
    ),
> {
    if !crate::hooks::may_read_audit(crate::READER_ROLE) {
        ereport!(
            PgLogLevel::ERROR,
            PgSqlErrorCode::ERRCODE_INSUFFICIENT_PRIVILEGE,
            "permission denied for extguard.isolation_report()",
            format!(
                "Only superusers and members of {} may read it.",
                crate::READER_ROLE
            )
        );
    }
    let rows = evaluate(
        &Sources::default(),
        &crate::hooks::isolation::server_paths(),
    );
    TableIterator::new(rows.into_iter().map(|r| {
        (
            r.check.id().to_string(),
            r.status.as_str(),
            r.observed,
            r.check.expected(),
            r.check.reference(),
        )
    }))
}

#[cfg(test)]
mod unit {
    use super::*;
    use extguard_isolation::Check;

    #[test]
    fn summary_lists_violated_then_unknown() {
        let row = |check, status| Row {
            check,
            status,
            observed: String::new(),
        };
        assert_eq!(
            summary(&[row(Check::Seccomp, Status::Ok)]),
            "violated: none"
        );
        assert_eq!(
            summary(&[
                row(Check::NoNewPrivs, Status::Violated),
                row(Check::ResourceLimits, Status::Unknown),
                row(Check::ReadOnlyRoot, Status::Violated),
            ]),
            "violated: no_new_privs, read_only_root; unknown: resource_limits"
        );
    }
}

#[cfg(any(test, feature = "pg_test"))]
#[pg_schema]
mod tests {
    use pgrx::prelude::*;

    #[pg_test]
    fn report_has_every_check_and_a_start_record() {
        let n = Spi::get_one::<i64>(
            "SELECT count(DISTINCT \"check\") FROM extguard.isolation_report()",
        );
        assert_eq!(n, Ok(Some(extguard_isolation::Check::ALL.len() as i64)));
        // PostgreSQL refuses to run as root
        let s = Spi::get_one::<String>(
            "SELECT status FROM extguard.isolation_report() WHERE \"check\" = 'run_as_non_root'",
        );
        assert_eq!(s, Ok(Some("ok".to_string())));
        let rec = Spi::get_one::<pgrx::JsonB>(
            "SELECT r FROM extguard.audit_events() r WHERE r->>'vector' = 'isolation' \
             ORDER BY (r->>'seq')::bigint DESC LIMIT 1",
        )
        .unwrap()
        .expect("an isolation record from the server start")
        .0;
        assert_eq!(rec["outcome"], "observed");
        assert_eq!(rec["hook"], "startup");
        assert!(rec["detail"].as_str().unwrap().starts_with("violated: "));
    }
}
