-- Taking over an exempt identity is tampering, and exemption follows the
-- real identity: after SET SESSION AUTHORIZATION to an exempt role the
-- session (logged in as postgres) is still recorded.
-- identity-switch
-- secret: Exempt-Pw-1
-- expect: role_attribute attempted
-- expect: extguard_setting attempted
-- expect: server_control attempted
-- expect: extguard_tamper attempted x6
-- expect: set_role attempted x2
-- expect: copy_program attempted
-- expect: load attempted
-- expect: extguard_setting attempted
-- expect: server_control attempted
-- expect-detail: ALTER ROLE eg_admin (exempt role)
-- expect-detail: GRANT eg_admin TO eg_alice
CREATE ROLE eg_admin SUPERUSER NOLOGIN;
ALTER SYSTEM SET extguard.exempt_roles = 'eg_admin';
SELECT pg_reload_conf();
SELECT pg_sleep(0.5);
ALTER ROLE eg_admin PASSWORD 'Exempt-Pw-1';
ALTER ROLE eg_admin LOGIN;
GRANT eg_admin TO eg_alice;
REVOKE eg_admin FROM eg_alice;
ALTER ROLE eg_admin RENAME TO eg_admin_old;
ALTER ROLE eg_admin_old RENAME TO eg_admin;
ALTER GROUP eg_admin ADD USER eg_alice;
ALTER GROUP eg_admin DROP USER eg_alice;
SET SESSION AUTHORIZATION eg_admin;
COPY (SELECT 1) TO PROGRAM 'cat > /dev/null';
LOAD 'auto_explain';
RESET SESSION AUTHORIZATION;
ALTER SYSTEM RESET extguard.exempt_roles;
SELECT pg_reload_conf();
SELECT pg_sleep(0.5);
DROP ROLE eg_admin;
