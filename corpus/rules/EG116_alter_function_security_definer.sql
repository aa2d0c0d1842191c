SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION s.f(int) SECURITY DEFINER;
--                      ^ EG116
ALTER PROCEDURE s.p() SECURITY DEFINER SET search_path = public;
--                    ^ EG116
SET search_path = public;
ALTER FUNCTION s.n() SECURITY DEFINER SET search_path FROM CURRENT;
--                   ^ EG116
SET search_path = pg_catalog, pg_temp;
ALTER ROUTINE s.r SECURITY DEFINER SET search_path TO s, pg_temp;
--                ^ EG116
REVOKE ALL ON FUNCTION s.f(int), s.p(), s.r, s.n FROM PUBLIC;
-- safe
CREATE SCHEMA ext;
ALTER FUNCTION s.g(int) SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION s.h() SET search_path = ext, pg_temp SECURITY DEFINER;
ALTER FUNCTION s.k() SECURITY INVOKER;
ALTER FUNCTION s.m() SECURITY DEFINER SET search_path FROM CURRENT;
REVOKE EXECUTE ON FUNCTION s.g, s.h, s.m FROM PUBLIC;
