-- extguard-args: --pg-version 15
SET search_path = pg_catalog, pg_temp;
GRANT pg_read_server_files TO app;
--    ^ EG108
-- safe on 15: these roles do not exist there (the GRANT fails)
GRANT pg_maintain TO app;
GRANT pg_create_subscription TO app;
GRANT pg_signal_autovacuum_worker TO app;
