-- Settings that arrive with the connection (PGOPTIONS / options=) are
-- recorded while the session starts, before its first statement and before
-- session_preload_libraries load; log_min_messages = panic does not
-- silence the server-log record of what follows (the harness compares
-- every record with the server log).
-- options: -c log_min_messages=panic -c allow_system_table_mods=on -c session_preload_libraries=auto_explain -c log_statement=none -c log_disconnections=off -c session_replication_role=replica
-- expect: sensitive_setting attempted x6
-- expect: load attempted
-- expect-detail: session start: log_min_messages = panic (connection options)
-- expect-detail: session start: session_preload_libraries = auto_explain (connection options)
-- expect-detail: session start: allow_system_table_mods = true (connection options)
LOAD 'auto_explain';
SELECT 1;
