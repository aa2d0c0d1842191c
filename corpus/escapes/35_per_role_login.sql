-- as: eg_alice
-- The settings of 34 apply at this login: each is recorded before the
-- first statement; what the session then does is recorded and logged.
-- expect: sensitive_setting attempted x3
-- expect: copy_program attempted
-- expect-detail: session start: log_min_messages = panic (ALTER ROLE SET)
-- expect-detail: session start: log_statement = none (ALTER ROLE IN DATABASE SET)
-- expect-detail: session start: session_preload_libraries = auto_explain (ALTER ROLE SET)
-- expect-error: must be superuser or have privileges of the pg_execute_server_program role
COPY (SELECT 1) TO PROGRAM 'id';
