CREATE FUNCTION acl.f() RETURNS text
    LANGUAGE sql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS 'SELECT current_user';
REVOKE EXECUTE ON FUNCTION acl.f() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION acl.f() TO acl_reader;
CREATE TABLE acl.t (id int, secret text);
GRANT SELECT (id) ON acl.t TO PUBLIC;
