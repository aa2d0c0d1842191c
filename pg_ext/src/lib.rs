//! extguard PostgreSQL extension: records (and optionally refuses)
//! superuser escape attempts.
//!
//! Load with `shared_preload_libraries = 'extguard'`; `CREATE EXTENSION
//! extguard` adds the SQL objects in schema `extguard`. See `README.md`
//! for the settings, the vector ids and the record format.

use pgrx::prelude::*;
use pgrx::JsonB;

pub mod audit_mac;
pub mod compat;
pub mod gate;
pub mod hooks;
pub mod isolation;
pub mod record;
pub mod redact;
pub mod settings;
pub mod sinks;
pub mod vectors;

pub mod wasm_lang;

::pgrx::pg_module_magic!(name, version);

/// Role allowed to read the audit (besides superusers).
pub const READER_ROLE: &str = "extguard_reader";

#[pg_guard]
pub extern "C-unwind" fn _PG_init() {
    // No Rust backtrace may reach a client: pgrx appends one to an error's
    // DETAIL when RUST_BACKTRACE / RUST_LIB_BACKTRACE ask for it, and the
    // server's environment is not ours to trust. RUST_LIB_BACKTRACE wins
    // over RUST_BACKTRACE for captured backtraces. Set here, in the
    // postmaster (or a fresh backend) before any thread exists.
    std::env::set_var("RUST_LIB_BACKTRACE", "0");
    // wasm first: settings::define() reserves the extguard. prefix
    wasm_lang::init();
    settings::define();
    // SAFETY: plain read of a postmaster global.
    if unsafe { pg_sys::process_shared_preload_libraries_in_progress } {
        hooks::install();
    } else {
        pgrx::log!("extguard: not in shared_preload_libraries; no hooks are installed");
    }
}

/// Version of the extension library, for `SELECT extguard.version()`.
#[pg_extern]
fn version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}

fn require_reader() {
    if !hooks::may_read_audit(READER_ROLE) {
        ereport!(
            PgLogLevel::ERROR,
            PgSqlErrorCode::ERRCODE_INSUFFICIENT_PRIVILEGE,
            "permission denied to read the extguard audit",
            format!("Only superusers and members of {READER_ROLE} may read it.")
        );
    }
    if !hooks::shmem::available() {
        ereport!(
            PgLogLevel::ERROR,
            PgSqlErrorCode::ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
            "extguard must be loaded via shared_preload_libraries"
        );
    }
}

/// Records kept in the shared-memory ring, oldest first, one JSON object
/// each (the same object as in the server log and the audit file).
#[pg_extern]
fn audit_events() -> SetOfIterator<'static, JsonB> {
    require_reader();
    let rows: Vec<JsonB> = hooks::shmem::snapshot()
        .into_iter()
        .map(|(seq, json)| {
            JsonB(serde_json::from_str(&json).unwrap_or_else(
                |_| serde_json::json!({"seq": seq, "vector": null, "truncated": true}),
            ))
        })
        .collect();
    SetOfIterator::new(rows)
}

/// Ring counters: last sequence number, capacity, records overwritten
/// (lost from the ring, still in log/file) and records too big for a slot.
#[pg_extern]
fn audit_stats() -> JsonB {
    require_reader();
    let s = hooks::shmem::stats().expect("checked by require_reader");
    JsonB(serde_json::json!({
        "last_seq": s.last_seq,
        "capacity": s.capacity,
        "unprivileged_capacity": s.unprivileged_capacity,
        "overwritten": s.overwritten,
        "truncated": s.truncated,
    }))
}

/// The stable vector ids with their severity.
#[pg_extern]
fn vectors() -> TableIterator<'static, (name!(id, &'static str), name!(severity, &'static str))> {
    TableIterator::new(
        vectors::Vector::ALL
            .into_iter()
            .map(|v| (v.id(), v.severity().as_str())),
    )
}

extension_sql!(
    r#"
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'extguard_reader') THEN
    CREATE ROLE extguard_reader NOLOGIN;
  END IF;
END
$$;

CREATE VIEW audit_log AS
SELECT (r->>'seq')::bigint                 AS seq,
       (r->>'seq_epoch')::timestamptz      AS seq_epoch,
       (r->>'postmaster_start')::timestamptz AS postmaster_start,
       (r->>'time')::timestamptz           AS time,
       r->>'vector'                        AS vector,
       r->>'severity'                      AS severity,
       r->>'outcome'                       AS outcome,
       r->>'hook'                          AS hook,
       r->>'detail'                        AS detail,
       r->>'statement'                     AS statement,
       r->>'top_query'                     AS top_query,
       r->>'database'                      AS database,
       r->>'session_user'                  AS session_user,
       r->>'current_user'                  AS current_user,
       (r->>'superuser')::boolean          AS superuser,
       r->>'application_name'              AS application_name,
       r->>'client_addr'                   AS client_addr,
       (r->>'pid')::integer                AS pid,
       (r->>'nesting_level')::integer      AS nesting_level,
       (r->>'in_extension_script')::boolean AS in_extension_script,
       r->>'backend_type'                  AS backend_type,
       (r->>'leader_pid')::integer         AS leader_pid
FROM @extschema@.audit_events() AS r;

REVOKE ALL ON FUNCTION @extschema@.audit_events() FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.audit_stats() FROM PUBLIC;
REVOKE ALL ON audit_log FROM PUBLIC;
GRANT USAGE ON SCHEMA @extschema@ TO extguard_reader;
GRANT EXECUTE ON FUNCTION @extschema@.audit_events() TO extguard_reader;
GRANT EXECUTE ON FUNCTION @extschema@.audit_stats() TO extguard_reader;
GRANT SELECT ON audit_log TO extguard_reader;
REVOKE ALL ON FUNCTION @extschema@.isolation_report() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.isolation_report() TO extguard_reader;
"#,
    name = "audit_log_view",
    finalize
);

#[cfg(any(test, feature = "pg_test"))]
#[pg_schema]
mod tests {
    use pgrx::prelude::*;
    use serde_json::Value;

    /// Records of this backend with seq greater than `after` (pgrx runs
    /// tests in parallel sessions: other backends' records are ignored).
    fn records_after(after: i64) -> Vec<Value> {
        Spi::connect(|c| {
            c.select(
                "SELECT r FROM extguard.audit_events() r WHERE (r->>'seq')::bigint > $1 \
                 AND (r->>'pid')::int = pg_backend_pid() ORDER BY (r->>'seq')::bigint",
                None,
                &[after.into()],
            )
            .unwrap()
            .map(|row| row.get::<pgrx::JsonB>(1).unwrap().unwrap().0)
            .collect()
        })
    }

    fn last_seq() -> i64 {
        Spi::get_one::<i64>("SELECT (extguard.audit_stats()->>'last_seq')::bigint")
            .unwrap()
            .unwrap()
    }

    #[pg_test]
    fn version_is_crate_version() {
        let v = Spi::get_one::<String>("SELECT extguard.version()").unwrap();
        assert_eq!(v.as_deref(), Some(env!("CARGO_PKG_VERSION")));
    }

    #[pg_test]
    fn copy_program_is_recorded_once_with_fields() {
        let before = last_seq();
        Spi::run("COPY (SELECT 1) TO PROGRAM 'cat > /dev/null'").unwrap();
        let recs = records_after(before);
        assert_eq!(recs.len(), 1, "{recs:?}");
        let r = &recs[0];
        assert_eq!(r["vector"], "copy_program");
        assert_eq!(r["outcome"], "attempted");
        assert_eq!(r["severity"], "critical");
        assert_eq!(r["hook"], "utility");
        assert_eq!(r["superuser"], true);
        assert!(r["seq"].as_i64().unwrap() > before);
        assert!(r["detail"].as_str().unwrap().contains("cat > /dev/null"));
        assert!(r["statement"].as_str().unwrap().contains("TO PROGRAM"));
        assert_eq!(r["pid"].as_i64().unwrap() as i32, unsafe {
            pg_sys::MyProcPid
        });
        assert!(r["postmaster_start"].as_str().unwrap().len() > 10);
    }

    #[pg_test]
    fn internal_alias_of_pg_read_file_is_recognised() {
        Spi::run(
            "CREATE FUNCTION public.innocent(text) RETURNS text LANGUAGE internal \
             STRICT AS 'pg_read_file_all'",
        )
        .unwrap();
        let before = last_seq();
        Spi::run("SELECT public.innocent('postgresql.conf')").unwrap();
        let recs = records_after(before);
        assert_eq!(recs.len(), 1, "{recs:?}");
        assert_eq!(recs[0]["vector"], "file_read");
        assert_eq!(recs[0]["hook"], "function_execute");
        assert!(recs[0]["detail"].as_str().unwrap().contains("innocent"));
    }

    #[pg_test]
    fn plpgsql_simple_expression_is_seen() {
        let before = last_seq();
        Spi::run("DO $$ DECLARE x text; BEGIN x := pg_read_file('postgresql.conf'); END $$")
            .unwrap();
        let recs = records_after(before);
        let ids: Vec<&str> = recs.iter().map(|r| r["vector"].as_str().unwrap()).collect();
        assert_eq!(ids, vec!["file_read"]);
        assert!(recs[0]["nesting_level"].as_i64().unwrap() >= 1);
    }

    #[pg_test]
    fn catalog_dml_is_recorded() {
        let before = last_seq();
        Spi::run("UPDATE pg_catalog.pg_language SET lanpltrusted = lanpltrusted WHERE false")
            .unwrap();
        let recs = records_after(before);
        assert_eq!(recs.len(), 1, "{recs:?}");
        assert_eq!(recs[0]["vector"], "catalog_dml");
        assert_eq!(recs[0]["detail"], "UPDATE pg_language");
    }

    #[pg_test]
    fn set_config_of_sensitive_setting_is_recorded_once() {
        let before = last_seq();
        Spi::run("SELECT set_config('log_statement', 'none', true)").unwrap();
        Spi::run("SET LOCAL log_min_messages = 'panic'").unwrap();
        let recs = records_after(before);
        let hooks: Vec<&str> = recs.iter().map(|r| r["hook"].as_str().unwrap()).collect();
        assert_eq!(hooks, vec!["setting", "utility"], "{recs:?}");
        assert!(recs.iter().all(|r| r["vector"] == "sensitive_setting"));
    }

    #[pg_test(error = "parameter \"extguard.block\" cannot be changed now")]
    fn a_session_cannot_change_the_audit_settings() {
        Spi::run("SET LOCAL extguard.block = ''").unwrap();
    }

    #[pg_test]
    fn records_are_sealed_with_the_cluster_key() {
        let before = last_seq();
        Spi::run("SELECT length(pg_read_file('PG_VERSION'))").unwrap();
        let recs = records_after(before);
        assert_eq!(recs.len(), 1, "{recs:?}");
        let mac = recs[0]["mac"].as_str().unwrap();
        assert_eq!(mac.len(), 64, "{mac}");
    }

    #[pg_test]
    fn trivial_queries_are_not_recorded() {
        let before = last_seq();
        Spi::run("SELECT 1 + 1, now(), upper('x')").unwrap();
        Spi::run("CREATE TEMP TABLE t(x int); INSERT INTO t VALUES (1); SET work_mem = '8MB'")
            .unwrap();
        assert_eq!(records_after(before), Vec::<Value>::new());
    }
}

/// Required by `cargo pgrx test`.
#[cfg(test)]
pub mod pg_test {
    pub fn setup(_options: Vec<&str>) {}

    #[must_use]
    pub fn postgresql_conf_options() -> Vec<&'static str> {
        vec!["shared_preload_libraries = 'extguard'"]
    }
}
