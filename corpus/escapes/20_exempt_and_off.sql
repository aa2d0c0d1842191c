-- expect: extguard_setting attempted
-- expect: extguard_setting attempted
-- expect: extguard_setting attempted
-- expect: extguard_setting attempted
SET extguard.exempt_roles = 'postgres';
COPY (SELECT 1) TO PROGRAM 'cat > /dev/null';
RESET extguard.exempt_roles;
SET extguard.audit = off;
SELECT length(pg_read_file('PG_VERSION')) > 0;
SET extguard.audit = on;
