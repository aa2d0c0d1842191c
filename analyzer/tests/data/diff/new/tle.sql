-- a pg_tle package, version 1.0 and an update to 1.1
SELECT pgtle.install_extension('tle_demo', '1.0', 'pg_tle fixture',
$_pgtle_$
CREATE FUNCTION tle_add(a int, b int) RETURNS int
    LANGUAGE sql IMMUTABLE
    SET search_path = pg_catalog, pg_temp
    AS 'SELECT a OPERATOR(pg_catalog.+) b';
$_pgtle_$);
SELECT pgtle.install_update_path('tle_demo', '1.0', '1.1',
$_pgtle_$
CREATE FUNCTION tle_whoami() RETURNS text
    LANGUAGE sql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS 'SELECT session_user';
GRANT EXECUTE ON FUNCTION tle_whoami() TO PUBLIC;
$_pgtle_$);
SELECT pgtle.set_default_version('tle_demo', '1.1');
