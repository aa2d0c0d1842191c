SET search_path = pg_catalog, pg_temp;
GRANT SET ON PARAMETER session_preload_libraries TO app;
--                     ^ EG109
GRANT ALTER SYSTEM ON PARAMETER archive_command, pgaudit.log TO ops;
--                              ^ EG109
--                                               ^ EG109
-- safe
REVOKE SET ON PARAMETER session_preload_libraries FROM app;
GRANT USAGE ON SCHEMA s TO app;
