SET search_path = pg_catalog, pg_temp;
CREATE FUNCTION s.f() RETURNS int LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS 'SELECT 1';
REVOKE ALL ON FUNCTION s.f() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION s.f() TO PUBLIC;
--                                 ^ EG118
GRANT ALL ON ALL FUNCTIONS IN SCHEMA s TO app, PUBLIC;
--                                             ^ EG118
-- safe
GRANT EXECUTE ON FUNCTION s.f() TO app;
CREATE FUNCTION s.g() RETURNS int LANGUAGE sql SET search_path = pg_catalog, pg_temp AS 'SELECT 1';
GRANT EXECUTE ON FUNCTION s.g() TO PUBLIC;
GRANT EXECUTE ON FUNCTION t.f() TO PUBLIC;
