-- as: eg_alice
-- Errors raised from Rust (extguard's functions, the LANGUAGE wasm
-- validator and call handler) reach the client without a Rust backtrace
-- or build paths, although the server runs with RUST_BACKTRACE=1; psql
-- shows LOCATION (VERBOSITY verbose). The harness checks every file's
-- errors this way.
-- errors-ok
-- expect-error: permission denied for schema extguard
-- expect-error: invalid LANGUAGE wasm function eg_bad_wasm
-- expect-error: wasm function trapped
SELECT extguard.audit_stats();
CREATE FUNCTION pg_temp.eg_bad_wasm() RETURNS int LANGUAGE wasm AS 'not a module';
CREATE FUNCTION pg_temp.eg_trap() RETURNS int LANGUAGE wasm
  AS '(module (func (export "eg_trap") (result i32) unreachable))';
SELECT pg_temp.eg_trap();
