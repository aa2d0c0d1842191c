-- A PARALLEL SAFE function run by a parallel worker (force_parallel_mode,
-- named debug_parallel_query from PostgreSQL 16): the worker records what
-- it executes, with backend_type "parallel worker" and the leader's pid.
-- expect: file_read attempted
-- expect: file_list attempted
-- expect: lo_file attempted
-- expect: untrusted_language attempted
-- expect: untrusted_language attempted
-- expect: server_control attempted
-- expect: server_control attempted
-- expect-field: backend_type=parallel worker
-- expect-field: backend_type=client backend
-- expect-field: hook=function_execute
-- errors-ok
CREATE FUNCTION eg_par_read() RETURNS int PARALLEL SAFE LANGUAGE plpgsql
  AS $$ BEGIN RETURN length(pg_read_file('postgresql.conf', 0, 10)); END $$;
CREATE FUNCTION eg_par_list() RETURNS bigint PARALLEL SAFE LANGUAGE plpgsql
  AS $$ BEGIN RETURN (SELECT count(*) FROM pg_ls_dir('.')); END $$;
CREATE FUNCTION eg_par_export(oid) RETURNS int PARALLEL SAFE LANGUAGE plpgsql
  AS $$ BEGIN RETURN lo_export($1, '/tmp/eg_parallel_lo_export'); END $$;
-- an alias run in the leader (plan setup) and in the worker
CREATE FUNCTION eg_par_alias() RETURNS bool PARALLEL SAFE LANGUAGE internal
  AS :'rotate';
CREATE FUNCTION eg_par_innocent(text, bigint, bigint) RETURNS text PARALLEL SAFE
  LANGUAGE internal STRICT AS 'pg_read_file_off_len';
CREATE FUNCTION eg_par_wrapped() RETURNS int PARALLEL SAFE LANGUAGE plpgsql
  AS $$ BEGIN RETURN length(eg_par_innocent('postgresql.conf', 0, 10)); END $$;
SELECT lo_from_bytea(424242, 'x') IS NOT NULL;
SET :parallel = on;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SELECT eg_par_read();
SELECT eg_par_list() > 0;
SELECT eg_par_export(424242);
SELECT eg_par_alias();
RESET :parallel;
SELECT lo_unlink(424242);
