-- Escalation through roles: membership that reaches a privileged role
-- (directly or through groups), CREATEROLE, new passwords of superusers,
-- and handing out the vector functions themselves.
-- secret: Super-Pw-1
-- secret: Super-Pw-2
-- expect: grant_predefined_role attempted x5
-- expect: role_attribute attempted x4
-- expect: file_read attempted x4
-- expect: lo_file attempted
-- expect: file_list attempted
-- expect-detail: GRANT eg_mid (holds pg_execute_server_program) TO eg_grp
-- expect-detail: GRANT eg_grp (holds pg_execute_server_program) TO eg_alice
-- expect-detail: GRANT postgres TO eg_alice
-- expect-detail: eg_alice CREATEROLE
-- expect-detail: postgres PASSWORD (superuser)
-- expect-detail: GRANT EXECUTE ON FUNCTION pg_read_file (internal pg_read_file_all) TO eg_alice
-- expect-detail: ALTER FUNCTION pg_read_file (internal pg_read_file_off_len) OWNER TO eg_alice
CREATE ROLE eg_mid NOLOGIN;
CREATE ROLE eg_grp NOLOGIN;
GRANT pg_execute_server_program TO eg_mid;
GRANT eg_mid TO eg_grp;
ALTER GROUP eg_grp ADD USER eg_alice;
ALTER GROUP eg_grp DROP USER eg_alice;
GRANT postgres TO eg_alice;
REVOKE postgres FROM eg_alice;
-- eg_alice joins eg_top, which is in eg_mid
CREATE ROLE eg_top ROLE eg_alice IN ROLE eg_mid;
-- an ordinary group is not recorded
CREATE ROLE eg_plain_grp NOLOGIN;
GRANT eg_plain_grp TO eg_alice;
ALTER ROLE eg_alice CREATEROLE;
ALTER ROLE eg_alice NOCREATEROLE;
ALTER ROLE postgres PASSWORD 'Super-Pw-1';
ALTER USER postgres WITH ENCRYPTED PASSWORD 'Super-Pw-2';
ALTER ROLE postgres PASSWORD NULL;
GRANT EXECUTE ON FUNCTION pg_read_file(text) TO eg_alice;
GRANT EXECUTE ON FUNCTION lo_export(oid, text), pg_ls_dir(text) TO eg_alice;
REVOKE EXECUTE ON FUNCTION pg_read_file(text), lo_export(oid, text), pg_ls_dir(text) FROM eg_alice;
ALTER FUNCTION pg_read_file(text, bigint, bigint) OWNER TO eg_alice;
ALTER FUNCTION pg_read_file(text, bigint, bigint) OWNER TO postgres;
BEGIN;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA pg_catalog TO eg_alice;
ROLLBACK;
REVOKE eg_plain_grp FROM eg_alice;
DROP ROLE eg_top;
DROP ROLE eg_plain_grp;
DROP ROLE eg_grp;
DROP ROLE eg_mid;
