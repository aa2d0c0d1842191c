SET search_path = pg_catalog, pg_temp;
CREATE FUNCTION s.f() RETURNS int LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS 'SELECT 1';
--                                             ^ EG117
CREATE FUNCTION s.g(int) RETURNS int LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS 'SELECT 1';
--                                                ^ EG117
-- revoked for another function only
REVOKE EXECUTE ON FUNCTION s.other(int) FROM PUBLIC;
-- revoked from a role, not from PUBLIC
REVOKE EXECUTE ON FUNCTION s.g(int) FROM app;
ALTER FUNCTION s.k() SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
--                   ^ EG117
-- safe: suppressed inline (the finding is made at the end of the script)
-- extguard: ignore EG117
CREATE FUNCTION s.meant_for_everyone() RETURNS int LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS 'SELECT 1';
-- safe: trigger and event trigger functions cannot be called directly
CREATE FUNCTION s.audit() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$ BEGIN RETURN NEW; END $$;
CREATE FUNCTION s.on_ddl() RETURNS pg_catalog.event_trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$ BEGIN NULL; END $$;
-- safe: revoked later in the script, by name, ALL, IN SCHEMA, or default privileges
CREATE FUNCTION s.a() RETURNS int LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS 'SELECT 1';
CREATE PROCEDURE s.b() LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS 'SELECT 1';
CREATE FUNCTION t.c() RETURNS int LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS 'SELECT 1';
ALTER DEFAULT PRIVILEGES REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;
CREATE FUNCTION s.d() RETURNS int LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS 'SELECT 1';
CREATE FUNCTION s.e() RETURNS int LANGUAGE sql SET search_path = pg_catalog, pg_temp AS 'SELECT 1';
REVOKE EXECUTE ON FUNCTION s.a() FROM PUBLIC;
REVOKE ALL ON PROCEDURE s.b FROM PUBLIC, app;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA t FROM PUBLIC;
