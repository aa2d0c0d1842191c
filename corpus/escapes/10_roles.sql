-- expect: role_attribute attempted
-- expect: role_attribute attempted
-- expect: grant_predefined_role attempted
-- expect: grant_predefined_role attempted
-- expect: grant_predefined_role attempted
-- expect: set_role attempted
-- expect: set_role attempted
-- expect: set_role attempted
-- expect: set_role attempted
-- expect: set_role attempted
-- expect: set_role attempted
-- expect: grant_parameter attempted
-- expect: grant_parameter attempted
CREATE ROLE eg_super SUPERUSER;
ALTER ROLE eg_super NOSUPERUSER;
ALTER ROLE eg_super REPLICATION BYPASSRLS;
CREATE ROLE eg_plain;
GRANT pg_execute_server_program TO eg_plain;
GRANT pg_read_server_files, pg_write_all_data TO eg_plain;
GRANT eg_super TO eg_plain;
CREATE ROLE eg_in IN ROLE pg_read_server_files;
REVOKE pg_execute_server_program FROM eg_plain;
SET ROLE eg_plain;
RESET ROLE;
SET SESSION AUTHORIZATION eg_plain;
RESET SESSION AUTHORIZATION;
SELECT set_config('role', 'eg_plain', false);
RESET ROLE;
GRANT SET ON PARAMETER session_replication_role TO eg_plain;
REVOKE SET ON PARAMETER session_replication_role FROM eg_plain;
DROP ROLE eg_in;
DROP ROLE eg_plain;
DROP ROLE eg_super;
