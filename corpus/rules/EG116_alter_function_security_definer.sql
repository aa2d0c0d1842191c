SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION s.f(int) SECURITY DEFINER;
--                      ^ EG116
ALTER PROCEDURE s.p() SECURITY DEFINER SET search_path = public;
--                    ^ EG116
ALTER ROUTINE s.r SECURITY DEFINER SET search_path TO s, pg_temp;
--                ^ EG116
REVOKE ALL ON FUNCTION s.f(int), s.p(), s.r FROM PUBLIC;
-- safe
CREATE SCHEMA ext;
ALTER FUNCTION s.g(int) SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION s.h() SET search_path = ext, pg_temp SECURITY DEFINER;
ALTER FUNCTION s.k() SECURITY INVOKER;
REVOKE EXECUTE ON FUNCTION s.g, s.h FROM PUBLIC;
