//! The C guest SDK (`sdk/c/extguard.h`): each example in `sdk/c/examples/`
//! is compiled from source with clang for wasm32 (wasm-ld from lld),
//! created as a `LANGUAGE wasm` function by a non-superuser and checked
//! on a real PostgreSQL 15 server: a hash over bytea, a text parser
//! returning jsonb (non-strict, NULL mask), a set-returning split, array
//! functions and an SPI query with a parameter.
//!
//! Runs with `EXTGUARD_E2E=1` (`make test-pg`); clang and wasm-ld are then
//! required (`make setup-test` installs lld).

use extguard_e2e::wasm::{
    base_port, build_c_example as build, create_sql, environment, ok, server,
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
    ok(&mut t, "CREATE TABLE pts (x int, label varchar(10));");
    assert_eq!(
        ok(&mut t, "SELECT columns_of('pts')::text;"),
        r#"[{"name": "x", "type": "integer"}, {"name": "label", "type": "character varying(10)"}]"#
    );
    assert_eq!(
        ok(&mut t, "SELECT columns_of('nope')::text;"),
        r#""42P01: relation \"nope\" does not exist""#
    );
    assert_eq!(
        ok(&mut t, "SELECT fnv1a('hello'::bytea), fnv1a(''::bytea);"),
        format!("{}|{}", fnv1a(b"hello"), fnv1a(b""))
    );
    let big: Vec<u8> = (0..50_000u32).map(|i| (i % 251) as u8).collect();
    assert_eq!(
        ok(
            &mut t,
            "SELECT fnv1a(string_agg(set_byte('\\x00'::bytea, 0, i % 251), ''::bytea ORDER BY i)) \
             FROM generate_series(0, 49999) i;"
        ),
        fnv1a(&big).to_string()
    );
    assert_eq!(
        ok(
            &mut t,
            "SELECT kv_to_json('a=1; b = two;junk; c=\"q\\\" ;d=')::text;"
        ),
        r#"{"a": "1", "b": "two", "c": "\"q\\\"", "d": ""}"#
    );
    assert_eq!(ok(&mut t, "SELECT kv_to_json(NULL) IS NULL;"), "t");
    assert_eq!(ok(&mut t, "SELECT kv_to_json('')::text;"), "{}");
    assert_eq!(
        ok(
            &mut t,
            "SELECT array_agg(x) FROM split('a,b,,c\u{e9}', ',') x;"
        ),
        "{a,b,\"\",c\u{e9}}"
    );
    assert_eq!(
        ok(
            &mut t,
            "SELECT count(*) FROM split(repeat('x;', 100000), ';');"
        ),
        "100001"
    );
    assert_eq!(
        ok(&mut t, "SELECT mean('{1,2,3,4}'), mean('{}');"),
        "2.5|NaN"
    );
    assert_eq!(
        ok(
            &mut t,
            "SELECT top_n('{5,1,9,3,7}', 3), top_n('{5,1}', 0), top_n('{2,8}', 5);"
        ),
        "{9,7,5}|{}|{8,2}"
    );
}
