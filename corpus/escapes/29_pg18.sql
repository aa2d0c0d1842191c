-- versions: 18-
-- PostgreSQL 18: extension_control_path (a new place CREATE EXTENSION
-- takes control files, and so code, from), pg_get_loaded_modules() (the
-- files of the libraries loaded into the backend), pg_ls_summariesdir(),
-- the predefined role pg_signal_autovacuum_worker, and
-- oauth_validator_libraries (libraries loaded at authentication; server-wide,
-- so ALTER SYSTEM).
-- Not recorded: file_copy_method (how CREATE DATABASE copies files) and
-- virtual generated columns (evaluated as the reading user, built-in
-- functions only).
-- expect: sensitive_setting attempted
-- expect: sensitive_setting attempted
-- expect: file_list attempted
-- expect: file_list attempted
-- expect: grant_predefined_role attempted
-- expect: alter_system attempted
-- expect: alter_system attempted
-- expect-detail: oauth_validator_libraries
-- expect-detail: extension_control_path
-- expect-detail: pg_get_loaded_modules
-- expect-detail: pg_ls_summariesdir
SET extension_control_path = '/tmp/eg_ext:$system';
RESET extension_control_path;
SELECT count(*) >= 0 FROM pg_get_loaded_modules();
SELECT count(*) >= 0 FROM pg_ls_summariesdir();
GRANT pg_signal_autovacuum_worker TO eg_alice;
REVOKE pg_signal_autovacuum_worker FROM eg_alice;
ALTER SYSTEM SET oauth_validator_libraries = 'eg_validator';
ALTER SYSTEM RESET oauth_validator_libraries;
SET file_copy_method = clone;
RESET file_copy_method;
CREATE TABLE eg_virtual (a int, b int GENERATED ALWAYS AS (a * 2) VIRTUAL);
-- PostgreSQL 18 syntax: the analyzer's grammar (17) reads it as EG001 ^
INSERT INTO eg_virtual VALUES (1);
DROP TABLE eg_virtual;
