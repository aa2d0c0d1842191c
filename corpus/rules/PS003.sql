CREATE FUNCTION s.f() RETURNS int LANGUAGE c SECURITY DEFINER AS 'MODULE_PATHNAME', 'f';
--                                           ^ PS003
-- safe
CREATE FUNCTION s.g() RETURNS int LANGUAGE c SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'g';
-- (EG117 is not this fixture's subject)
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA s FROM PUBLIC;
