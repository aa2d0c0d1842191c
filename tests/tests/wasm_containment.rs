//! `LANGUAGE wasm` against a hostile non-superuser, on a real PostgreSQL
//! server (`$EXTGUARD_PG_CONFIG`'s: each version 15 to 18 in `make
//! test-pg`) with extguard preloaded: compile bombs (bounded time and memory,
//! cancel / terminate / timeout / disconnect while compiling), the
//! per-backend memory budget under many functions and create/drop cycles,
//! state across roles (SET ROLE, SECURITY DEFINER, DISCARD ALL), bounded
//! errors (no forged audit lines, no host backtraces), and text (and guest
//! messages) in EUC_JP and LATIN1 databases.
//!
//! Runs with `EXTGUARD_E2E=1` (`make test-pg`, after `cargo pgrx install`),
//! like the escape battery; without it every test is skipped.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use base64::Engine as _;
use extguard_e2e::pg::wait_for_exit;
use extguard_e2e::wasm::{base_port, create_sql, environment, server, sqlstate};
use extguard_sandbox::bombs;

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[test]
fn compile_bombs_are_refused_fast_within_memory() {
    if environment().is_none() {
        return;
    }
    let s = server(base_port(), &[], &[]);
    let mut tenant = s.session("tenant", "postgres");
    let base_kb = tenant.backend_kb("VmRSS");
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("10k nested loops", bombs::nested_loops(10_000)),
        ("30k nested loops", bombs::nested_loops(30_000)),
        ("1.3 MB of locals", bombs::many_locals(200_000)),
        ("4 MB of nested blocks", bombs::nested(0x02, 1_300_000, 1)),
        (
            "a million empty functions",
            bombs::many_functions(1_000_000),
        ),
        ("300k globals", bombs::many_globals(300_000)),
    ];
    for (what, module) in cases {
        let started = Instant::now();
        tenant.query(&create_sql("f() RETURNS int", &b64(&module)));
        let took = started.elapsed();
        let errors = tenant.new_errors();
        assert_eq!(
            sqlstate(&errors).as_deref(),
            Some("54000"),
            "{what}: {errors}"
        );
        assert!(
            errors.contains("too complex to compile") || errors.contains("too large"),
            "{what}: {errors}"
        );
        let peak_mb = tenant.backend_kb("VmHWM").saturating_sub(base_kb) / 1024;
        eprintln!(
            "{what} ({} kB): refused in {took:?}, backend peak +{peak_mb} MB",
            module.len() / 1024
        );
        assert!(peak_mb < 256, "{what}: peak +{peak_mb} MB");
    }
    // The backend still works.
    tenant.query(&create_sql(
        "one() RETURNS int",
        "(module (func (export \"one\") (result i32) (i32.const 1)))",
    ));
    assert_eq!(tenant.query("SELECT one();").trim(), "1");
}

/// The slowest module found within the caps: one function of 3,800 loops
/// (about 2 s of Cranelift on this machine).
fn worst_module() -> Vec<u8> {
    bombs::worst_within(1, 3_800 * 3 + 8, 3_800 * 3 + 12)
}

#[test]
fn a_compile_is_cancelled_terminated_and_timed_out_fast() {
    if environment().is_none() {
        return;
    }
    let s = server(
        base_port() + 1,
        &[
            "client_connection_check_interval=50ms",
            "extguard.wasm_max_compile_time=0",
        ],
        &[],
    );
    let body = b64(&worst_module());
    let create = create_sql("worst() RETURNS int", &body);
    let mut latencies = Vec::new();

    // pg_cancel_backend
    let mut tenant = s.session("tenant", "postgres");
    tenant.send(&create);
    std::thread::sleep(Duration::from_millis(300));
    let asked = Instant::now();
    s.sql(&format!("SELECT pg_cancel_backend({})", tenant.pid));
    tenant.wait();
    latencies.push(("pg_cancel_backend", asked.elapsed()));
    let errors = tenant.new_errors();
    assert!(errors.contains("57014"), "{errors}");

    // statement_timeout (the same backend: it waits for the detached
    // compile first, so give it the whole timeout to notice)
    let started = Instant::now();
    tenant.query(&format!(
        "SET statement_timeout = '200ms'; {create} RESET statement_timeout;"
    ));
    let errors = tenant.new_errors();
    assert!(errors.contains("statement timeout"), "{errors}");
    latencies.push(("statement_timeout 200ms", started.elapsed()));

    // pg_terminate_backend
    let mut victim = s.session("tenant", "postgres");
    victim.send(&create);
    std::thread::sleep(Duration::from_millis(300));
    let asked = Instant::now();
    s.sql(&format!("SELECT pg_terminate_backend({})", victim.pid));
    let gone = wait_for_exit(victim.pid, Duration::from_secs(10)).expect("backend exits");
    latencies.push(("pg_terminate_backend", gone.max(asked.elapsed().min(gone))));

    for (what, took) in &latencies {
        eprintln!("{what}: statement ended {took:?} after the request");
    }
    let (_, cancel) = latencies[0];
    assert!(
        cancel < Duration::from_millis(500),
        "cancel took {cancel:?}"
    );
    let (_, terminate) = latencies[2];
    assert!(
        terminate < Duration::from_millis(500),
        "terminate took {terminate:?}"
    );
}

#[test]
fn memory_stays_flat_over_create_call_drop_cycles_and_many_functions() {
    if environment().is_none() {
        return;
    }
    let s = server(
        base_port() + 2,
        &["extguard.wasm_max_backend_memory=64MB"],
        &[],
    );
    let mut tenant = s.session("tenant", "postgres");
    // Each function: its own module (a distinct constant), 2 MiB of memory.
    let cycle = r#"
DO $$
DECLARE i int;
BEGIN
  FOR i IN 1..200 LOOP
    EXECUTE format($f$CREATE FUNCTION cyc_%s() RETURNS int LANGUAGE wasm AS
      '(module (memory 32) (func (export "cyc_%s") (result i32)
         (i32.store (i32.const 65536) (i32.const %s))
         (i32.add (memory.size) (i32.const %s))))'$f$, i, i, i, i);
    EXECUTE format('SELECT cyc_%s()', i);
    EXECUTE format('DROP FUNCTION cyc_%s()', i);
  END LOOP;
END $$;"#;
    tenant.query(cycle);
    assert_eq!(tenant.new_errors(), "");
    let after_first = tenant.backend_kb("VmRSS");
    for _ in 0..4 {
        tenant.query(cycle);
    }
    assert_eq!(tenant.new_errors(), "");
    let after_five = tenant.backend_kb("VmRSS");
    let growth_mb = after_five.saturating_sub(after_first) as f64 / 1024.0;
    eprintln!(
        "create/call/drop 200 functions: RSS {} MB after one round, {} MB after five (+{growth_mb:.1} MB)",
        after_first / 1024,
        after_five / 1024
    );
    assert!(
        growth_mb < 16.0,
        "RSS grew {growth_mb:.1} MB over 4 more rounds"
    );

    // 300 live functions, each called once: RSS bounded by the budget.
    let mut sql = String::new();
    for i in 0..300 {
        sql.push_str(&format!(
            "CREATE FUNCTION live_{i}() RETURNS int LANGUAGE wasm AS \
             '(module (memory 32) (func (export \"live_{i}\") (result i32) \
               (i32.store (i32.const 65536) (i32.const {i})) (i32.const {i})))';\n\
             SELECT live_{i}();\n"
        ));
    }
    let before = tenant.backend_kb("VmRSS");
    let out = tenant.query(&sql);
    assert_eq!(tenant.new_errors(), "");
    assert!(out.contains("299"), "{out}");
    let after = tenant.backend_kb("VmRSS");
    let per_fn_kb = after.saturating_sub(before) / 300;
    eprintln!(
        "300 live functions of 2 MiB memory each: RSS {} -> {} MB ({per_fn_kb} kB per function \
         averaged; budget 64 MB)",
        before / 1024,
        after / 1024
    );
    assert!(
        after.saturating_sub(before) < 100 * 1024,
        "RSS grew {} MB with a 64 MB budget",
        after.saturating_sub(before) / 1024
    );
    // DISCARD ALL gives it back (to the allocator, at least in part).
    tenant.query("DISCARD ALL;");
    assert_eq!(tenant.new_errors(), "");
}

const SWAP: &str = r#"(module (memory 1)
  (global $calls (mut i32) (i32.const 0))
  (func (export "swap") (param i32) (result i32) (local i32)
    (global.set $calls (i32.add (global.get $calls) (i32.const 1)))
    (local.set 1 (i32.load (i32.const 0)))
    (i32.store (i32.const 0) (local.get 0))
    (local.get 1)))"#;

#[test]
fn no_role_sees_another_roles_state() {
    if environment().is_none() {
        return;
    }
    let s = server(base_port() + 3, &[], &[]);
    s.sql_as(
        "tenant",
        "postgres",
        &format!(
            "{} GRANT EXECUTE ON FUNCTION swap(int) TO PUBLIC; \
             {} ALTER FUNCTION swap_definer(int) SECURITY DEFINER; \
             GRANT EXECUTE ON FUNCTION swap_definer(int) TO PUBLIC;",
            create_sql("swap(int) RETURNS int", SWAP),
            create_sql(
                "swap_definer(int) RETURNS int",
                &SWAP.replace("\"swap\"", "\"swap_definer\"")
            )
        ),
    );
    let mut session = s.session("other", "postgres");
    let q = |s: &mut extguard_e2e::pg::Session, sql: &str| s.query(sql).trim().to_string();
    // The same role keeps its state between calls.
    assert_eq!(q(&mut session, "SELECT swap(41);"), "0");
    assert_eq!(q(&mut session, "SELECT swap(42);"), "41");
    // SET ROLE: a fresh instance, the secret is not visible.
    assert_eq!(q(&mut session, "SET ROLE tenant; SELECT swap(7);"), "0");
    assert_eq!(q(&mut session, "RESET ROLE; SELECT swap(1);"), "42");
    // SECURITY DEFINER: runs as tenant for every caller, but each calling
    // role has its own instance.
    assert_eq!(q(&mut session, "SELECT swap_definer(99);"), "0");
    assert_eq!(
        q(&mut session, "SET ROLE tenant; SELECT swap_definer(5);"),
        "0"
    );
    assert_eq!(q(&mut session, "SELECT swap_definer(6);"), "5");
    assert_eq!(q(&mut session, "RESET ROLE; SELECT swap_definer(0);"), "99");
    // DISCARD ALL (a pooler handing the connection to someone else).
    assert_eq!(q(&mut session, "DISCARD ALL; SELECT swap(3);"), "0");
    assert_eq!(q(&mut session, "RESET ALL; SELECT swap(4);"), "0");
    assert_eq!(session.new_errors(), "");
    // Another session of another role never shares anything either.
    let mut third = s.session("third", "postgres");
    assert_eq!(q(&mut third, "SELECT swap(8);"), "0");
    assert_eq!(q(&mut third, "SELECT swap_definer(8);"), "0");
}

#[test]
fn errors_are_bounded_sanitised_and_without_host_backtraces() {
    if environment().is_none() {
        return;
    }
    let s = server(
        base_port() + 4,
        &[],
        &[("RUST_BACKTRACE", "1"), ("RUST_LIB_BACKTRACE", "1")],
    );
    let mut tenant = s.session("tenant", "postgres");
    let forged = format!(
        "f\nEXTGUARD_AUDIT {{\"seq\":999999,\"vector\":\"forged\"}}\n{}",
        "x".repeat(1_600_000)
    );
    tenant.query(&create_sql(
        "f() RETURNS int",
        &b64(&bombs::trap_named(&forged)),
    ));
    assert_eq!(tenant.new_errors(), "");
    tenant.query("SELECT f();");
    let errors = tenant.new_errors();
    assert_eq!(sqlstate(&errors).as_deref(), Some("38000"), "{errors}");
    assert!(
        errors.len() < 4000,
        "{} bytes of error output",
        errors.len()
    );
    assert!(!errors.contains("EXTGUARD_AUDIT"), "{errors}");
    // Other errors raised from Rust, with RUST_BACKTRACE=1 in the server's
    // environment: no host backtrace, no build paths.
    tenant.query(&create_sql(
        "g() RETURNS int",
        "(module (import \"env\" \"x\" (func)))",
    ));
    tenant.query(&create_sql(
        "big() RETURNS text",
        "(module (memory (export \"memory\") 1) (func (export \"big\") (result i64) (i64.const 0x40000000)))",
    ));
    tenant.query("SELECT big();");
    tenant.query(&create_sql(
        "glob() RETURNS int",
        &b64(&bombs::many_globals(300_000)),
    ));
    let errors = tenant.new_errors();
    for needle in [
        "backtrace",
        ".rs:",
        "/root/",
        "/home/",
        "/.cargo/",
        "panicked",
    ] {
        assert!(!errors.contains(needle), "{needle:?} in {errors}");
    }
    let states: Vec<String> = errors
        .lines()
        .filter_map(|l| l.split("ERROR:").nth(1))
        .map(|r| r.trim().chars().take(5).collect())
        .collect();
    assert_eq!(states, ["42P13", "54000", "54000"], "{errors}");
    // The guest's name may show up (escaped, on one line) in an error's
    // DETAIL, but never as a line that looks like an audit record.
    let log = std::fs::read_to_string(s.log()).unwrap_or_default();
    assert!(
        !log.lines()
            .any(|l| l.contains("EXTGUARD_AUDIT {\"seq\":999999")),
        "forged audit line in the server log"
    );
}

#[test]
fn text_and_jsonb_cross_non_utf8_databases_converted() {
    if environment().is_none() {
        return;
    }
    let s = server(base_port() + 5, &[], &[]);
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../corpus/wasm");
    let reverse = std::fs::read_to_string(root.join("reverse.wat")).unwrap();
    let count = std::fs::read_to_string(root.join("jsonb_field_count.wat")).unwrap();
    let types = std::fs::read_to_string(root.join("types.wat")).unwrap();
    for (db, encoding, sample, reversed) in [
        ("eucjp", "EUC_JP", "日本語かな", "なか語本日"),
        ("latin1", "LATIN1", "déjà vu", "uv àjéd"),
    ] {
        s.sql(&format!(
            "CREATE DATABASE {db} ENCODING '{encoding}' LC_COLLATE 'C' LC_CTYPE 'C' \
             TEMPLATE template0"
        ));
        s.sql_as("postgres", db, "CREATE EXTENSION extguard;");
        let out = s.sql_as(
            "postgres",
            db,
            &format!(
                "SET client_encoding = 'UTF8';
                 {}
                 {}
                 {}
                 SELECT wasm_reverse('{sample}');
                 SELECT wasm_reverse('{sample}') = '{reversed}'
                    AND convert_to(wasm_reverse('{sample}'), '{encoding}')
                        = convert_to('{reversed}', '{encoding}');
                 SELECT jsonb_field_count('{{\"{sample}\": 1, \"b\": \"{sample}\"}}');
                 SELECT id_jsonb('{{\"k\": \"{sample}\"}}')->>'k' = '{sample}';",
                create_sql(
                    "wasm_reverse(text) RETURNS text STRICT",
                    &reverse.replace("(export \"reverse\")", "(export \"wasm_reverse\")")
                ),
                create_sql("jsonb_field_count(jsonb) RETURNS int STRICT", &count),
                create_sql("id_jsonb(jsonb) RETURNS jsonb STRICT", &types),
            ),
        );
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines, [reversed, "t", "2", "t"], "{db}: {out}");
    }
    // A character with no form in the database encoding is PostgreSQL's
    // own conversion error, not a stored invalid byte sequence.
    let out = s.psql(
        "postgres",
        "latin1",
        &create_sql(
            "sun() RETURNS text",
            r#"(module (memory (export "memory") 1) (data (i32.const 0) "\e6\97\a5")
                 (func (export "sun") (result i64) (i64.const 3)))"#,
        )
        .replace(";", "; SELECT sun();"),
    );
    let errors = String::from_utf8_lossy(&out.stderr);
    assert!(
        errors.contains("has no equivalent in encoding \"LATIN1\""),
        "{errors}"
    );
    // A guest's messages (extguard.raise) in a non-UTF-8 database: the
    // characters outside ASCII written \u{..}, never a failed report.
    let raise = std::fs::read_to_string(root.join("raise.wat")).unwrap();
    let out = s.psql(
        "postgres",
        "latin1",
        &format!(
            "SET client_encoding = 'UTF8'; {} SELECT say(3, 'déjà', ''); \
             SELECT say(5, 'à bientôt', '');",
            create_sql("say(int, text, text) RETURNS int STRICT", &raise)
        ),
    );
    let errors = String::from_utf8_lossy(&out.stderr);
    assert!(errors.contains("d\\u{e9}j\\u{e0}"), "{errors}");
    assert!(errors.contains("\\u{e0} bient\\u{f4}t"), "{errors}");
}

/// A client that disconnects while its CREATE FUNCTION compiles: the
/// backend looks at the client's socket while it waits for the compile
/// (with PostgreSQL's client_connection_check_interval off, as by
/// default), stops waiting and ends, long before the compile would finish.
#[test]
fn a_compile_ends_when_the_client_disconnects() {
    if environment().is_none() {
        return;
    }
    let s = server(base_port() + 1, &["extguard.wasm_max_compile_time=0"], &[]);
    let create = create_sql("worst() RETURNS int", &b64(&worst_module()));
    let mut leaver = s.session("tenant", "postgres");
    leaver.send(&create);
    std::thread::sleep(Duration::from_millis(300));
    let pid = leaver.pid;
    leaver.kill_client();
    let gone = wait_for_exit(pid, Duration::from_secs(10)).expect("backend exits");
    eprintln!("client disconnect: backend ended {gone:?} after the client was killed");
    assert!(
        gone < Duration::from_millis(500),
        "the backend went on compiling for {gone:?} after its client left"
    );
}
