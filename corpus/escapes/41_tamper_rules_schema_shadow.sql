-- Tampering with the audit's objects by other routes: its view's rules
-- and triggers, the view replaced, the schema renamed (objects are
-- followed by OID, not name), functions shadowing extguard's from
-- pg_catalog (searched first) or elsewhere, its reader role.
-- errors-ok
-- expect: extguard_tamper attempted x20
-- expect-detail: CREATE RULE eg_rule ON extguard.audit_log
-- expect-detail: DROP eg_rule ON extguard.audit_log
-- expect-detail: CREATE RULE _RETURN ON extguard.audit_log
-- expect-detail: CREATE OR REPLACE VIEW extguard.audit_log
-- expect-detail: CREATE TRIGGER eg_trg ON extguard.audit_log
-- expect-detail: ALTER schema extguard
-- expect-detail: CREATE function extguard.eg_inside
-- expect-detail: CREATE function pg_catalog.audit_events (shadows extguard.audit_events)
-- expect-detail: CREATE function public.audit_stats (shadows extguard.audit_stats)
-- expect-detail: ALTER ROLE extguard_reader RENAME TO eg_reader_old (extguard's reader role)
CREATE RULE eg_rule AS ON INSERT TO extguard.audit_log DO INSTEAD NOTHING;
DROP RULE eg_rule ON extguard.audit_log;
BEGIN;
CREATE OR REPLACE RULE "_RETURN" AS ON SELECT TO extguard.audit_log DO INSTEAD
  SELECT * FROM extguard.audit_log WHERE false;
ROLLBACK;
BEGIN;
CREATE OR REPLACE VIEW extguard.audit_log AS SELECT * FROM extguard.audit_log WHERE false;
ROLLBACK;
BEGIN;
CREATE FUNCTION public.eg_trg_fn() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$;
CREATE TRIGGER eg_trg INSTEAD OF INSERT ON extguard.audit_log FOR EACH ROW EXECUTE FUNCTION public.eg_trg_fn();
ROLLBACK;
-- the schema renamed: still extguard's
ALTER SCHEMA extguard RENAME TO eg_renamed;
CREATE FUNCTION eg_renamed.eg_inside() RETURNS int LANGUAGE sql AS 'SELECT 1';
DROP FUNCTION eg_renamed.eg_inside();
GRANT SELECT ON eg_renamed.audit_log TO eg_alice;
REVOKE SELECT ON eg_renamed.audit_log FROM eg_alice;
BEGIN;
DROP SCHEMA eg_renamed CASCADE;
ROLLBACK;
ALTER SCHEMA eg_renamed RENAME TO extguard;
-- shadows
CREATE FUNCTION pg_catalog.audit_events() RETURNS SETOF jsonb LANGUAGE sql AS 'SELECT NULL::jsonb WHERE false';
DROP FUNCTION pg_catalog.audit_events();
CREATE FUNCTION public.audit_stats() RETURNS jsonb LANGUAGE sql AS 'SELECT NULL::jsonb';
DROP FUNCTION public.audit_stats();
-- common names elsewhere are not shadows
CREATE TABLE public.audit_log(x int);
DROP TABLE public.audit_log;
-- the reader role
ALTER ROLE extguard_reader RENAME TO eg_reader_old;
ALTER ROLE eg_reader_old RENAME TO extguard_reader;
ALTER ROLE extguard_reader LOGIN;
ALTER ROLE extguard_reader NOLOGIN;
DROP ROLE extguard_reader;
CREATE ROLE extguard_reader;
