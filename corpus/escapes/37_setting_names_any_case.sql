-- PostgreSQL folds setting names case-insensitively: so does extguard.
-- ALTER SYSTEM RESET ALL that removes extguard settings is an
-- extguard_setting change listing them (postgresql.auto.conf is read
-- before the statement runs).
-- expect: extguard_setting attempted x7
-- expect: alter_system attempted
-- expect-detail: ALTER SYSTEM EXTGUARD.audit = on
-- expect-detail: ALTER SYSTEM RESET ALL removes extguard.audit, extguard.block
-- expect-error: cannot be changed now
-- expect-error: unknown extguard vector id(s): no_such_vector
ALTER SYSTEM SET "EXTGUARD.audit" = on;
ALTER SYSTEM RESET "Extguard.Audit";
SET "EXTGUARD.block" = '';
ALTER SYSTEM SET extguard.block = 'no_such_vector';
ALTER SYSTEM SET "ExtGuard.Audit" = on;
ALTER SYSTEM SET extguard.block = 'load';
ALTER SYSTEM RESET ALL;
-- nothing of extguard's left to remove
ALTER SYSTEM RESET ALL;
