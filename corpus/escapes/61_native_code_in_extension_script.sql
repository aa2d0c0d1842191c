-- A C function created while CREATE EXTENSION lo runs its script, but by
-- an event trigger (not by the script): the extension's exemption for
-- its own $libdir library does not cover it. Then the trust flags of
-- the previous files are put back.
-- expect: event_trigger attempted
-- expect: untrusted_language attempted
-- expect: catalog_dml attempted
-- expect-detail: eg_evil_c LANGUAGE c AS $libdir/lo
REVOKE CREATE ON SCHEMA public FROM eg_alice;
REVOKE USAGE ON LANGUAGE c FROM eg_alice;
DROP FUNCTION IF EXISTS eg_c_flip(), eg_internal_flip(text), eg_alice_c();
UPDATE pg_language SET lanpltrusted = false WHERE lanname IN ('c', 'internal');
CREATE FUNCTION eg_sneak() RETURNS event_trigger LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE $x$CREATE FUNCTION public.eg_evil_c() RETURNS trigger AS '$libdir/lo', 'lo_manage' LANGUAGE c$x$;
END $$;
CREATE EVENT TRIGGER eg_sneak ON ddl_command_end WHEN TAG IN ('CREATE DOMAIN')
  EXECUTE FUNCTION eg_sneak();
CREATE EXTENSION lo;
DROP EVENT TRIGGER eg_sneak;
DROP EXTENSION lo;
DROP FUNCTION eg_sneak();
