-- Exemption and audit=off come from the configuration (ALTER SYSTEM +
-- reload); changing them is recorded even while they apply.
-- An exempt session running another role's SECURITY DEFINER code is
-- recorded: exemption needs the login, session and current user exempt.
-- expect: extguard_setting attempted
-- expect: server_control attempted
-- expect: copy_program attempted
-- expect: extguard_setting attempted
-- expect: extguard_setting attempted
-- expect: server_control attempted
-- expect: extguard_setting attempted
-- expect-detail: ALTER SYSTEM extguard.exempt_roles = postgres
ALTER SYSTEM SET extguard.exempt_roles = 'postgres';
SELECT pg_reload_conf();
SELECT pg_sleep(0.5);
COPY (SELECT 1) TO PROGRAM 'cat > /dev/null';
CREATE ROLE eg_owner SUPERUSER NOLOGIN;
CREATE FUNCTION eg_sd_copy() RETURNS void LANGUAGE plpgsql SECURITY DEFINER
  AS $$ BEGIN COPY (SELECT 1) TO PROGRAM 'cat > /dev/null'; END $$;
ALTER FUNCTION eg_sd_copy() OWNER TO eg_owner;
SELECT eg_sd_copy();
DROP FUNCTION eg_sd_copy();
DROP ROLE eg_owner;
ALTER SYSTEM RESET extguard.exempt_roles;
SELECT pg_reload_conf();
SELECT pg_sleep(0.5);
ALTER SYSTEM SET extguard.audit = off;
SELECT pg_reload_conf();
SELECT pg_sleep(0.5);
SELECT length(pg_read_file('PG_VERSION')) > 0;
ALTER SYSTEM RESET extguard.audit;
SELECT pg_reload_conf();
SELECT pg_sleep(0.5);
