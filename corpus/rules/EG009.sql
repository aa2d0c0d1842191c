-- extguard-args: --pg-version 15
SET search_path = pg_catalog, pg_temp;
SELECT @extschema:cube@.cube(1);
--     ^ EG009
SELECT @extschema:ltree@.nlevel('a'), @extschema:ltree@.nlevel('b');
--     ^ EG009
--                                    ^ EG009
-- safe: the placeholder of the extension's own schema exists on every version
SELECT @extschema@.g();
