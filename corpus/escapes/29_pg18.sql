-- versions: 18-
-- PostgreSQL 18: extension_control_path (a new place CREATE EXTENSION
-- takes control files, and so code, from), pg_get_loaded_modules() (the
-- files of the libraries loaded into the backend), pg_ls_summariesdir(),
-- and the predefined role pg_signal_autovacuum_worker.
-- expect: sensitive_setting attempted
-- expect: sensitive_setting attempted
-- expect: file_list attempted
-- expect: file_list attempted
-- expect: grant_predefined_role attempted
-- expect-detail: extension_control_path
-- expect-detail: pg_get_loaded_modules
-- expect-detail: pg_ls_summariesdir
SET extension_control_path = '/tmp/eg_ext:$system';
RESET extension_control_path;
SELECT count(*) >= 0 FROM pg_get_loaded_modules();
SELECT count(*) >= 0 FROM pg_ls_summariesdir();
GRANT pg_signal_autovacuum_worker TO eg_alice;
REVOKE pg_signal_autovacuum_worker FROM eg_alice;
