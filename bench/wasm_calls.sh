#!/usr/bin/env bash
# LANGUAGE wasm benchmark.
#
# 1. Sandbox level (no PostgreSQL): per-call overhead, fresh-instance cost,
#    a compute loop against Rust, interrupt latency.
# 2. PostgreSQL level (unless WASM_BENCH_PG=0): installs the extension into
#    $PG_CONFIG's PostgreSQL (dev profile, optimised), starts a
#    throw-away cluster on a free local port as user postgres, and times
#      - a trivial add(int, int) over 1M rows: wasm vs SQL vs PL/pgSQL, minus
#        the same query with the expression inlined, per call;
#      - compute-bound functions (a 1e6-step loop, FNV-1a over 100 kB) in
#        wasm vs PL/pgSQL;
#      - how long statement_timeout takes to stop an infinite wasm loop;
#      - ABI version 2: an SPI round trip (wasm spi_query vs PL/pgSQL
#        EXECUTE), array arguments per element (sum of a 1M int[] in wasm vs
#        unnest), a 1M-row SETOF (wasm vs generate_series vs RETURN NEXT);
#      - ABI version 3: a BEFORE INSERT row trigger that keeps the row
#        (wasm vs PL/pgSQL vs none) over 100k inserted rows.
#    Prints the ratios. Each figure is the best of 3 runs.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

echo "== sandbox (no PostgreSQL) =="
cargo run -q -p extguard-sandbox --example bench_calls
echo
echo "== compile bombs, worst module within the caps, cancel during compile =="
cargo run -q -p extguard-sandbox --example bench_compile

[ "${WASM_BENCH_PG:-1}" = "0" ] && exit 0

# PostgreSQL major version PG (default 15), set up by scripts/pg.sh.
PG="${PG:-15}"
PG_CONFIG=${PG_CONFIG:-$(./scripts/pg.sh "$PG" | tail -n1)}
bindir=$("$PG_CONFIG" --bindir)
echo
echo "== PostgreSQL ($("$PG_CONFIG" --version)) =="
# Dev profile (dependencies are already opt-level 2 there), with the
# extension crate itself optimised too, as a release build would be.
(cd pg_ext && CARGO_PROFILE_DEV_OPT_LEVEL=2 cargo pgrx install -c "$PG_CONFIG" --no-default-features --features "pg$PG" >/dev/null)

work=$(mktemp -d /tmp/extguard-wasm-bench.XXXXXX)
chown postgres "$work"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
as_pg() { sudo -u postgres "$@"; }
cleanup() {
  as_pg "$bindir/pg_ctl" -D "$work/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
as_pg "$bindir/initdb" -D "$work/data" -A trust -E UTF8 --locale=C >/dev/null
as_pg "$bindir/pg_ctl" -D "$work/data" -l "$work/log" -w \
  -o "-p $port -k $work -c listen_addresses=''" start >/dev/null
psql() { as_pg "$bindir/psql" -h "$work" -p "$port" -d postgres -X -q -v ON_ERROR_STOP=1 "$@"; }

wat() { sed "s/(export \"$2\")/(export \"$3\")/" "$root/corpus/wasm/$1" | sed "s/'/''/g"; }

psql <<SQL
CREATE EXTENSION extguard;
CREATE FUNCTION wasm_add(int, int) RETURNS int LANGUAGE wasm IMMUTABLE STRICT
  AS '$(wat add.wat add wasm_add)';
CREATE FUNCTION sql_add(int, int) RETURNS int LANGUAGE sql IMMUTABLE STRICT
  AS 'SELECT \$1 + \$2';
CREATE FUNCTION plpgsql_add(a int, b int) RETURNS int LANGUAGE plpgsql IMMUTABLE STRICT
  AS 'BEGIN RETURN a + b; END';
CREATE FUNCTION wasm_sum(bigint) RETURNS bigint LANGUAGE wasm IMMUTABLE STRICT
  AS '$(wat sum.wat sum wasm_sum)';
CREATE FUNCTION plpgsql_sum(n bigint) RETURNS bigint LANGUAGE plpgsql IMMUTABLE STRICT AS \$\$
DECLARE acc bigint := 0; i bigint := 0;
BEGIN
  WHILE i < n LOOP i := i + 1; acc := acc + i; END LOOP;
  RETURN acc;
END \$\$;
CREATE FUNCTION wasm_hash(bytea) RETURNS bigint LANGUAGE wasm IMMUTABLE STRICT
  AS '$(wat hash.wat hash wasm_hash)';
-- FNV-1a in PL/pgSQL: xor on bigint, the wrapping 64-bit multiply on numeric.
CREATE FUNCTION plpgsql_hash(b bytea) RETURNS bigint LANGUAGE plpgsql IMMUTABLE STRICT AS \$\$
DECLARE h bigint := -3750763034362895579; m numeric := 18446744073709551616; u numeric;
BEGIN
  FOR i IN 0 .. length(b) - 1 LOOP
    h := h # get_byte(b, i);
    u := (CASE WHEN h < 0 THEN h + m ELSE h END) * 1099511628211 % m;
    h := (CASE WHEN u >= 9223372036854775808 THEN u - m ELSE u END)::bigint;
  END LOOP;
  RETURN h;
END \$\$;
CREATE FUNCTION wasm_spin() RETURNS int LANGUAGE wasm
  AS '$(wat hostile_infinite_loop.wat spin wasm_spin)';
CREATE FUNCTION q(text) RETURNS text LANGUAGE wasm STRICT AS '$(sed "s/'/''/g" "$root/corpus/wasm/spi.wat")';
CREATE FUNCTION plpgsql_q(s text) RETURNS text LANGUAGE plpgsql STRICT AS \$\$
DECLARE r text; BEGIN EXECUTE s INTO r; RETURN r; END \$\$;
CREATE FUNCTION sum_int4(int[]) RETURNS bigint LANGUAGE wasm STRICT
  AS '$(sed "s/'/''/g" "$root/corpus/wasm/abi2.wat")';
CREATE FUNCTION series(int) RETURNS SETOF int LANGUAGE wasm STRICT
  AS '$(sed "s/'/''/g" "$root/corpus/wasm/abi2.wat")';
CREATE FUNCTION plpgsql_series(n int) RETURNS SETOF int LANGUAGE plpgsql STRICT AS \$\$
BEGIN FOR i IN 1..n LOOP RETURN NEXT i; END LOOP; END \$\$;
CREATE TABLE arr AS SELECT array_agg(i) AS a FROM generate_series(1, 1000000) i;
-- Best of 3 wall-clock seconds for one query.
CREATE FUNCTION best_of_3(q text) RETURNS float8 LANGUAGE plpgsql AS \$\$
DECLARE t0 timestamptz; best float8 := 1e18;
BEGIN
  FOR k IN 1..3 LOOP
    t0 := clock_timestamp();
    EXECUTE q;
    best := least(best, extract(epoch FROM clock_timestamp() - t0)::float8);
  END LOOP;
  RETURN best;
END \$\$;
SQL
psql -c "SELECT plpgsql_hash('abc'::bytea) = wasm_hash('abc'::bytea) AS hashes_agree" -t | grep -q t \
  || { echo "plpgsql_hash and wasm_hash disagree" >&2; exit 1; }

psql -t -A -F ' ' <<'SQL'
SET extguard.wasm_max_time = '60s';
WITH t AS (
  SELECT best_of_3('SELECT sum(i + 1) FROM generate_series(1, 1000000) i') AS inline,
         best_of_3('SELECT sum(wasm_add(i, 1)) FROM generate_series(1, 1000000) i') AS wasm,
         best_of_3('SELECT sum(sql_add(i, 1)) FROM generate_series(1, 1000000) i') AS sql,
         best_of_3('SELECT sum(plpgsql_add(i, 1)) FROM generate_series(1, 1000000) i') AS plpgsql
)
SELECT format(E'add over 1M rows (s): inline %s, wasm %s, SQL %s, PL/pgSQL %s\n'
              'per-call overhead vs inline expression: wasm %s us, SQL %s us, PL/pgSQL %s us\n'
              'ratio PL/pgSQL/wasm: %s, SQL/wasm: %s',
              round(inline::numeric, 3), round(wasm::numeric, 3), round(sql::numeric, 3),
              round(plpgsql::numeric, 3),
              -- seconds over 1e6 calls = microseconds per call
              round((wasm - inline)::numeric, 3),
              round((sql - inline)::numeric, 3),
              round((plpgsql - inline)::numeric, 3),
              round((plpgsql / wasm)::numeric, 2), round((sql / wasm)::numeric, 2))
FROM t;
WITH t AS (
  SELECT best_of_3('SELECT wasm_sum(1000000)') AS wasm,
         best_of_3('SELECT plpgsql_sum(1000000)') AS plpgsql,
         best_of_3('SELECT wasm_hash(decode(repeat(''ab'', 50000), ''hex''))') AS wasm_h,
         best_of_3('SELECT plpgsql_hash(decode(repeat(''ab'', 50000), ''hex''))') AS plpgsql_h
)
SELECT format(E'loop 1..1e6 (s): wasm %s, PL/pgSQL %s, ratio %sx\n'
              'FNV-1a over 50 kB (s): wasm %s, PL/pgSQL %s, ratio %sx',
              round(wasm::numeric, 5), round(plpgsql::numeric, 3), round((plpgsql / wasm)::numeric, 0),
              round(wasm_h::numeric, 5), round(plpgsql_h::numeric, 3), round((plpgsql_h / wasm_h)::numeric, 0))
FROM t;
SQL

psql -t -A -F ' ' <<'SQL'
SET extguard.wasm_max_time = '60s';
SET extguard.wasm_max_memory = '64MB';
WITH t AS (
  SELECT best_of_3('SELECT count(q(''SELECT 1 AS one'')) FROM generate_series(1, 10000)') AS wasm,
         best_of_3('SELECT count(plpgsql_q(''SELECT 1'')) FROM generate_series(1, 10000)') AS plpgsql,
         best_of_3('SELECT sum_int4(a) FROM arr') AS wasm_arr,
         best_of_3('SELECT (SELECT sum(x) FROM unnest(a) x) FROM arr') AS unnest_arr,
         best_of_3('SELECT count(*) FROM series(1000000)') AS wasm_set,
         best_of_3('SELECT count(*) FROM generate_series(1, 1000000)') AS gen_set,
         best_of_3('SELECT count(*) FROM plpgsql_series(1000000)') AS plpgsql_set
)
SELECT format(E'SPI round trip (us/call, 10k calls): wasm spi_query %s, PL/pgSQL EXECUTE %s\n'
              'int[] of 1M elements summed (s): wasm %s (%s ns/element), unnest %s\n'
              'SETOF 1M rows (s): wasm %s, generate_series %s, PL/pgSQL RETURN NEXT %s',
              round((wasm * 100)::numeric, 1), round((plpgsql * 100)::numeric, 1),
              round(wasm_arr::numeric, 3), round((wasm_arr * 1000)::numeric, 1),
              round(unnest_arr::numeric, 3),
              round(wasm_set::numeric, 3), round(gen_set::numeric, 3), round(plpgsql_set::numeric, 3))
FROM t;
SQL

# Triggers: the event (NEW as JSON) built and passed per row.
psql <<'SQL'
CREATE FUNCTION wasm_keep() RETURNS trigger LANGUAGE wasm AS '(module
  (func (export "extguard_abi_3"))
  (memory (export "memory") 1)
  (global $top (mut i32) (i32.const 1024))
  (func (export "reset") (global.set $top (i32.const 1024)))
  (func (export "alloc") (param $n i32) (result i32)
    (local $p i32)
    (local.set $p (global.get $top))
    (global.set $top (i32.add (local.get $p) (local.get $n)))
    (if (i32.gt_u (global.get $top) (i32.mul (memory.size) (i32.const 65536)))
      (then (drop (memory.grow (i32.const 1)))))
    (local.get $p))
  (func (export "wasm_keep") (param i32 i32) (result i64) (i64.const 0)))';
CREATE FUNCTION plpgsql_keep() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NEW; END';
CREATE TABLE t_none (id int, name text, n numeric);
CREATE TABLE t_wasm (LIKE t_none);
CREATE TABLE t_plpgsql (LIKE t_none);
CREATE TRIGGER k BEFORE INSERT ON t_wasm FOR EACH ROW EXECUTE FUNCTION wasm_keep();
CREATE TRIGGER k BEFORE INSERT ON t_plpgsql FOR EACH ROW EXECUTE FUNCTION plpgsql_keep();
SQL
psql -t -A -F ' ' <<'SQL'
WITH t AS (
  SELECT best_of_3('TRUNCATE t_none; INSERT INTO t_none SELECT i, ''name '' || i, i / 7.0 FROM generate_series(1, 100000) i') AS none,
         best_of_3('TRUNCATE t_wasm; INSERT INTO t_wasm SELECT i, ''name '' || i, i / 7.0 FROM generate_series(1, 100000) i') AS wasm,
         best_of_3('TRUNCATE t_plpgsql; INSERT INTO t_plpgsql SELECT i, ''name '' || i, i / 7.0 FROM generate_series(1, 100000) i') AS plpgsql
)
SELECT format(E'BEFORE INSERT row trigger keeping the row, 100k rows (s): none %s, wasm %s, PL/pgSQL %s\n'
              'per-row trigger cost: wasm %s us, PL/pgSQL %s us, ratio wasm/PL/pgSQL %s',
              round(none::numeric, 3), round(wasm::numeric, 3), round(plpgsql::numeric, 3),
              round(((wasm - none) * 10)::numeric, 2), round(((plpgsql - none) * 10)::numeric, 2),
              round(((wasm - none) / (plpgsql - none))::numeric, 2))
FROM t;
SQL

# statement_timeout against an infinite loop: total time of the statement.
elapsed=$(psql -t -A 2>&1 <<'SQL' | grep -o 'Time: [0-9.]*' | tail -1
SET statement_timeout = '200ms';
\timing on
SELECT wasm_spin();
SQL
) || true
echo "statement_timeout = 200ms stopped an infinite wasm loop after: ${elapsed#Time: } ms"
