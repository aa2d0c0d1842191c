SET search_path = pg_catalog, pg_temp;
SET ROLE platform_admin;
--       ^ EG110
SET LOCAL SESSION AUTHORIZATION 'postgres';
--                              ^ EG110
SELECT pg_catalog.set_config('role', 'platform_admin', false);
--                           ^ EG110
ALTER ROLE app SET role = 'platform_admin';
--                        ^ EG110
CREATE FUNCTION s.f() RETURNS void LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  PERFORM set_config('session_authorization', 'postgres', true);
--                   ^ EG110
  SET ROLE admin;
--         ^ EG110
END $$;
-- safe
SET ROLE NONE;
RESET ROLE;
SET SESSION AUTHORIZATION DEFAULT;
SELECT pg_catalog.set_config('application_name', 'x', false);
