CREATE FUNCTION s.f() RETURNS int LANGUAGE c SECURITY DEFINER SET search_path = pg_catalog AS 'MODULE_PATHNAME', 'f';
--                                                            ^ PS004
CREATE FUNCTION s.h() RETURNS int LANGUAGE c SECURITY DEFINER SET search_path TO DEFAULT AS 'MODULE_PATHNAME', 'h';
--                                                            ^ PS004
-- safe: created schema before pg_catalog is fine
CREATE SCHEMA ext;
CREATE FUNCTION s.g() RETURNS int LANGUAGE c SECURITY DEFINER SET search_path = ext, pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'g';
-- (EG117 is not this fixture's subject)
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA s FROM PUBLIC;
