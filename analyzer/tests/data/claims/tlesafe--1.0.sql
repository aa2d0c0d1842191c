CREATE FUNCTION @extschema@.plus_one(integer) RETURNS integer
    LANGUAGE sql IMMUTABLE STRICT
    SET search_path = pg_catalog, pg_temp
    AS 'SELECT $1 OPERATOR(pg_catalog.+) 1';
