SET search_path = pg_catalog, pg_temp;
GRANT pg_execute_server_program TO app;
--    ^ EG108
GRANT pg_read_server_files, pg_write_server_files TO app WITH ADMIN OPTION;
--    ^ EG108
--                          ^ EG108
GRANT pg_read_all_data, pg_write_all_data TO reporting;
--    ^ EG108
--                      ^ EG108
DO $$ BEGIN GRANT pg_signal_backend TO app; END $$;
--                ^ EG108
GRANT pg_maintain TO app WITH INHERIT TRUE, SET FALSE;
--    ^ EG108
GRANT pg_signal_autovacuum_worker, pg_create_subscription TO app;
--    ^ EG108
--                                 ^ EG108
-- safe
REVOKE pg_execute_server_program FROM app;
GRANT pg_monitor TO app;
GRANT ext_reader TO app;
