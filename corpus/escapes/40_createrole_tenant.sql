-- as: eg_creator
-- A tenant admin with CREATEROLE (not superuser) on PostgreSQL 15 can
-- grant itself any non-superuser role: extguard's reader role, predefined
-- roles, directly, through new groups, WITH ADMIN. All recorded (in the
-- unprivileged partition of the ring). The audit's settings are hidden
-- from it. From PostgreSQL 16 CREATEROLE needs ADMIN on a role to grant
-- it: PostgreSQL refuses the grants, extguard records the four attempts
-- (the ALTER GROUP and GRANT of a role that was never made are not).
-- expect(15): grant_predefined_role attempted x6
-- expect(16-): grant_predefined_role attempted x4
-- expect: role_attribute attempted
-- expect-detail: GRANT extguard_reader TO eg_creator
-- expect-detail(15): GRANT eg_c2 (holds extguard_reader) TO eg_alice
-- expect-detail(16-): GRANT extguard_reader TO eg_c2
-- expect-error(16-): permission denied to grant role "pg_execute_server_program"
-- expect-error(15): must be superuser or have privileges of pg_read_all_settings to examine "extguard.exempt_roles"
-- expect-error(15): must be superuser or have privileges of pg_read_all_settings to examine "extguard.block"
-- expect-error(15): must be superuser or have privileges of pg_read_all_settings to examine "extguard.audit_file"
-- expect-error(16-): permission denied to examine "extguard.exempt_roles"
-- expect-error(16-): permission denied to examine "extguard.block"
-- expect-error(16-): permission denied to examine "extguard.audit_file"
GRANT extguard_reader TO eg_creator;
REVOKE extguard_reader FROM eg_creator;
CREATE ROLE eg_c1 IN ROLE pg_read_server_files;
GRANT pg_execute_server_program TO eg_creator;
REVOKE pg_execute_server_program FROM eg_creator;
CREATE ROLE eg_c2 IN ROLE extguard_reader;
ALTER GROUP eg_c2 ADD USER eg_alice;
GRANT eg_c2 TO eg_reader WITH ADMIN OPTION;
ALTER ROLE eg_c1 CREATEROLE;
SHOW extguard.exempt_roles;
SELECT current_setting('extguard.block');
SHOW extguard.audit_file;
SELECT count(*) FROM pg_settings WHERE name IN ('extguard.exempt_roles', 'extguard.block', 'extguard.audit_file');
DROP ROLE eg_c1;
DROP ROLE eg_c2;
