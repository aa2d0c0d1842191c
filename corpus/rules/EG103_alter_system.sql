SET search_path = pg_catalog, pg_temp;
ALTER SYSTEM SET archive_command = 'sh -c id';
--    ^ EG103
ALTER SYSTEM SET shared_preload_libraries = 'evil';
--    ^ EG103
ALTER SYSTEM RESET ALL;
--    ^ EG103
-- ALTER SYSTEM SET search_path does not change the session's search_path
ALTER SYSTEM SET search_path = public;
--    ^ EG103
SELECT lower('x');
-- safe
SET work_mem = '64MB';
ALTER ROLE s_owner SET work_mem = '64MB';
