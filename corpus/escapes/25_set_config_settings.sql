-- expect: sensitive_setting attempted
-- expect: sensitive_setting attempted
-- expect: sensitive_setting attempted
-- expect: sensitive_setting attempted
-- expect: sensitive_setting attempted
-- expect: sensitive_setting attempted
-- expect: sensitive_setting attempted
-- expect-error: parameter "extguard.exempt_roles" cannot be changed now
-- expect: sensitive_setting attempted
-- expect: sensitive_setting attempted
-- set_config() of each kind of sensitive setting (bool, enum, real, int,
-- string), seen through the wrapped check hooks; one record each. A switch
-- to the role in effect is a no-op (not recorded); extguard's settings are
-- refused to sessions before any hook sees them.
SELECT set_config('log_duration', 'on', false);
SELECT set_config('log_error_verbosity', 'verbose', false);
SELECT set_config('log_statement_sample_rate', '0.5', false);
SELECT set_config('log_temp_files', '0', false);
SELECT set_config('session_replication_role', 'replica', false);
SELECT set_config('session_preload_libraries', '', false);
SELECT set_config('allow_system_table_mods', 'on', true);
SELECT set_config('role', 'none', false);
SELECT set_config('extguard.exempt_roles', '', false);
-- A function SET clause applies the setting at each call, and once while
-- CREATE FUNCTION validates the body (ProcedureCreate applies it then too).
CREATE FUNCTION quiet() RETURNS int LANGUAGE sql SET log_min_messages = 'panic' AS 'SELECT 1';
SELECT quiet();
DROP FUNCTION quiet();
-- Ordinary settings stay silent.
SELECT set_config('search_path', 'public', false);
SELECT set_config('statement_timeout', '0', false);
