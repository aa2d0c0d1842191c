-- a pg_tle package, version 1.0
SELECT pgtle.install_extension('tle_demo', '1.0', 'pg_tle fixture',
$_pgtle_$
CREATE FUNCTION tle_add(a int, b int) RETURNS int
    LANGUAGE sql IMMUTABLE
    SET search_path = pg_catalog, pg_temp
    AS 'SELECT a OPERATOR(pg_catalog.+) b';
$_pgtle_$);
