-- Per-role and per-database settings a login will apply: recorded when
-- set, and again when a session starts with them (next file). extguard's
-- own settings cannot be set per role.
-- expect: sensitive_setting attempted x3
-- expect: extguard_setting attempted x2
-- expect-error: parameter "extguard.audit" cannot be changed now
-- (the name as written on 15-17, in lower case from 18)
-- expect-error: exempt_roles" cannot be changed now
ALTER ROLE eg_alice SET log_min_messages = 'panic';
ALTER ROLE eg_alice IN DATABASE postgres SET log_statement = 'none';
ALTER ROLE eg_alice SET session_preload_libraries = 'auto_explain';
ALTER ROLE eg_alice SET extguard.audit = off;
ALTER ROLE eg_alice SET "EXTGUARD.exempt_roles" = 'eg_alice';
