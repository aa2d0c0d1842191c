-- Exemption is by role name: creating a role under an exempt name that is
-- free (dropped, or listed ahead of time), or renaming a role to it, takes
-- over the exempt identity and is recorded as tampering.
-- expect: extguard_setting attempted
-- expect: server_control attempted
-- expect: extguard_tamper attempted x4
-- expect: extguard_setting attempted
-- expect: server_control attempted
-- expect-detail: CREATE ROLE eg_platform (exempt role)
-- expect-detail: ALTER ROLE eg_x RENAME TO eg_platform2 (exempt role)
ALTER SYSTEM SET extguard.exempt_roles = 'eg_platform, eg_platform2';
SELECT pg_reload_conf();
SELECT pg_sleep(0.5);
CREATE ROLE eg_platform LOGIN;
CREATE ROLE eg_x LOGIN;
ALTER ROLE eg_x RENAME TO eg_platform2;
DROP ROLE eg_platform;
DROP ROLE eg_platform2;
ALTER SYSTEM RESET extguard.exempt_roles;
SELECT pg_reload_conf();
SELECT pg_sleep(0.5);
