//! `LANGUAGE wasm` ABI version 2 on a real PostgreSQL 15 server, as a
//! non-superuser: arrays in and out, numeric, varchar, domains (their
//! constraints checked on results and rows), NULL arguments (STRICT and
//! the NULL mask) and NULL results, set-returning functions (SETOF and
//! one-column RETURNS TABLE; bounded, cancellable). The module is
//! `corpus/wasm/abi2.wat`.
//!
//! Runs with `EXTGUARD_E2E=1` (`make test-pg`).

use std::path::PathBuf;

use extguard_e2e::wasm::{base_port, create_sql, environment, expect_error, ok, server};

fn abi2() -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../corpus/wasm/abi2.wat");
    std::fs::read_to_string(path).expect("abi2.wat")
}

#[test]
fn arrays_numeric_domains_nulls_and_sets() {
    if environment().is_none() {
        return;
    }
    let s = server(base_port() + 6, &[], &[]);
    let mut t = s.session("tenant", "postgres");
    let m = abi2();
    for sig in [
        "sum_int4(int[]) RETURNS bigint STRICT",
        "reverse_int8(bigint[]) RETURNS bigint[] STRICT",
        "scale(float8[], float8) RETURNS float8[] STRICT",
        "first(text[]) RETURNS text",
        "pick(int, int) RETURNS int",
        "echo(numeric) RETURNS numeric STRICT",
        "notnum() RETURNS numeric",
        "series(int) RETURNS SETOF int STRICT",
        "spin() RETURNS SETOF int",
    ] {
        ok(&mut t, &create_sql(sig, &m));
    }
    // Arrays in and out.
    assert_eq!(ok(&mut t, "SELECT sum_int4(ARRAY[1, 2, 3, -10]);"), "-4");
    assert_eq!(ok(&mut t, "SELECT sum_int4('{}');"), "0");
    assert_eq!(
        ok(
            &mut t,
            "SELECT sum_int4(array_agg(i)) FROM generate_series(1, 100000) i;"
        ),
        "5000050000"
    );
    assert_eq!(
        ok(
            &mut t,
            "SELECT reverse_int8(ARRAY[1, -9223372036854775808, 3]);"
        ),
        "{3,-9223372036854775808,1}"
    );
    assert_eq!(
        ok(&mut t, "SELECT scale('{1.5,-2,Infinity}', 2);"),
        "{3,-4,Infinity}"
    );
    // Slices with another lower bound are plain one-dimensional arrays.
    assert_eq!(
        ok(&mut t, "SELECT sum_int4(('[5:7]={1,2,3}'::int[])[6:7]);"),
        "5"
    );
    expect_error(
        &mut t,
        "SELECT sum_int4('{{1,2},{3,4}}');",
        "0A000",
        "2-dimensional array",
    );
    expect_error(
        &mut t,
        "SELECT sum_int4(ARRAY[1, NULL]);",
        "22004",
        "element 2 of argument 1 is NULL",
    );
    // Text arrays (with non-ASCII) and NULL results.
    assert_eq!(
        ok(&mut t, "SELECT first(ARRAY['h\u{e9}llo', 'x']);"),
        "h\u{e9}llo"
    );
    assert_eq!(
        ok(&mut t, "SELECT first('{}') IS NULL, first(NULL) IS NULL;"),
        "t|t"
    );
    // numeric as decimal text; what comes back goes through numeric_in.
    assert_eq!(
        ok(
            &mut t,
            "SELECT echo(-12345678901234567890.000000000000000001), echo('NaN');"
        ),
        "-12345678901234567890.000000000000000001|NaN"
    );
    expect_error(
        &mut t,
        "SELECT notnum();",
        "22P02",
        "invalid input syntax for type numeric",
    );
    // NULL arguments: the mask for a non-strict function that takes it,
    // no call at all for a STRICT one, an error for one without the mask.
    assert_eq!(
        ok(
            &mut t,
            "SELECT pick(NULL, 7), pick(1, NULL), pick(NULL, NULL) IS NULL;"
        ),
        "7|1|f"
    );
    ok(
        &mut t,
        &create_sql("sum_int4(int[]) RETURNS bigint CALLED ON NULL INPUT", &m),
    );
    expect_error(
        &mut t,
        "SELECT sum_int4(NULL);",
        "22004",
        "got NULL for argument 1",
    );
    ok(
        &mut t,
        &create_sql("sum_int4(int[]) RETURNS bigint STRICT", &m),
    );
    assert_eq!(ok(&mut t, "SELECT sum_int4(NULL) IS NULL;"), "t");

    // Domains: arguments arrive as the base type; results and rows are
    // checked against the domain's constraints by PostgreSQL.
    ok(
        &mut t,
        "CREATE DOMAIN pos AS int CHECK (VALUE > 0);
         CREATE DOMAIN small AS int CHECK (VALUE < 3);
         CREATE DOMAIN ints AS int[] CHECK (cardinality(VALUE) < 4);
         CREATE DOMAIN code AS varchar(8) CHECK (VALUE ~ '^[a-z]+$');",
    );
    ok(&mut t, "DROP FUNCTION pick(int, int);");
    ok(&mut t, &create_sql("pick(pos, int) RETURNS pos", &m));
    assert_eq!(ok(&mut t, "SELECT pick(5, 1), pick(NULL, 2);"), "5|2");
    expect_error(
        &mut t,
        "SELECT pick(NULL, -1);",
        "23514",
        "violates check constraint",
    );
    ok(
        &mut t,
        &create_sql("reverse_int8(bigint[]) RETURNS bigint[] STRICT", &m),
    );
    ok(
        &mut t,
        &create_sql("sum_int4(ints) RETURNS bigint STRICT", &m),
    );
    assert_eq!(ok(&mut t, "SELECT sum_int4(ARRAY[1,2]::ints);"), "3");
    ok(&mut t, &create_sql("first(varchar[]) RETURNS code", &m));
    assert_eq!(ok(&mut t, "SELECT first(ARRAY['abc']::varchar[]);"), "abc");
    expect_error(
        &mut t,
        "SELECT first(ARRAY['X1']::varchar[]);",
        "23514",
        "code",
    );
    // Arrays of domains are not in the ABI (their elements would go
    // unchecked).
    expect_error(
        &mut t,
        &create_sql("first(code[]) RETURNS text", &m),
        "0A000",
        "cannot use type code[]",
    );

    // Sets: SETOF and one-column RETURNS TABLE, in FROM and in the
    // select list, in materialize mode.
    assert_eq!(
        ok(&mut t, "SELECT string_agg(x::text, ',') FROM series(5) x;"),
        "1,2,3,4,5"
    );
    assert_eq!(
        ok(&mut t, "SELECT count(*) FROM (SELECT series(3)) s;"),
        "3"
    );
    assert_eq!(
        ok(&mut t, "SELECT count(*), sum(x) FROM series(1000000) x;"),
        "1000000|500000500000"
    );
    assert_eq!(ok(&mut t, "SELECT count(*) FROM series(0);"), "0");
    ok(&mut t, "DROP FUNCTION series(int);");
    ok(
        &mut t,
        &create_sql("series(n int) RETURNS TABLE (x pos) STRICT", &m),
    );
    assert_eq!(ok(&mut t, "SELECT max(x) FROM series(4);"), "4");
    ok(&mut t, "DROP FUNCTION series(int);");
    ok(
        &mut t,
        &create_sql("series(int) RETURNS SETOF small STRICT", &m),
    );
    assert_eq!(ok(&mut t, "SELECT count(*) FROM series(2);"), "2");
    expect_error(&mut t, "SELECT count(*) FROM series(5);", "23514", "small");
    // Bounded: the rows live in the guest's memory first (16 MB default).
    expect_error(
        &mut t,
        "SELECT count(*) FROM series(5000000);",
        "54000",
        "memory",
    );
    // Interruptible: statement_timeout ends a set function that never returns.
    ok(&mut t, "SET statement_timeout = '300ms';");
    expect_error(
        &mut t,
        "SELECT count(*) FROM spin();",
        "57014",
        "statement timeout",
    );
    ok(&mut t, "RESET statement_timeout;");
    // Type errors at CREATE FUNCTION.
    expect_error(
        &mut t,
        &create_sql("rows_of(int) RETURNS SETOF int[]", &m),
        "0A000",
        "set of arrays",
    );
    // Rows need ABI version 3 (tests/wasm_rows.rs).
    expect_error(
        &mut t,
        &create_sql("rows_of(int) RETURNS TABLE (a int, b int)", &m),
        "42P13",
        "extguard_abi_3",
    );
    // The session is still fine.
    assert_eq!(ok(&mut t, "SELECT sum_int4(ARRAY[40, 2]);"), "42");
}
