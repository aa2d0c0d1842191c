SET search_path = pg_catalog, pg_temp;
UPDATE pg_authid SET rolsuper = true WHERE rolname = 'app';
--     ^ EG112
UPDATE pg_catalog.pg_proc SET prosecdef = true WHERE proname = 'f';
--     ^ EG112
INSERT INTO pg_catalog.pg_language (lanname) VALUES ('x');
--          ^ EG112
DELETE FROM pg_depend WHERE objid = 0;
--          ^ EG112
DO $$ BEGIN UPDATE pg_language SET lanpltrusted = true WHERE lanname = 'c'; END $$;
--                 ^ EG112
MERGE INTO pg_catalog.pg_db_role_setting d USING s.src ON false WHEN NOT MATCHED THEN DO NOTHING;
--         ^ EG112
WITH x AS (SELECT 1) DELETE FROM pg_shdepend;
--                               ^ EG112
-- safe
SELECT rolname FROM pg_catalog.pg_roles;
UPDATE s.pg_settings_copy SET x = 1;
UPDATE s.t SET x = 1 FROM pg_catalog.pg_proc p WHERE p.oid = s.t.id;
-- tables of the script itself that the server finds before the catalog of
-- the same name: in a schema listed before pg_catalog, or temporary (pg_temp
-- comes first when the path does not list it, which makes the path insecure)
CREATE SCHEMA ext;
SET search_path = ext, pg_catalog;
CREATE TABLE pg_depend (objid oid);
--           ^ PS017
DELETE FROM pg_depend WHERE objid = 0;
--          ^ PS017
--                                ^ PS001
CREATE TEMP TABLE pg_class (relname text);
--                ^ PS017
INSERT INTO pg_class VALUES ('x');
--          ^ PS017
DO $$ BEGIN CREATE TEMP TABLE pg_type (t text); UPDATE pg_type SET t = 'y'; END $$;
--                            ^ PS017
--                                                     ^ PS017
-- with pg_catalog first, the same names are the catalogs again
SET search_path = pg_catalog, ext, pg_temp;
DELETE FROM pg_depend WHERE objid = 0;
--          ^ EG112
INSERT INTO pg_class (relname) VALUES ('x');
--          ^ EG112
