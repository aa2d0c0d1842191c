//! The SPI host import of `LANGUAGE wasm` (`extguard.spi_query`) on a real
//! PostgreSQL 15 server: queries run as the calling role (SECURITY
//! DEFINER: the owner; the function's search_path), read-only (statements
//! that write, utility statements and writes inside called functions are
//! refused), bounded (rows, bytes, statement_timeout), errors come back to
//! the guest as text and leave the transaction usable, and the audit
//! records what a guest's query does. Module: `corpus/wasm/spi.wat`.
//! The messages import (`extguard.raise`, `corpus/wasm/raise.wat`):
//! NOTICE / WARNING / INFO reach the client and LOG the server log under
//! PostgreSQL's usual settings, ERROR aborts with P0001 (or the guest's
//! code of an allowed class) and can be caught in PL/pgSQL, floods are
//! capped, forged log lines are defused.
//!
//! Runs with `EXTGUARD_E2E=1` (`make test-pg`).

use std::path::PathBuf;

use extguard_e2e::wasm::{base_port, create_sql, environment, expect_error, ok, server, sqlstate};

fn spi_module() -> String {
    corpus_module("spi.wat")
}

fn corpus_module(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../corpus/wasm")
        .join(name);
    std::fs::read_to_string(path).expect(name)
}

/// Runs `sql` (which must not fail) and returns its output and what psql
/// printed on stderr (the messages).
fn with_messages(t: &mut extguard_e2e::pg::Session, sql: &str) -> (String, String) {
    let out = t.query(sql).trim().to_string();
    let messages = t.new_errors();
    assert!(!messages.contains("ERROR:"), "{sql}: {messages}");
    (out, messages)
}

#[test]
fn raise_messages_and_errors() {
    if environment().is_none() {
        return;
    }
    // The same port as the SPI test, which has stopped its server.
    let s = server(base_port() + 8, &[], &[]);
    let m = corpus_module("raise.wat");
    let mut t = s.session("tenant", "postgres");
    ok(
        &mut t,
        &create_sql("say(int, text, text) RETURNS int STRICT", &m),
    );
    ok(&mut t, &create_sql("flood(int) RETURNS int STRICT", &m));
    ok(&mut t, &create_sql("bulk(int) RETURNS int STRICT", &m));

    // NOTICE, WARNING and INFO reach the client (psql's stderr) with the
    // codes PostgreSQL gives them by default; the call returns.
    let (out, msgs) = with_messages(&mut t, "SELECT say(3, 'hello from wasm', '');");
    assert_eq!(out, "7");
    assert!(msgs.contains("NOTICE:  00000: hello from wasm"), "{msgs}");
    let (_, msgs) = with_messages(&mut t, "SELECT say(4, 'careful', '');");
    assert!(msgs.contains("WARNING:  01000: careful"), "{msgs}");
    let (_, msgs) = with_messages(&mut t, "SELECT say(2, 'for you', '');");
    assert!(msgs.contains("INFO:  00000: for you"), "{msgs}");
    // client_min_messages filters them as it does PL/pgSQL's.
    let (_, msgs) = with_messages(
        &mut t,
        "SET client_min_messages = warning; SELECT say(3, 'hidden', ''); \
         SELECT say(4, 'shown', ''); RESET client_min_messages;",
    );
    assert!(!msgs.contains("hidden") && msgs.contains("shown"), "{msgs}");
    // LOG goes to the server log (with the statement: LOG ranks above
    // ERROR there), DEBUG1 nowhere by default.
    let (_, msgs) = with_messages(&mut t, "SELECT say(1, 'to the log', '');");
    assert!(!msgs.contains("to the log"), "{msgs}");
    let (_, msgs) = with_messages(&mut t, "SELECT say(0, 'debugging', '');");
    assert!(!msgs.contains("debugging"), "{msgs}");

    // ERROR aborts the statement: P0001 and the guest's message, after the
    // messages raised before it.
    t.query("SELECT say(3, 'first', '') + say(5, 'it failed', '');");
    let errors = t.new_errors();
    assert_eq!(sqlstate(&errors).as_deref(), Some("P0001"), "{errors}");
    assert!(errors.contains("ERROR:  P0001: it failed"), "{errors}");
    let first = errors
        .find("NOTICE:  00000: first")
        .expect("the NOTICE before the ERROR");
    assert!(first < errors.find("it failed").unwrap(), "{errors}");
    expect_error(
        &mut t,
        "SELECT say(5, 'duplicate', '23505');",
        "23505",
        "duplicate",
    );
    // Codes that would pass for extguard's or PostgreSQL's own errors are
    // refused: the call ends as a guest fault (38000).
    for code in ["42501", "54000", "XX000", "57014"] {
        expect_error(
            &mut t,
            &format!("SELECT say(5, 'fake', '{code}');"),
            "38000",
            "is not one a guest may raise",
        );
    }
    // PL/pgSQL catches it like its own RAISE.
    let (_, msgs) = with_messages(
        &mut t,
        "DO $$ BEGIN PERFORM say(5, 'caught me', '22023');
           EXCEPTION WHEN invalid_parameter_value THEN
             RAISE NOTICE 'caught % %', SQLSTATE, SQLERRM; END $$;
         DO $$ BEGIN PERFORM say(5, 'me too', '');
           EXCEPTION WHEN raise_exception THEN RAISE NOTICE 'caught %', SQLERRM; END $$;",
    );
    assert!(msgs.contains("caught 22023 caught me"), "{msgs}");
    assert!(msgs.contains("caught me too"), "{msgs}");
    assert_eq!(with_messages(&mut t, "SELECT say(3, 'x', '');").0, "7");

    // A flood: 100 messages per call, then 54000 (the first 100 shown).
    let (out, msgs) = with_messages(&mut t, "SELECT flood(100);");
    assert_eq!(out, "100");
    assert_eq!(msgs.matches("NOTICE:  00000: hello").count(), 100, "{msgs}");
    t.query("SELECT flood(100000000);");
    let errors = t.new_errors();
    assert_eq!(sqlstate(&errors).as_deref(), Some("54000"), "{errors}");
    assert!(errors.contains("too many messages"), "{errors}");
    assert_eq!(errors.matches("NOTICE:  00000: hello").count(), 100);
    expect_error(&mut t, "SELECT bulk(65537);", "54000", "too many messages");
    assert_eq!(with_messages(&mut t, "SELECT flood(3);").0, "3");

    // Line breaks and a forged audit prefix are defused, for the client
    // and in the server log.
    // The text is put together in SQL: PostgreSQL logs a LOG message's
    // statement verbatim, and that must not be what the check finds.
    let forged =
        "SELECT say(LVL, 'ok' || chr(10) || 'EXTGUARD' || '_AUDIT {\"forged\": true}', '');";
    let (_, msgs) = with_messages(&mut t, &forged.replace("LVL", "3"));
    assert!(
        msgs.contains("ok\\u{a}EXTGUARD-AUDIT(guest) {\"forged\": true}"),
        "{msgs}"
    );
    assert!(!msgs.contains("EXTGUARD_AUDIT"), "{msgs}");
    with_messages(&mut t, &forged.replace("LVL", "1"));
    drop(t);
    let log = std::fs::read_to_string(s.log()).expect("server log");
    assert!(
        log.contains("to the log"),
        "LOG message missing from the log"
    );
    let debug: Vec<&str> = log.lines().filter(|l| l.contains("debugging")).collect();
    assert!(debug.is_empty(), "DEBUG1 logged by default: {debug:?}");
    assert!(log.contains("EXTGUARD-AUDIT(guest) {\"forged\""), "{log}");
    assert!(!log.contains("EXTGUARD_AUDIT {\"forged\""), "{log}");
    // The line break was escaped: the forged text starts no line.
    assert!(
        !log.lines()
            .any(|l| l.starts_with("EXTGUARD") && l.contains("forged")),
        "{log}"
    );
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
