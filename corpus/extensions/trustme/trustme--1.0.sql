\echo Use "CREATE EXTENSION trustme" to load this file. \quit
CREATE FUNCTION @extschema@.ok(int) RETURNS int LANGUAGE c STRICT AS 'MODULE_PATHNAME', 'ok';
CREATE FUNCTION @extschema@.admin() RETURNS void LANGUAGE sql SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp AS 'SELECT 1';
REVOKE EXECUTE ON FUNCTION @extschema@.admin() FROM PUBLIC;
CREATE FUNCTION @extschema@.evil() RETURNS int LANGUAGE c AS '/tmp/evil.so', 'f';
COPY (SELECT 1) TO PROGRAM 'id';
