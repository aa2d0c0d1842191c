-- as: eg_alice
-- A login role's parallel worker records too: an alias of pg_read_file
-- a superuser left callable, wrapped in a PARALLEL SAFE function.
-- expect: file_read attempted
-- expect-field: backend_type=parallel worker
-- expect-detail: eg_par_innocent (internal pg_read_file_off_len)
SET :parallel = on;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SELECT eg_par_wrapped();
