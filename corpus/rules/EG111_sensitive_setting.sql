SET search_path = pg_catalog, pg_temp;
SET dynamic_library_path = '/tmp/w:$libdir';
--  ^ EG111
SET session_replication_role = replica;
--  ^ EG111
SELECT pg_catalog.set_config('log_statement', 'none', false);
--                           ^ EG111
ALTER ROLE app SET session_preload_libraries = 'evil';
--                 ^ EG111
ALTER DATABASE d SET pgaudit.log = 'none';
--                   ^ EG111
CREATE FUNCTION s.f() RETURNS int LANGUAGE sql SET search_path = pg_catalog, pg_temp SET log_min_messages = fatal AS 'SELECT 1';
--                                                                                       ^ EG111
DO $$ BEGIN PERFORM set_config('allow_system_table_mods', 'on', true); END $$;
--                             ^ EG111
-- safe
RESET session_replication_role;
SET work_mem = '64MB';
SELECT pg_catalog.set_config('application_name', 'x', false);
-- (ALTER SYSTEM is EG103 only)
ALTER SYSTEM SET log_statement = 'none';
--    ^ EG103
