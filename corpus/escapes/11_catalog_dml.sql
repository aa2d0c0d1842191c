-- expect: catalog_dml attempted
-- expect: catalog_dml attempted
-- expect: catalog_dml attempted
UPDATE pg_catalog.pg_authid SET rolsuper = rolsuper WHERE rolname = 'postgres';
DO $$ BEGIN UPDATE pg_language SET lanpltrusted = lanpltrusted WHERE lanname = 'c'; END $$;
DELETE FROM pg_catalog.pg_description WHERE false;
-- Reading catalogs is not recorded.
SELECT count(*) > 0 FROM pg_proc;
