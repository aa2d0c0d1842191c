SET search_path = 'pg_catalog, pg_temp';
--                ^ PS018
CREATE FUNCTION s.f() RETURNS int LANGUAGE c SET search_path = 'a, b' AS 'MODULE_PATHNAME', 'f';
--                                                             ^ PS018
-- safe
SET search_path = pg_catalog, pg_temp;
