CREATE FUNCTION s.f() RETURNS int LANGUAGE c SECURITY DEFINER AS 'm', 'f';
--                                           ^ PS003
-- safe
CREATE FUNCTION s.g() RETURNS int LANGUAGE c SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS 'm', 'g';
