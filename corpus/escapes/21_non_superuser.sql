-- as: eg_alice
-- A non-superuser's attempts are recorded (before the permission check),
-- and it can neither read nor change the audit.
-- expect: copy_program attempted
-- expect: extguard_setting attempted
-- expect: extguard_setting attempted
-- expect: load attempted
-- expect-error(15): must be superuser or have privileges of the pg_execute_server_program role
-- expect-error(16-): permission denied to COPY to or from an external program
-- expect-error: permission denied for schema extguard
-- expect-error: parameter "extguard.audit" cannot be changed now
-- expect-error: parameter "extguard.block" cannot be changed now
-- expect-error: access to library "auto_explain" is not allowed
COPY (SELECT 1) TO PROGRAM 'id';
SELECT * FROM extguard.audit_log;
SELECT * FROM extguard.audit_events();
SET extguard.audit = off;
SELECT set_config('extguard.block', '', false);
ALTER SYSTEM SET extguard.audit = off;
LOAD 'auto_explain';
