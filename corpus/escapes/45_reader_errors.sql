-- extguard's own permission check (inside the functions, for a role that
-- was granted EXECUTE without the reader role) raises its error from
-- Rust: no Rust internals reach the client.
-- expect: extguard_tamper attempted x4
-- expect: set_role attempted x2
-- expect-error: permission denied to read the extguard audit
GRANT USAGE ON SCHEMA extguard TO eg_alice;
GRANT EXECUTE ON FUNCTION extguard.audit_stats() TO eg_alice;
SET ROLE eg_alice;
SELECT extguard.audit_stats();
RESET ROLE;
REVOKE EXECUTE ON FUNCTION extguard.audit_stats() FROM eg_alice;
REVOKE USAGE ON SCHEMA extguard FROM eg_alice;
