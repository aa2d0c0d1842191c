\echo Use "ALTER EXTENSION good UPDATE" to load this file. \quit
CREATE OR REPLACE FUNCTION get(key text) RETURNS text LANGUAGE sql
  SET search_path = @extschema@, pg_catalog, pg_temp
  AS $$ SELECT v FROM settings WHERE k = key $$;
