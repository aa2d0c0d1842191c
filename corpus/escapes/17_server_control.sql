-- expect: server_control attempted
-- expect: server_control attempted
-- expect: server_control attempted
SELECT pg_reload_conf();
SELECT pg_switch_wal() IS NOT NULL;
SELECT pg_terminate_backend(0);
