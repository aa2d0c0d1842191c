-- A small extension script exercising several rules.
\echo Use "CREATE EXTENSION sample" to load this file. \quit
CREATE OR REPLACE FUNCTION @extschema@.area(r float8) RETURNS float8
LANGUAGE sql IMMUTABLE
AS 'SELECT pi() * r ^ 2';

CREATE FUNCTION @extschema@.admin() RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
AS $$
BEGIN
  PERFORM pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
  DELETE FROM @extschema@.log WHERE ts < pg_catalog.now();
END
$$;

CREATE SCHEMA IF NOT EXISTS sample_data;
SELEC broken;
SELECT * FROM settings WHERE name = 'x';
