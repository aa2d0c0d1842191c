-- extguard-args: --pg-version 15
SET search_path = pg_catalog, pg_temp;
SELECT @extschema:cube@.cube(1);
--     ^ EG007
CREATE FUNCTION @extschema@.f() RETURNS int LANGUAGE sql SET search_path = pg_catalog, @extschema:ltree@ AS 'SELECT 1';
--                                                                                  ^ EG007
-- safe: the placeholder of the extension's own schema exists on every version
SELECT @extschema@.g();
