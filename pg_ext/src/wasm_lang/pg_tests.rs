//! pgrx tests of `LANGUAGE wasm` (run in a server, as in `make test-pg`).

use pgrx::prelude::*;

#[pg_schema]
mod tests {
    use pgrx::prelude::*;

    const ADD: &str = include_str!("../../../corpus/wasm/add.wat");
    const TYPES: &str = include_str!("../../../corpus/wasm/types.wat");
    const REVERSE: &str = include_str!("../../../corpus/wasm/reverse.wat");
    const SUM: &str = include_str!("../../../corpus/wasm/sum.wat");
    const HASH: &str = include_str!("../../../corpus/wasm/hash.wat");
    const JSONB_COUNT: &str = include_str!("../../../corpus/wasm/jsonb_field_count.wat");
    const SPIN: &str = include_str!("../../../corpus/wasm/hostile_infinite_loop.wat");
    const GROW: &str = include_str!("../../../corpus/wasm/hostile_memory_grow.wat");
    const RECURSE: &str = include_str!("../../../corpus/wasm/hostile_recursion.wat");
    const DIV: &str = include_str!("../../../corpus/wasm/hostile_div_zero.wat");
    const UNREACHABLE: &str = include_str!("../../../corpus/wasm/hostile_unreachable.wat");
    const WASI: &str = include_str!("../../../corpus/wasm/hostile_wasi_import.wat");
    const TABLE: &str = include_str!("../../../corpus/wasm/hostile_table_declared.wat");
    const TABLE_GROW: &str = include_str!("../../../corpus/wasm/hostile_table_grow.wat");

    /// `'...'` with quotes doubled.
    fn lit(s: &str) -> String {
        format!("'{}'", s.replace('\'', "''"))
    }

    fn create(signature: &str, body: &str) {
        Spi::run(&format!(
            "CREATE OR REPLACE FUNCTION {signature} LANGUAGE wasm AS {}",
            lit(body)
        ))
        .unwrap();
    }

    /// Runs `sql` in a subtransaction (a PL/pgSQL block) and returns the
    /// SQLSTATE and message it failed with, or None if it succeeded.
    fn error_of(sql: &str) -> Option<(String, String)> {
        Spi::run(
            "CREATE TEMP TABLE IF NOT EXISTS wasm_err(state text, message text); \
             TRUNCATE wasm_err",
        )
        .unwrap();
        Spi::run(&format!(
            "DO $do$ BEGIN EXECUTE {}; \
             EXCEPTION WHEN OTHERS OR query_canceled THEN \
               INSERT INTO wasm_err VALUES (SQLSTATE, SQLERRM); END $do$",
            lit(sql)
        ))
        .unwrap();
        Spi::connect(|c| {
            c.select("SELECT state, message FROM wasm_err", None, &[])
                .unwrap()
                .next()
                .map(|row| {
                    (
                        row.get::<String>(1).unwrap().unwrap(),
                        row.get::<String>(2).unwrap().unwrap(),
                    )
                })
        })
    }

    fn expect_error(sql: &str, state: &str, needle: &str) {
        match error_of(sql) {
            Some((s, m)) => {
                assert_eq!(s, state, "{sql}: {m}");
                assert!(m.contains(needle), "{sql}: {m:?} lacks {needle:?}");
            }
            None => panic!("{sql} succeeded, expected {state}"),
        }
    }

    fn one<T: pgrx::datum::FromDatum + pgrx::datum::IntoDatum>(sql: &str) -> Option<T> {
        Spi::get_one::<T>(sql).unwrap()
    }

    fn assert_add_works() {
        create(
            "wasm_probe_add(int, int) RETURNS int",
            &ADD.replace("\"add\"", "\"wasm_probe_add\""),
        );
        assert_eq!(one::<i32>("SELECT wasm_probe_add(20, 22)"), Some(42));
    }

    #[pg_test]
    fn add_is_called_by_name() {
        create("add(int, int) RETURNS int", ADD);
        assert_eq!(one::<i32>("SELECT add(2, 3)"), Some(5));
        assert_eq!(
            one::<i64>("SELECT sum(add(i, 1))::bigint FROM generate_series(1, 1000) i"),
            Some(501_500)
        );
    }

    #[pg_test]
    fn every_type_round_trips() {
        for (name, ty) in [
            ("id_int2", "smallint"),
            ("id_int4", "integer"),
            ("id_int8", "bigint"),
            ("id_float4", "real"),
            ("id_float8", "double precision"),
            ("id_bool", "boolean"),
            ("id_text", "text"),
            ("id_bytea", "bytea"),
            ("id_jsonb", "jsonb"),
        ] {
            create(&format!("{name}({ty}) RETURNS {ty} STRICT"), TYPES);
        }
        for (expr, expected) in [
            ("id_int2((-32768)::smallint)::text", "-32768"),
            ("id_int2(32767::smallint)::text", "32767"),
            ("id_int4(-2147483648)::text", "-2147483648"),
            ("id_int8(9223372036854775807)::text", "9223372036854775807"),
            ("id_float4(1.5::real)::text", "1.5"),
            ("id_float4('-Infinity'::real)::text", "-Infinity"),
            ("id_float8(pi())::text", "3.141592653589793"),
            ("id_float8('NaN')::text", "NaN"),
            ("id_bool(true)::text", "true"),
            ("id_bool(false)::text", "false"),
            ("id_text('')", ""),
            ("id_text('héllo wörld ✓')", "héllo wörld ✓"),
            (
                "id_text(repeat('ab', 100000)) = repeat('ab', 100000)",
                "true",
            ),
            ("id_bytea('\\x00ff10'::bytea)::text", "\\x00ff10"),
            (
                "id_jsonb('{\"b\": [1, 2.5, null], \"a\": \"ü\"}')::text",
                "{\"a\": \"ü\", \"b\": [1, 2.5, null]}",
            ),
        ] {
            let got = one::<String>(&format!("SELECT ({expr})::text"));
            assert_eq!(got.as_deref(), Some(expected), "{expr}");
        }
    }

    #[pg_test]
    fn strict_returns_null_and_non_strict_refuses_null() {
        create("id_int4(integer) RETURNS integer STRICT", TYPES);
        assert_eq!(one::<i32>("SELECT id_int4(NULL)"), None);
        create("id_text(text) RETURNS text CALLED ON NULL INPUT", TYPES);
        expect_error("SELECT id_text(NULL)", "22004", "got NULL for argument 1");
        assert_eq!(one::<String>("SELECT id_text('x')").as_deref(), Some("x"));
    }

    #[pg_test]
    fn varlena_functions_work_over_many_rows() {
        // Renamed exports: pg_catalog already has reverse(text).
        create(
            "wasm_reverse(text) RETURNS text STRICT",
            &REVERSE.replace("(export \"reverse\")", "(export \"wasm_reverse\")"),
        );
        create(
            "wasm_hash(bytea) RETURNS bigint STRICT",
            &HASH.replace("(export \"hash\")", "(export \"wasm_hash\")"),
        );
        create(
            "jsonb_field_count(jsonb) RETURNS integer STRICT",
            JSONB_COUNT,
        );
        assert_eq!(
            one::<String>("SELECT wasm_reverse('añb😀')").as_deref(),
            Some("😀bña")
        );
        assert_eq!(
            one::<i64>(
                "SELECT count(*) FROM generate_series(1, 5000) i \
                 WHERE wasm_reverse(wasm_reverse(repeat(i::text, 50))) = repeat(i::text, 50)"
            ),
            Some(5000)
        );
        // FNV-1a of "a" is 0xaf63dc4c8601ec8c.
        assert_eq!(
            one::<i64>("SELECT wasm_hash('a'::bytea)"),
            Some(0xaf63dc4c8601ec8cu64 as i64)
        );
        assert_eq!(
            one::<i32>("SELECT jsonb_field_count('{\"a\": 1, \"b\": {\"c\": 2}, \"d\": \"x:y\"}')"),
            Some(3)
        );
    }

    /// A small deterministic generator (xorshift64*) for the differential test.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
        fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
            &items[self.below(items.len() as u64) as usize]
        }
    }

    fn reference_sum(n: i64) -> i64 {
        if n <= 0 {
            0
        } else {
            n.wrapping_mul(n.wrapping_add(1)) / 2
        }
    }

    fn reference_fnv1a(bytes: &[u8]) -> i64 {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for &b in bytes {
            h ^= b as u64;
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        h as i64
    }

    fn reference_reverse(s: &str) -> String {
        s.chars().rev().collect()
    }

    /// Keys of a top-level object (jsonb keeps one of duplicate keys), else 0.
    fn reference_field_count(json: &str) -> i32 {
        match serde_json::from_str::<serde_json::Value>(json) {
            Ok(serde_json::Value::Object(m)) => m.len() as i32,
            _ => 0,
        }
    }

    fn random_string(rng: &mut Rng, max: u64) -> String {
        const CHARS: &[char] = &[
            'a', 'z', 'Q', '0', ' ', ':', '"', '\\', '{', '}', '[', ']', ',', '\'', '\n', 'é', 'ß',
            '€', '漢', '😀', '𝄞', '\u{301}', '\u{7f}', '\u{ffff}',
        ];
        let len = rng.below(max + 1);
        (0..len).map(|_| *rng.pick(CHARS)).collect()
    }

    fn random_json(rng: &mut Rng, depth: u32) -> serde_json::Value {
        use serde_json::Value;
        let kind = if depth == 0 {
            rng.below(7)
        } else {
            rng.below(5)
        };
        match kind {
            0 => Value::Null,
            1 => Value::Bool(rng.below(2) == 1),
            2 => Value::from(rng.next() as i64 >> rng.below(64)),
            3 => Value::String(random_string(rng, 12)),
            4 if depth < 3 => Value::Array(
                (0..rng.below(4))
                    .map(|_| random_json(rng, depth + 1))
                    .collect(),
            ),
            4 => Value::Null,
            _ if depth < 3 => Value::Object(
                (0..rng.below(6))
                    .map(|_| (random_string(rng, 6), random_json(rng, depth + 1)))
                    .collect(),
            ),
            _ => Value::from(1),
        }
    }

    fn bytea_literal(bytes: &[u8]) -> String {
        let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        format!("'\\x{hex}'::bytea")
    }

    /// The Wasm fixtures of corpus/wasm and reference Rust give
    /// equal results through SQL on random inputs, NULLs and boundary values.
    #[pg_test]
    fn wasm_matches_reference_rust_on_random_inputs() {
        create(
            "diff_sum(bigint) RETURNS bigint STRICT",
            &SUM.replace("(export \"sum\")", "(export \"diff_sum\")"),
        );
        create(
            "diff_hash(bytea) RETURNS bigint STRICT",
            &HASH.replace("(export \"hash\")", "(export \"diff_hash\")"),
        );
        create(
            "diff_reverse(text) RETURNS text STRICT",
            &REVERSE.replace("(export \"reverse\")", "(export \"diff_reverse\")"),
        );
        create(
            "diff_count(jsonb) RETURNS integer STRICT",
            &JSONB_COUNT.replace("(export \"jsonb_field_count\")", "(export \"diff_count\")"),
        );
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64)
            | 1;
        let mut rng = Rng(seed);
        let why = |what: &str| format!("{what} (seed {seed})");

        // NULL in, NULL out (STRICT), for every function.
        for f in [
            "diff_sum(NULL::bigint)",
            "diff_hash(NULL::bytea)",
            "diff_reverse(NULL::text)",
            "diff_count(NULL::jsonb)",
        ] {
            assert_eq!(one::<String>(&format!("SELECT {f}::text")), None, "{f}");
        }

        let mut sums: Vec<i64> = vec![0, 1, -1, 2, i64::MIN, -i64::MAX, 1_000_000, 3_000_000];
        sums.extend((0..150).map(|_| rng.below(4_000_001) as i64 - 1_000_000));
        for n in sums {
            assert_eq!(
                one::<i64>(&format!("SELECT diff_sum({n})")),
                Some(reference_sum(n)),
                "{}",
                why(&format!("sum({n})"))
            );
        }

        let mut blobs: Vec<Vec<u8>> = vec![
            vec![],
            vec![0],
            vec![0xff],
            vec![0x80; 3],
            (0..=255).collect(),
        ];
        blobs.push((0..1 << 20).map(|_| rng.next() as u8).collect());
        for _ in 0..150 {
            let len = rng.below(2000);
            blobs.push((0..len).map(|_| rng.next() as u8).collect());
        }
        for b in &blobs {
            assert_eq!(
                one::<i64>(&format!("SELECT diff_hash({})", bytea_literal(b))),
                Some(reference_fnv1a(b)),
                "{}",
                why(&format!("hash of {} bytes", b.len()))
            );
        }

        let mut texts: Vec<String> = ["", "a", "ab", "😀", "e\u{301}", "漢字かな"]
            .map(String::from)
            .to_vec();
        texts.push("x😀é".repeat(40_000));
        texts.extend((0..150).map(|_| random_string(&mut rng, 300)));
        for t in &texts {
            assert_eq!(
                one::<String>(&format!("SELECT diff_reverse({})", lit(t))).as_deref(),
                Some(reference_reverse(t).as_str()),
                "{}",
                why(&format!(
                    "reverse of {:?}",
                    t.chars().take(40).collect::<String>()
                ))
            );
        }

        let mut docs: Vec<String> = [
            "{}",
            "[]",
            "1",
            "\"a:b\"",
            "null",
            "{\"a\": 1, \"a\": 2}",
            "{\"\": {\"x\": [1, {\"y\": 2}]}}",
        ]
        .map(String::from)
        .to_vec();
        docs.extend((0..150).map(|_| random_json(&mut rng, 0).to_string()));
        for d in &docs {
            assert_eq!(
                one::<i32>(&format!("SELECT diff_count({}::jsonb)", lit(d))),
                Some(reference_field_count(d)),
                "{}",
                why(&format!("field count of {d}"))
            );
        }
    }

    #[pg_test]
    fn create_or_replace_takes_effect_in_the_same_session() {
        create(
            "answer() RETURNS int",
            "(module (func (export \"answer\") (result i32) (i32.const 1)))",
        );
        assert_eq!(one::<i32>("SELECT answer()"), Some(1));
        create(
            "answer() RETURNS int",
            "(module (func (export \"answer\") (result i32) (i32.const 2)))",
        );
        assert_eq!(one::<i32>("SELECT answer()"), Some(2));
    }

    #[pg_test]
    fn base64_body_is_accepted() {
        // base64 of the binary of (module (func (export "b64") (result i32) (i32.const 7)))
        let binary: &[u8] = &[
            0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x05, 0x01, 0x60, 0x00, 0x01,
            0x7f, 0x03, 0x02, 0x01, 0x00, 0x07, 0x07, 0x01, 0x03, b'b', b'6', b'4', 0x00, 0x00,
            0x0a, 0x06, 0x01, 0x04, 0x00, 0x41, 0x07, 0x0b,
        ];
        let b64 = Spi::get_one::<String>(&format!(
            "SELECT encode('\\x{}'::bytea, 'base64')",
            binary
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>()
        ))
        .unwrap()
        .unwrap();
        create("b64() RETURNS int", &b64);
        assert_eq!(one::<i32>("SELECT b64()"), Some(7));
    }

    #[pg_test]
    fn validator_rejects_bad_modules_at_create_function() {
        let create_sql =
            |sig: &str, body: &str| format!("CREATE FUNCTION {sig} LANGUAGE wasm AS {}", lit(body));
        expect_error(
            &create_sql("f(int) RETURNS int", WASI),
            "42P13",
            "forbidden import: function \"wasi_snapshot_preview1\".\"fd_write\"",
        );
        expect_error(
            &create_sql("f() RETURNS int", TABLE),
            "54000",
            "table limit",
        );
        expect_error(
            &create_sql(
                "f() RETURNS int",
                "(module (func (export \"f\") (result i32) (i32.const)))",
            ),
            "42P13",
            "invalid WAT",
        );
        expect_error(
            &create_sql("f() RETURNS int", "AGFzbQEAAAAB/w=="),
            "42P13",
            "invalid wasm binary",
        );
        expect_error(
            &create_sql("sub(int, int) RETURNS int", ADD),
            "42P13",
            "no export \"sub\"",
        );
        expect_error(
            &create_sql("add(bigint, bigint) RETURNS bigint", ADD),
            "42P13",
            "expected (i64, i64) -> i64",
        );
        expect_error(
            &create_sql("add(point, point) RETURNS point", ADD),
            "0A000",
            "cannot use type point",
        );
        expect_error(
            &create_sql("add(int[], int[]) RETURNS SETOF int[]", ADD),
            "0A000",
            "cannot return a set of arrays",
        );
        // numeric and sets are ABI version 2; ADD declares no version (1).
        expect_error(
            &create_sql("add(numeric, numeric) RETURNS numeric", ADD),
            "42P13",
            "needs ABI version 2",
        );
        expect_error(
            &create_sql("add(int, int) RETURNS SETOF int", ADD),
            "42P13",
            "export a function named extguard_abi_2",
        );
        assert_add_works();
    }

    /// Arms PostgreSQL's own statement_timeout timer, as if the statement
    /// had started with statement_timeout = ms.
    fn arm_statement_timeout(ms: i32) {
        unsafe extern "C-unwind" {
            fn enable_timeout_after(id: std::ffi::c_int, delay_ms: std::ffi::c_int);
        }
        const STATEMENT_TIMEOUT: std::ffi::c_int = 3; // utils/timeout.h, PG 15
                                                      // SAFETY: STATEMENT_TIMEOUT is registered in every backend.
        unsafe { enable_timeout_after(STATEMENT_TIMEOUT, ms) };
    }

    #[pg_test]
    fn statement_timeout_stops_an_infinite_loop() {
        Spi::run("SET extguard.wasm_max_time = '60s'").unwrap();
        create("spin() RETURNS int", SPIN);
        arm_statement_timeout(200);
        expect_error("SELECT spin()", "57014", "statement timeout");
        // The same backend goes on working.
        assert_add_works();
        assert_eq!(one::<i32>("SELECT 1 + 1"), Some(2));
    }

    #[pg_test]
    fn pg_cancel_backend_stops_an_infinite_loop() {
        Spi::run("SET extguard.wasm_max_time = '60s'").unwrap();
        create("spin() RETURNS int", SPIN);
        // The cancel signal arrives before spin() starts; nothing between
        // them checks for interrupts, so the wasm loop must notice it.
        expect_error(
            "SELECT pg_cancel_backend(pg_backend_pid()), spin()",
            "57014",
            "user request",
        );
        assert_add_works();
    }

    #[pg_test]
    fn wasm_time_slice_stops_an_infinite_loop() {
        Spi::run("SET extguard.wasm_max_time = '100ms'").unwrap();
        create("spin() RETURNS int", SPIN);
        expect_error("SELECT spin()", "54000", "time limit");
        assert_add_works();
    }

    #[pg_test]
    fn hostile_modules_end_in_clear_errors() {
        Spi::run("SET extguard.wasm_max_memory = '2MB'").unwrap();
        create("grow() RETURNS int", GROW);
        expect_error("SELECT grow()", "54000", "memory limit exceeded");
        create("recurse(int) RETURNS int", RECURSE);
        expect_error("SELECT recurse(0)", "54001", "stack");
        create(
            "wasm_div(int, int) RETURNS int",
            &DIV.replace("(export \"div\")", "(export \"wasm_div\")"),
        );
        expect_error("SELECT wasm_div(1, 0)", "22012", "division by zero");
        create("boom() RETURNS int", UNREACHABLE);
        expect_error("SELECT boom()", "38000", "unreachable");
        create(
            "grow_table() RETURNS int",
            &TABLE_GROW.replace("\"grow\"", "\"grow_table\""),
        );
        expect_error("SELECT grow_table()", "54000", "table limit");
        assert_add_works();
    }

    #[pg_test]
    fn non_superuser_can_create_and_run_wasm_functions() {
        Spi::run(
            "CREATE ROLE wasm_tester NOLOGIN; \
             CREATE SCHEMA wasm_user_schema AUTHORIZATION wasm_tester; \
             SET ROLE wasm_tester; \
             SET search_path = wasm_user_schema",
        )
        .unwrap();
        create("add(int, int) RETURNS int", ADD);
        assert_eq!(one::<i32>("SELECT wasm_user_schema.add(1, 2)"), Some(3));
        assert_eq!(
            one::<bool>("SELECT lanpltrusted FROM pg_language WHERE lanname = 'wasm'"),
            Some(true)
        );
        // The same rules apply: no imports for anyone.
        expect_error(
            &format!(
                "CREATE FUNCTION f(int) RETURNS int LANGUAGE wasm AS {}",
                lit(WASI)
            ),
            "42P13",
            "forbidden import",
        );
        // Limits are superuser settings.
        expect_error(
            "SET extguard.wasm_max_memory = '1GB'",
            "42501",
            "permission denied",
        );
        Spi::run("RESET ROLE").unwrap();
    }
}
