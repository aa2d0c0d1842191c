-- versions: 16-
-- PostgreSQL 16: new predefined roles, and GRANT ... WITH INHERIT / SET
-- options (shown in the record's detail).
-- expect: grant_predefined_role attempted
-- expect: grant_predefined_role attempted
-- expect: grant_predefined_role attempted
-- expect: grant_predefined_role attempted
-- expect-detail: GRANT pg_create_subscription TO eg_alice
-- expect-detail: GRANT pg_use_reserved_connections TO eg_alice
-- expect-detail: GRANT pg_read_server_files TO eg_alice WITH INHERIT FALSE, SET TRUE
-- expect-detail: GRANT pg_write_server_files TO eg_alice WITH ADMIN TRUE
GRANT pg_create_subscription TO eg_alice;
GRANT pg_use_reserved_connections TO eg_alice;
GRANT pg_read_server_files TO eg_alice WITH INHERIT FALSE, SET TRUE;
GRANT pg_write_server_files TO eg_alice WITH ADMIN OPTION;
-- Revoking an option or a role is not recorded.
REVOKE INHERIT OPTION FOR pg_create_subscription FROM eg_alice;
REVOKE pg_create_subscription, pg_use_reserved_connections, pg_read_server_files, pg_write_server_files FROM eg_alice;
