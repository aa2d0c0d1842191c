-- versions: 17-
-- PostgreSQL 17: pg_maintain, login event triggers, the event_triggers
-- setting (turns every event trigger off for the session) and
-- allow_alter_system (server-wide, so only ALTER SYSTEM could try it, and
-- PostgreSQL refuses that: the attempt is recorded all the same).
-- expect: grant_predefined_role attempted
-- expect: event_trigger attempted
-- expect: sensitive_setting attempted
-- expect: sensitive_setting attempted
-- expect: alter_system attempted
-- expect-detail: GRANT pg_maintain TO eg_alice
-- expect-detail: ON login
-- expect-error: parameter "allow_alter_system" cannot be changed
-- Not recorded: the MAINTAIN privilege on a table (VACUUM, ANALYZE,
-- REINDEX, CLUSTER, REFRESH, LOCK; run with a safe search_path) and
-- transaction_timeout, neither of which reaches the server's code or files.
GRANT pg_maintain TO eg_alice;
REVOKE pg_maintain FROM eg_alice;
CREATE FUNCTION eg_login_fn() RETURNS event_trigger LANGUAGE plpgsql AS $$ BEGIN END $$;
CREATE EVENT TRIGGER eg_login ON login EXECUTE FUNCTION eg_login_fn();
DROP EVENT TRIGGER eg_login;
DROP FUNCTION eg_login_fn();
SET event_triggers = off;
RESET event_triggers;
ALTER SYSTEM SET allow_alter_system = off;
CREATE TABLE eg_maint (a int);
GRANT MAINTAIN ON eg_maint TO eg_alice;
DROP TABLE eg_maint;
SET transaction_timeout = '10min';
RESET transaction_timeout;
