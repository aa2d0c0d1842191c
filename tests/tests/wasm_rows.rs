//! Rows in `LANGUAGE wasm` (ABI version 3) on a real PostgreSQL server, as
//! a non-superuser: trigger functions (BEFORE / AFTER, row and statement,
//! TRUNCATE; the event with NEW / OLD, a changed row, a skipped row) and
//! composite results (OUT parameters, `RETURNS TABLE` of several columns,
//! `SETOF` a composite type), NULL array elements (ABI version 4, in and
//! out, in sets; refused for older modules). Modules:
//! `sdk/c/examples/triggers.c` and `rows.c`, compiled from source, and
//! `corpus/wasm/abi4.wat`.
//!
//! Runs with `EXTGUARD_E2E=1` (`make test-pg`).

use std::path::PathBuf;

use extguard_e2e::wasm::{
    base_port, build_c_example, create_sql, environment, expect_error, ok, server,
};

fn corpus(name: &str) -> String {
    std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../corpus/wasm")
            .join(name),
    )
    .expect("corpus module")
}

#[test]
fn triggers_and_composite_results() {
    if environment().is_none() {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let triggers = build_c_example(dir.path(), "triggers");
    let rows = build_c_example(dir.path(), "rows");
    let s = server(base_port() + 9, &[], &[]);
    let mut t = s.session("tenant", "postgres");
    for f in ["keep_event", "stamp", "skip_row", "remember"] {
        ok(
            &mut t,
            &create_sql(&format!("{f}() RETURNS trigger"), &triggers),
        );
    }
    ok(
        &mut t,
        "CREATE TABLE items (id int PRIMARY KEY, name text, note text, n int, \
         gone text DEFAULT 'x', ev jsonb);",
    );

    // The event: operation, timing, level, names, arguments, NEW and OLD.
    ok(
        &mut t,
        "CREATE TRIGGER a_ev BEFORE INSERT OR UPDATE ON items FOR EACH ROW \
         EXECUTE FUNCTION keep_event('x', 'y');",
    );
    ok(
        &mut t,
        "INSERT INTO items (id, name) VALUES (1, 'h\u{e9}llo');",
    );
    let event = "SELECT ev->>'op', ev->>'when', ev->>'level', ev->>'table', ev->>'schema', \
                 ev->>'name', ev->'args', ev->'new'->>'id', ev->'new'->>'name', \
                 ev->'new'->>'gone', ev->'old' FROM items WHERE id = 1;";
    assert_eq!(
        ok(&mut t, event),
        "INSERT|BEFORE|ROW|items|t|a_ev|[\"x\", \"y\"]|1|h\u{e9}llo|x|null"
    );
    ok(&mut t, "UPDATE items SET name = 'b' WHERE id = 1;");
    assert_eq!(
        ok(
            &mut t,
            "SELECT ev->>'op', ev->'old'->>'name', ev->'new'->>'name' FROM items;"
        ),
        "UPDATE|h\u{e9}llo|b"
    );
    ok(&mut t, "DROP TRIGGER a_ev ON items;");

    // A changed row: strings, numbers and null become column values.
    ok(
        &mut t,
        "CREATE TRIGGER b_stamp BEFORE INSERT ON items FOR EACH ROW \
         EXECUTE FUNCTION stamp('tagged');",
    );
    ok(&mut t, "INSERT INTO items (id, name) VALUES (2, 'two');");
    assert_eq!(
        ok(
            &mut t,
            "SELECT name, note, n, gone IS NULL FROM items WHERE id = 2;"
        ),
        "two|tagged|42|t"
    );

    // A skipped row (BEFORE INSERT, BEFORE DELETE).
    ok(
        &mut t,
        "CREATE TRIGGER c_skip BEFORE INSERT ON items FOR EACH ROW \
         WHEN (NEW.id >= 100) EXECUTE FUNCTION skip_row();",
    );
    ok(
        &mut t,
        "CREATE TRIGGER c_keep BEFORE DELETE ON items FOR EACH ROW \
         WHEN (OLD.id = 2) EXECUTE FUNCTION skip_row();",
    );
    assert_eq!(
        ok(
            &mut t,
            "INSERT INTO items (id) VALUES (100), (3) RETURNING id;"
        ),
        "3"
    );
    ok(&mut t, "DELETE FROM items WHERE id = 2;");
    assert_eq!(
        ok(
            &mut t,
            "SELECT string_agg(id::text, ',' ORDER BY id) FROM items;"
        ),
        "1,2,3"
    );

    // AFTER row, statement and TRUNCATE triggers run (they keep the event
    // in a setting through a read-only query); their result is ignored.
    let last = "SELECT e->>'op', e->>'when', e->>'level', e->'old'->>'n', e->'new'->>'n' \
                FROM (SELECT current_setting('wasm.last_event')::jsonb e) x;";
    for (trigger, statement, event) in [
        (
            "d_after AFTER UPDATE ON items FOR EACH ROW",
            "UPDATE items SET n = 7 WHERE id = 2;",
            "UPDATE|AFTER|ROW|42|7",
        ),
        (
            "e_stmt AFTER DELETE ON items FOR EACH STATEMENT",
            "DELETE FROM items WHERE id = 999;",
            "DELETE|AFTER|STATEMENT||",
        ),
        (
            "f_trunc BEFORE TRUNCATE ON items FOR EACH STATEMENT",
            "TRUNCATE items;",
            "TRUNCATE|BEFORE|STATEMENT||",
        ),
    ] {
        ok(
            &mut t,
            &format!("CREATE TRIGGER {trigger} EXECUTE FUNCTION remember();"),
        );
        ok(&mut t, statement);
        assert_eq!(ok(&mut t, last), event, "{trigger}");
    }

    // Errors: a column the table lacks, a value its type refuses, a
    // domain's constraint, a direct call, declared arguments, a module
    // of an older ABI.
    ok(&mut t, "CREATE TABLE plain (id int);");
    ok(
        &mut t,
        "CREATE TRIGGER g BEFORE INSERT ON plain FOR EACH ROW EXECUTE FUNCTION stamp();",
    );
    expect_error(
        &mut t,
        "INSERT INTO plain VALUES (1);",
        "42703",
        "the row has no column \"gone\"",
    );
    ok(&mut t, "CREATE TABLE typed (ev int);");
    ok(
        &mut t,
        "CREATE TRIGGER h BEFORE INSERT ON typed FOR EACH ROW EXECUTE FUNCTION keep_event();",
    );
    expect_error(
        &mut t,
        "INSERT INTO typed VALUES (1);",
        "22P02",
        "invalid input syntax for type integer",
    );
    ok(&mut t, "CREATE DOMAIN small AS int CHECK (VALUE < 10);");
    ok(
        &mut t,
        "CREATE TABLE checked (note text, n small, gone text);",
    );
    ok(
        &mut t,
        "CREATE TRIGGER i BEFORE INSERT ON checked FOR EACH ROW EXECUTE FUNCTION stamp();",
    );
    expect_error(
        &mut t,
        "INSERT INTO checked VALUES ('a', 1, 'b');",
        "23514",
        "violates check constraint",
    );
    expect_error(
        &mut t,
        "SELECT stamp();",
        "0A000",
        "can only be called as a trigger",
    );
    expect_error(
        &mut t,
        &create_sql("stamp(int) RETURNS trigger", &triggers),
        "42P13",
        "cannot have declared arguments",
    );
    let abi2 = corpus("abi2.wat");
    expect_error(
        &mut t,
        &create_sql("first() RETURNS trigger", &abi2),
        "42P13",
        "extguard_abi_3",
    );

    // Composite results: OUT parameters, RETURNS TABLE, SETOF a type.
    ok(
        &mut t,
        &create_sql("minmax(int[], OUT lo int, OUT hi int) STRICT", &rows),
    );
    assert_eq!(ok(&mut t, "SELECT * FROM minmax('{5,-3,9}');"), "-3|9");
    assert_eq!(ok(&mut t, "SELECT minmax('{4}');"), "(4,4)");
    assert_eq!(
        ok(
            &mut t,
            "SELECT (minmax('{}')).lo IS NULL, minmax(NULL) IS NULL;"
        ),
        "t|t"
    );
    ok(
        &mut t,
        &create_sql("pairs(text) RETURNS TABLE (k text, v text) STRICT", &rows),
    );
    assert_eq!(
        ok(
            &mut t,
            "SELECT string_agg(k || ':' || coalesce(v, 'NULL'), ',') FROM pairs('a=1;b=;\u{e9}');"
        ),
        "a:1,b:,\u{e9}:NULL"
    );
    assert_eq!(ok(&mut t, "SELECT pairs('a=1');"), "(a,1)");
    assert_eq!(
        ok(
            &mut t,
            "SELECT count(*) FROM pairs(repeat('k=v;', 20000) || 'k=v');"
        ),
        "20001"
    );
    ok(&mut t, "DROP FUNCTION pairs(text);");
    ok(&mut t, "CREATE TYPE kv AS (k text, v int);");
    ok(
        &mut t,
        &create_sql("pairs(text) RETURNS SETOF kv STRICT", &rows),
    );
    assert_eq!(ok(&mut t, "SELECT sum(v) FROM pairs('a=1;b=2;c');"), "3");
    expect_error(
        &mut t,
        "SELECT * FROM pairs('a=x');",
        "22P02",
        "invalid input syntax for type integer",
    );
    // RETURNS SETOF record takes its columns from the call.
    ok(&mut t, "DROP FUNCTION pairs(text);");
    ok(
        &mut t,
        &create_sql("pairs(text) RETURNS SETOF record STRICT", &rows),
    );
    assert_eq!(
        ok(&mut t, "SELECT * FROM pairs('a=1;b') AS (k text, v int);"),
        "a|1\nb|"
    );
    ok(&mut t, "DROP FUNCTION minmax(int[]);");
    ok(
        &mut t,
        &create_sql("minmax(int[], OUT low int, OUT hi int) STRICT", &rows),
    );
    expect_error(
        &mut t,
        "SELECT * FROM minmax('{1}');",
        "42703",
        "no column \"lo\"",
    );

    // NULL elements: a version 4 module gets and returns them (flagged
    // nullable form), in arrays and sets; older modules get 22004.
    let abi4 = corpus("abi4.wat");
    for sig in [
        "echo_ints(int[]) RETURNS int[] STRICT",
        "echo_texts(text[]) RETURNS text[] STRICT",
        "rows_of(int[]) RETURNS SETOF int STRICT",
        "null_count(int[]) RETURNS int STRICT",
        "bad_nulls() RETURNS int[]",
    ] {
        ok(&mut t, &create_sql(sig, &abi4));
    }
    assert_eq!(
        ok(
            &mut t,
            "SELECT echo_ints('{1,NULL,-3}'), echo_ints('{1,2}'), echo_ints('{NULL}');"
        ),
        "{1,NULL,-3}|{1,2}|{NULL}"
    );
    assert_eq!(
        ok(
            &mut t,
            "SELECT echo_texts(ARRAY['a', NULL, '\u{e9}', '']), null_count('{NULL,1,NULL}'), \
             null_count('{1}');"
        ),
        "{a,NULL,\u{e9},\"\"}|2|0"
    );
    assert_eq!(
        ok(
            &mut t,
            "SELECT count(*), count(x), sum(x) FROM rows_of('{1,NULL,3,NULL}') x;"
        ),
        "4|2|4"
    );
    expect_error(&mut t, "SELECT bad_nulls();", "38000", "has 3 bytes, not 4");
    ok(&mut t, "DROP FUNCTION minmax(int[]);");
    ok(
        &mut t,
        &create_sql("minmax(int[], OUT lo int, OUT hi int) STRICT", &rows),
    );
    expect_error(
        &mut t,
        "SELECT minmax('{1,NULL}');",
        "22004",
        "element 2 of argument 1 is NULL",
    );
}
