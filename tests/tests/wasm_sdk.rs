//! The C guest SDK (`sdk/c/extguard.h`): each example in `sdk/c/examples/`
//! is compiled from source with clang for wasm32 (wasm-ld from lld),
//! created as a `LANGUAGE wasm` function by a non-superuser and checked
//! on a real PostgreSQL 15 server: a hash over bytea, a text parser
//! returning jsonb (non-strict, NULL mask), a set-returning split, array
//! functions (NULL elements in and out, version 4), an SPI query with a
//! parameter, and NOTICE / WARNING / ERROR messages (`raise`).
//!
//! The Rust guest SDK (`sdk/rust`, crate `extguard-guest`): its examples
//! are built with cargo for wasm32-unknown-unknown (its own workspace and
//! target directory) and run the same way: bytea hash, text parsing into a
//! set and into jsonb, arrays, an SPI query, a composite result, a set of
//! rows, a trigger and messages.
//!
//! The AssemblyScript guest SDK (`sdk/assemblyscript`, package
//! `extguard-guest`): its examples are compiled by the pinned `asc` (stub
//! runtime, no imports but SPI: the analyzer's EG140 finds nothing) and run
//! the same way: bytea hash, a text parser with the NULL mask, a set, a set
//! of rows, arrays (NULL elements), SPI and typed SPI, many calls that
//! reuse memory.
//!
//! Runs with `EXTGUARD_E2E=1` (`make test-pg`); clang, wasm-ld and the
//! AssemblyScript compiler are then required (`make setup-test` installs
//! lld, the rustup target, nodejs and `npm ci` in sdk/assemblyscript).

use std::path::PathBuf;
use std::process::Command;

use base64::Engine as _;
use extguard_e2e::pg::Session;
use extguard_e2e::wasm::{
    base_port, build_as_examples, build_c_example as build, create_sql, environment, expect_error,
    ok, server,
};

fn fnv1a(bytes: &[u8]) -> i64 {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in bytes {
        h ^= *b as u64;
        h = h.wrapping_mul(0x100000001b3);
    }
    h as i64
}

#[test]
fn c_sdk_examples_compile_and_run() {
    if environment().is_none() {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let hash = build(dir.path(), "hash");
    let kv = build(dir.path(), "kv");
    let split = build(dir.path(), "split");
    let stats = build(dir.path(), "stats");
    let lookup = build(dir.path(), "lookup");
    let nulls = build(dir.path(), "nulls");

    let s = server(base_port() + 7, &[], &[]);
    let mut t = s.session("tenant", "postgres");
    ok(
        &mut t,
        &create_sql("fnv1a(bytea) RETURNS bigint STRICT", &hash),
    );
    ok(&mut t, &create_sql("kv_to_json(text) RETURNS jsonb", &kv));
    ok(
        &mut t,
        &create_sql("split(text, text) RETURNS SETOF text STRICT", &split),
    );
    ok(
        &mut t,
        &create_sql("mean(float8[]) RETURNS float8 STRICT", &stats),
    );
    ok(
        &mut t,
        &create_sql("top_n(int[], int) RETURNS int[] STRICT", &stats),
    );

    ok(
        &mut t,
        &create_sql("columns_of(text) RETURNS jsonb STRICT", &lookup),
    );
    ok(
        &mut t,
        &create_sql("fill_nulls(int[], int) RETURNS int[] STRICT", &nulls),
    );
    ok(
        &mut t,
        &create_sql("nullify(text[], text) RETURNS text[] STRICT", &nulls),
    );
    shared_examples(&mut t);
    assert_eq!(
        ok(&mut t, "SELECT mean('{1,2,3,4}'), mean('{}');"),
        "2.5|NaN"
    );
    check_div(&mut t, &build(dir.path(), "raise"));
}

/// What the C and AssemblyScript examples both implement, with the same
/// SQL signatures: `fnv1a`, `kv_to_json`, `split`, `top_n`, `fill_nulls`,
/// `nullify` and `columns_of` (an SPI query; the table `pts` is made here).
fn shared_examples(t: &mut Session) {
    ok(t, "CREATE TABLE pts (x int, label varchar(10));");
    assert_eq!(
        ok(t, "SELECT columns_of('pts')::text;"),
        r#"[{"name": "x", "type": "integer"}, {"name": "label", "type": "character varying(10)"}]"#
    );
    assert_eq!(
        ok(t, "SELECT columns_of('nope')::text;"),
        r#""42P01: relation \"nope\" does not exist""#
    );
    assert_eq!(
        ok(t, "SELECT fnv1a('hello'::bytea), fnv1a(''::bytea);"),
        format!("{}|{}", fnv1a(b"hello"), fnv1a(b""))
    );
    let big: Vec<u8> = (0..50_000u32).map(|i| (i % 251) as u8).collect();
    assert_eq!(
        ok(
            t,
            "SELECT fnv1a(string_agg(set_byte('\\x00'::bytea, 0, i % 251), ''::bytea ORDER BY i)) \
             FROM generate_series(0, 49999) i;"
        ),
        fnv1a(&big).to_string()
    );
    assert_eq!(
        ok(
            t,
            "SELECT kv_to_json('a=1; b = two;junk; c=\"q\\\" ;d=')::text;"
        ),
        r#"{"a": "1", "b": "two", "c": "\"q\\\"", "d": ""}"#
    );
    assert_eq!(
        ok(t, "SELECT kv_to_json(NULL) IS NULL, kv_to_json('')::text;"),
        "t|{}"
    );
    assert_eq!(
        ok(t, "SELECT array_agg(x) FROM split('a,b,,c\u{e9}', ',') x;"),
        "{a,b,\"\",c\u{e9}}"
    );
    assert_eq!(
        ok(t, "SELECT count(*) FROM split(repeat('x;', 100000), ';');"),
        "100001"
    );
    assert_eq!(
        ok(
            t,
            "SELECT top_n('{5,1,9,3,7}', 3), top_n('{5,1}', 0), top_n('{2,8}', 5);"
        ),
        "{9,7,5}|{}|{8,2}"
    );
    // NULL array elements (version 4), in and out.
    assert_eq!(
        ok(
            t,
            "SELECT fill_nulls('{1,NULL,3,NULL}', 0), fill_nulls('{4,5}', 0), \
             nullify(ARRAY['a', 'n/a', NULL, 'b'], 'n/a');"
        ),
        "{1,0,3,0}|{4,5}|{a,NULL,NULL,b}"
    );
}

/// Builds the Rust SDK's examples (release, wasm32-unknown-unknown) and
/// returns the module of `name` as base64.
fn rust_examples() -> impl Fn(&str) -> String {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../sdk/rust/Cargo.toml");
    let target_dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("sdk-rust");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let run = Command::new(cargo)
        .args([
            "build",
            "--release",
            "--examples",
            "--target",
            "wasm32-unknown-unknown",
        ])
        .arg("--manifest-path")
        .arg(&manifest)
        .arg("--target-dir")
        .arg(&target_dir)
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .output()
        .expect("cargo runs");
    assert!(
        run.status.success(),
        "cargo build sdk/rust (make setup-test adds the wasm32-unknown-unknown target): {}",
        String::from_utf8_lossy(&run.stderr)
    );
    move |name: &str| {
        let path = target_dir
            .join("wasm32-unknown-unknown/release/examples")
            .join(format!("{name}.wasm"));
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        base64::engine::general_purpose::STANDARD.encode(bytes)
    }
}

#[test]
fn rust_sdk_examples_build_and_run() {
    if environment().is_none() {
        return;
    }
    let module = rust_examples();
    let (hash, text, lookup, rows) = (
        module("hash"),
        module("text"),
        module("lookup"),
        module("rows"),
    );
    let s = server(base_port() + 7, &[], &[]);
    let mut t = s.session("tenant", "postgres");
    for (sig, m) in [
        ("fnv1a(bytea) RETURNS bigint STRICT", &hash),
        ("words(text) RETURNS SETOF text STRICT", &text),
        ("kv_to_json(text) RETURNS jsonb", &text),
        ("mean(float8[]) RETURNS float8 STRICT", &text),
        ("top_n(int[], int) RETURNS int[] STRICT", &text),
        ("count_like(text) RETURNS bigint STRICT", &lookup),
        ("count_rs() RETURNS bigint", &lookup),
        ("typed(int) RETURNS jsonb STRICT", &lookup),
        ("try_sql(text) RETURNS text STRICT", &lookup),
        ("minmax(int[], OUT lo int, OUT hi int) STRICT", &rows),
        ("pairs(text) RETURNS TABLE (k text, v text) STRICT", &rows),
        ("tidy() RETURNS trigger", &rows),
    ] {
        ok(&mut t, &create_sql(sig, m));
    }
    assert_eq!(
        ok(&mut t, "SELECT fnv1a('hello'::bytea), fnv1a(''::bytea);"),
        format!("{}|{}", fnv1a(b"hello"), fnv1a(b""))
    );
    assert_eq!(
        ok(
            &mut t,
            "SELECT string_agg(w, ',') FROM words('  Hello, W\u{e9}rld!  hello -- ok') w;"
        ),
        "hello,w\u{e9}rld,hello,ok"
    );
    assert_eq!(
        ok(
            &mut t,
            "SELECT count(*) FROM words(repeat('word ', 50000));"
        ),
        "50000"
    );
    assert_eq!(
        ok(
            &mut t,
            "SELECT kv_to_json('a=1; b = two;junk; c=\"q\\\" ;d=')::text, kv_to_json(NULL) IS NULL;"
        ),
        r#"{"a": "1", "b": "two", "c": "\"q\\\"", "d": ""}|t"#
    );
    assert_eq!(
        ok(&mut t, "SELECT mean('{1,2,3,4}'), top_n('{5,1,9,3,7}', 3);"),
        "2.5|{9,7,5}"
    );
    // SPI under the caller's privileges: tables the tenant may read.
    ok(
        &mut t,
        "CREATE TABLE rs_one (x int); CREATE TABLE rs_two (x int);",
    );
    assert_eq!(ok(&mut t, "SELECT count_like('rs\\_%');"), "2");
    s.sql("CREATE TABLE public.rs_secret (x int);");
    assert_eq!(ok(&mut t, "SELECT count_like('rs\\_%');"), "2");
    assert_eq!(
        ok(
            &mut t,
            "SELECT sum(count_like('rs\\_%')), sum(count_rs()) FROM generate_series(1, 5000);"
        ),
        "10000|10000"
    );
    // Typed SPI (spi_exec): parameters typed by their JSON values, rows
    // with numbers, booleans and JSON kept; still read-only.
    assert_eq!(
        ok(&mut t, "SELECT typed(41)::text;"),
        "[{\"b\": true, \"f\": 1.5, \"j\": {\"k\": [1, null]}, \"n\": 42, \"s\": \"s\u{e9}\", \
         \"t\": true, \"x\": 0.50, \"z\": null, \"nan\": \"NaN\"}]"
    );
    assert_eq!(
        ok(&mut t, "SELECT try_sql('INSERT INTO rs_one VALUES (1)');"),
        "0A000: INSERT is not allowed in a non-volatile function"
    );
    assert_eq!(
        ok(&mut t, "SELECT try_sql('SELECT x FROM public.rs_secret');"),
        "42501: permission denied for table rs_secret"
    );
    assert_eq!(ok(&mut t, "SELECT count(*) FROM rs_one;"), "0");
    // Rows: a composite, a set of rows.
    assert_eq!(ok(&mut t, "SELECT * FROM minmax('{5,-3,9}');"), "-3|9");
    assert_eq!(ok(&mut t, "SELECT minmax('{}');"), "(,)");
    assert_eq!(
        ok(
            &mut t,
            "SELECT string_agg(k || '=' || coalesce(v, 'NULL'), ',') FROM pairs('a=1;b;c=');"
        ),
        "a=1,b=NULL,c="
    );
    // A trigger: changes a column, fills in another, skips a row.
    ok(
        &mut t,
        "CREATE TABLE people (email text, op text); \
         CREATE TRIGGER tidy BEFORE INSERT OR UPDATE ON people FOR EACH ROW \
         EXECUTE FUNCTION tidy('email');",
    );
    ok(
        &mut t,
        "INSERT INTO people (email) VALUES ('  Ann@Example.ORG '), ('   '), ('b@x.org');",
    );
    assert_eq!(
        ok(
            &mut t,
            "SELECT string_agg(email || ':' || op, ',' ORDER BY email) FROM people;"
        ),
        "ann@example.org:INSERT,b@x.org:INSERT"
    );
    ok(
        &mut t,
        "UPDATE people SET email = upper(email) WHERE email LIKE 'b%';",
    );
    assert_eq!(
        ok(&mut t, "SELECT op FROM people WHERE email = 'b@x.org';"),
        "UPDATE"
    );
    expect_error(&mut t, "SELECT tidy();", "0A000", "called as a trigger");
    check_div(&mut t, &module("raise"));
}

/// The `raise` example of either SDK, `checked_div(text, int, int)`:
/// NOTICE and WARNING reach the client, ERROR aborts with the guest's
/// SQLSTATE (22012) or P0001 and its message.
fn check_div(t: &mut extguard_e2e::pg::Session, m: &str) {
    ok(
        t,
        &create_sql("checked_div(text, int, int) RETURNS int STRICT", m),
    );
    t.new_errors();
    assert_eq!(t.query("SELECT checked_div('share', 7, 2);").trim(), "3");
    let msgs = t.new_errors();
    assert!(msgs.contains("NOTICE:  00000: share: 7 / 2"), "{msgs}");
    assert!(
        msgs.contains("WARNING:  01000: checked_div: the result is rounded toward zero"),
        "{msgs}"
    );
    expect_error(
        t,
        "SELECT checked_div('x', 1, 0);",
        "22012",
        "checked_div: division by zero",
    );
    expect_error(
        t,
        "SELECT checked_div('x', 1, -1);",
        "P0001",
        "checked_div: the divisor must be positive",
    );
}

#[test]
fn assemblyscript_sdk_examples_compile_and_run() {
    if environment().is_none() {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let module = build_as_examples(dir.path());
    // The analyzer accepts every module: no import but the SPI ones (the
    // compiler's `env.abort` is turned into a trap by asconfig.json).
    for name in ["hash", "kv", "split", "lookup"] {
        let bytes = std::fs::read(dir.path().join(format!("{name}.wasm"))).expect("built");
        let file = extguard_analyzer::source::SourceFile::new(format!("{name}.wasm"), &bytes);
        let findings = extguard_analyzer::wasm::analyze(&file, &bytes);
        let bad: Vec<_> = findings.iter().filter(|f| f.code != "EG142").collect();
        assert!(bad.is_empty(), "{name}.wasm: {bad:?}");
    }
    let (hash, kv, split, lookup) = (
        module("hash"),
        module("kv"),
        module("split"),
        module("lookup"),
    );
    let s = server(base_port() + 7, &[], &[]);
    let mut t = s.session("tenant", "postgres");
    for (sig, m) in [
        ("fnv1a(bytea) RETURNS bigint STRICT", &hash),
        ("kv_to_json(text) RETURNS jsonb", &kv),
        ("pairs(text) RETURNS TABLE (k text, v text) STRICT", &kv),
        ("split(text, text) RETURNS SETOF text STRICT", &split),
        ("top_n(int[], int) RETURNS int[] STRICT", &split),
        ("fill_nulls(int[], int) RETURNS int[] STRICT", &split),
        ("nullify(text[], text) RETURNS text[] STRICT", &split),
        ("columns_of(text) RETURNS jsonb STRICT", &lookup),
        ("count_like(text) RETURNS bigint STRICT", &lookup),
    ] {
        ok(&mut t, &create_sql(sig, m));
    }
    shared_examples(&mut t);
    // Text crosses as UTF-8 both ways, a character outside the BMP (a
    // UTF-16 surrogate pair inside AssemblyScript) included.
    assert_eq!(
        ok(
            &mut t,
            "SELECT kv_to_json('\u{e9} = \u{1f600}; k=\u{1f600}\"')::text, top_n('{}', 2);"
        ),
        "{\"k\": \"\u{1f600}\\\"\", \"\u{e9}\": \"\u{1f600}\"}|{}"
    );
    // A set of rows (JSON objects; a left-out column is NULL).
    assert_eq!(
        ok(
            &mut t,
            "SELECT string_agg(k || '=' || coalesce(v, 'NULL'), ',') FROM pairs('a=1;b;;c=;\u{e9}=\"');"
        ),
        "a=1,b=NULL,c=,\u{e9}=\""
    );
    // The query text is built by the module's top-level code, so it lives
    // in the heap: it must survive the memory reset of every later call.
    assert_eq!(
        ok(
            &mut t,
            "SELECT count(DISTINCT columns_of(CASE WHEN i % 2 = 0 THEN 'pts' \
             ELSE repeat('q', i % 50) END)::text) FROM generate_series(1, 3000) i;"
        ),
        "26"
    );
    // Typed SPI: tables the tenant may read, not the one it may not.
    ok(
        &mut t,
        "CREATE TABLE rs_one (x int); CREATE TABLE rs_two (x int);",
    );
    s.sql("CREATE TABLE public.rs_secret (x int);");
    assert_eq!(ok(&mut t, "SELECT count_like('rs\\_%');"), "2");
}
