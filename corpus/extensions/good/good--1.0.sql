\echo Use "CREATE EXTENSION good" to load this file. \quit
-- Top level: resolved now, under the CREATE EXTENSION search_path. Safe.
CREATE TABLE settings (k text PRIMARY KEY, v text);
CREATE FUNCTION dist(a int, b int) RETURNS int LANGUAGE c IMMUTABLE AS 'MODULE_PATHNAME', 'dist';
CREATE OPERATOR <-> (LEFTARG = int, RIGHTARG = int, FUNCTION = dist);
-- A function body runs later, under its caller's search_path.
CREATE FUNCTION get(key text) RETURNS text LANGUAGE sql AS $$ SELECT v FROM settings WHERE k = key $$;
