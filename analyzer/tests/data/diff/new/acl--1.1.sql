-- 1.1: the same REVOKE written differently (no change), the grant to
-- acl_reader gone, EXECUTE given back to PUBLIC, the column grant widened
CREATE FUNCTION acl.f() RETURNS text
    LANGUAGE sql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS 'SELECT current_user';
revoke   execute on function acl.f()
    from public;
CREATE TABLE acl.t (id int, secret text);
GRANT SELECT (id) ON acl.t TO PUBLIC;
GRANT SELECT ON acl.t TO PUBLIC;
GRANT EXECUTE ON FUNCTION acl.f() TO PUBLIC WITH GRANT OPTION;
