-- Changes to extguard's own objects (object_access post-create, post-alter,
-- drop; GRANT / REVOKE at the utility hook, PostgreSQL 15 has no hook for it): one record per statement, none twice when the utility hook already
-- recorded the statement, none for objects elsewhere.
-- expect: extguard_tamper attempted
-- expect: extguard_tamper attempted
-- expect: extguard_tamper attempted
-- expect: extguard_tamper attempted
-- expect: extguard_tamper attempted
-- expect: extguard_tamper attempted
-- expect: extguard_tamper attempted
-- expect: extguard_tamper attempted
-- expect: extguard_tamper attempted
-- expect: extguard_tamper attempted
-- expect: extguard_tamper attempted
-- expect-detail: ALTER function extguard.audit_stats2
-- expect-detail: GRANT on objects in schema extguard
-- expect-detail: CREATE function extguard.shadow
-- expect-detail: DROP function extguard.shadow
-- expect-detail: ALTER schema extguard
ALTER FUNCTION extguard.audit_stats() RENAME TO audit_stats2;
ALTER FUNCTION extguard.audit_stats2() RENAME TO audit_stats;
GRANT SELECT ON extguard.audit_log TO eg_alice;
REVOKE SELECT ON extguard.audit_log FROM eg_alice;
CREATE FUNCTION extguard.shadow() RETURNS int LANGUAGE sql AS 'SELECT 1';
DROP FUNCTION extguard.shadow();
-- many objects, one statement: one record
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA extguard TO eg_alice;
REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA extguard FROM eg_alice;
ALTER SCHEMA extguard OWNER TO eg_alice;
ALTER SCHEMA extguard OWNER TO postgres;
-- recorded by the utility hook; its drops of every member are not recorded again
BEGIN;
DROP EXTENSION extguard;
ROLLBACK;
-- objects elsewhere are not extguard's
CREATE FUNCTION public.eg_not_tamper() RETURNS int LANGUAGE sql AS 'SELECT 1';
ALTER FUNCTION public.eg_not_tamper() RENAME TO eg_not_tamper2;
DROP FUNCTION public.eg_not_tamper2();
CREATE TEMP TABLE eg_tmp(x int);
DROP TABLE eg_tmp;
