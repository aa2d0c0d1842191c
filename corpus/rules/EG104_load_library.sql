SET search_path = pg_catalog, pg_temp;
LOAD '/tmp/x.so';
--   ^ EG104
LOAD 'auto_explain';
--   ^ EG104
DO $$ BEGIN LOAD '$libdir/plugins/evil'; END $$;
--               ^ EG104
-- safe: the module is loaded through the extension's own C functions
CREATE FUNCTION s.f() RETURNS int AS 'MODULE_PATHNAME', 'f' LANGUAGE c;
