//! The SPI host import of `LANGUAGE wasm` (`extguard.spi_query`) on a real
//! PostgreSQL 15 server: queries run as the calling role (SECURITY
//! DEFINER: the owner; the function's search_path), read-only (statements
//! that write, utility statements and writes inside called functions are
//! refused), bounded (rows, bytes, statement_timeout), errors come back to
//! the guest as text and leave the transaction usable, and the audit
//! records what a guest's query does. Module: `corpus/wasm/spi.wat`.
//!
//! Runs with `EXTGUARD_E2E=1` (`make test-pg`).

use std::path::PathBuf;

use extguard_e2e::wasm::{base_port, create_sql, environment, ok, server, sqlstate};

fn spi_module() -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../corpus/wasm/spi.wat");
    std::fs::read_to_string(path).expect("spi.wat")
}

#[test]
fn spi_runs_as_the_caller_read_only_and_bounded() {
    if environment().is_none() {
        return;
    }
    let s = server(base_port() + 8, &[], &[]);
    let m = spi_module();
    s.sql(
        "CREATE TABLE public.secret (a int); INSERT INTO public.secret VALUES (42);
         CREATE TABLE t.mine (a int); ALTER TABLE t.mine OWNER TO tenant;
         CREATE SCHEMA d AUTHORIZATION tenant; GRANT USAGE ON SCHEMA d TO PUBLIC;",
    );
    let mut t = s.session("tenant", "postgres");
    ok(&mut t, &create_sql("q(text) RETURNS text STRICT", &m));
    ok(
        &mut t,
        &create_sql("qp(text, text) RETURNS text STRICT", &m),
    );
    ok(&mut t, "GRANT EXECUTE ON FUNCTION q(text) TO PUBLIC;");

    // Rows as JSON; parameters as text.
    assert_eq!(
        ok(
            &mut t,
            "SELECT q('SELECT current_user AS u, 1 AS n, NULL AS z');"
        ),
        r#"[{"u":"tenant","n":"1","z":null}]"#
    );
    assert_eq!(
        ok(
            &mut t,
            "SELECT qp('SELECT $1 || ''!'' AS x, $1::int + 1 AS y', '41');"
        ),
        r#"[{"x":"41!","y":"42"}]"#
    );
    assert_eq!(ok(&mut t, "SELECT q('SELECT 1 WHERE false');"), "[]");
    // The caller's privileges.
    let denied = ok(&mut t, "SELECT q('SELECT * FROM public.secret');");
    assert!(denied.starts_with("42501: permission denied"), "{denied}");
    // Read-only: DML, utility, data-modifying CTEs, writes inside a called
    // function, nextval.
    ok(
        &mut t,
        "CREATE FUNCTION ins() RETURNS int LANGUAGE sql AS 'INSERT INTO mine VALUES (1) RETURNING 1';
         CREATE SEQUENCE seq;",
    );
    for (sql, code) in [
        ("INSERT INTO mine VALUES (1)", "0A000"),
        ("UPDATE mine SET a = 2", "0A000"),
        ("CREATE TABLE z (a int)", "0A000"),
        (
            "WITH x AS (INSERT INTO mine VALUES (1) RETURNING 1) SELECT * FROM x",
            "0A000",
        ),
        ("SELECT ins()", "25006"),
        ("SELECT nextval('seq')", "25006"),
        ("SELECT * FROM mine FOR UPDATE", "0A000"),
        ("SELECT 1/0", "22012"),
        ("SELEC 1", "42601"),
    ] {
        let out = ok(&mut t, &format!("SELECT q('{}');", sql.replace('\'', "''")));
        assert!(out.starts_with(&format!("{code}: ")), "{sql}: {out}");
    }
    assert_eq!(ok(&mut t, "SELECT count(*) FROM mine;"), "0");
    // The transaction goes on after a failed query; read-only is only for
    // the guest's queries.
    assert_eq!(
        ok(
            &mut t,
            "BEGIN; SELECT q('SELECT 1/0') LIKE '22012%'; INSERT INTO mine VALUES (7);
             SELECT current_setting('transaction_read_only'); COMMIT;"
        ),
        "t\noff"
    );
    assert_eq!(ok(&mut t, "SELECT count(*) FROM mine;"), "1");
    // A wasm function called from a guest's query fails cleanly (the
    // backend's wasm state is in use), the session goes on.
    let nested = ok(&mut t, "SELECT q('SELECT q(''SELECT 1'')');");
    assert!(nested.starts_with("55006: "), "{nested}");
    // Bounded: rows and bytes.
    let many = ok(&mut t, "SELECT q('SELECT generate_series(1, 20000)');");
    assert!(
        many.starts_with("54000: spi_query returned more than 10000 rows"),
        "{many}"
    );
    let big = ok(&mut t, "SELECT q('SELECT repeat(''x'', 20000000)');");
    assert!(big.starts_with("54000: spi_query rows exceed"), "{big}");
    // statement_timeout ends the whole statement, not just the query.
    t.query("SET statement_timeout = '300ms'; SELECT q('SELECT pg_sleep(5)');");
    let errors = t.new_errors();
    assert_eq!(sqlstate(&errors).as_deref(), Some("57014"), "{errors}");
    assert!(errors.contains("statement timeout"), "{errors}");
    ok(&mut t, "RESET statement_timeout;");
    assert_eq!(
        ok(&mut t, "SELECT q('SELECT 2 AS two');"),
        r#"[{"two":"2"}]"#
    );

    // Another role calling tenant's function runs its queries as itself;
    // SECURITY DEFINER runs them as the owner with the function's
    // search_path.
    ok(
        &mut t,
        &create_sql(
            "d.q(text) RETURNS text STRICT SECURITY DEFINER SET search_path = t",
            &m,
        ),
    );
    ok(&mut t, "GRANT EXECUTE ON FUNCTION d.q(text) TO PUBLIC;");
    let mut o = s.session("third", "postgres");
    assert_eq!(
        ok(&mut o, "SELECT t.q('SELECT current_user AS u');"),
        r#"[{"u":"third"}]"#
    );
    assert!(ok(&mut o, "SELECT t.q('SELECT count(*) FROM t.mine');").starts_with("42501:"));
    ok(&mut o, "SET search_path = public;");
    assert_eq!(
        ok(
            &mut o,
            "SELECT d.q('SELECT current_user AS u, count(*) AS n FROM mine GROUP BY 1');"
        ),
        r#"[{"u":"tenant","n":"1"}]"#
    );

    // A superuser calling a tenant's function: what its query does is
    // recorded by the audit like any other statement.
    let before: i64 = s
        .sql("SELECT count(*) FROM extguard.audit_events() r WHERE r->>'vector' = 'file_read';")
        .parse()
        .unwrap();
    let rows = s.sql("SELECT t.q('SELECT length(pg_read_file(''PG_VERSION'')) > 0 AS ok');");
    assert_eq!(rows, r#"[{"ok":"t"}]"#);
    let after: i64 = s
        .sql("SELECT count(*) FROM extguard.audit_events() r WHERE r->>'vector' = 'file_read';")
        .parse()
        .unwrap();
    assert_eq!(
        after,
        before + 1,
        "the guest's pg_read_file was not recorded"
    );
}
