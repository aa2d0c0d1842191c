CREATE FUNCTION s.f() RETURNS bigint LANGUAGE sql SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
  AS $$ SELECT count(*) FROM settings WHERE lower(name) = 'x'::mytype $$;
--                           ^ EG130
--                                                             ^ EG130
CREATE FUNCTION s.g() RETURNS bigint LANGUAGE plpgsql
  SET search_path = pg_catalog, pg_temp
  AS $$ BEGIN RETURN (SELECT count(*) FROM settings); END $$;
--                                         ^ EG130
-- safe: pg_catalog relations and types, functions (never looked up in pg_temp),
-- the extension's schema in the path, qualified names
CREATE FUNCTION s.h() RETURNS bigint LANGUAGE sql SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
  AS $$ SELECT count(*) FROM pg_class, s.settings WHERE lower(relname) = 'x'::text $$;
CREATE SCHEMA ext;
CREATE FUNCTION s.i() RETURNS bigint LANGUAGE sql SECURITY DEFINER
  SET search_path = ext, pg_catalog, pg_temp
  AS $$ SELECT count(*) FROM settings $$;
-- (EG117 is not this fixture's subject)
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA s FROM PUBLIC;
