-- expect: sensitive_setting attempted
-- expect: sensitive_setting attempted
-- expect: sensitive_setting attempted
-- expect: sensitive_setting attempted
-- expect: sensitive_setting attempted
-- expect: sensitive_setting attempted
-- expect: sensitive_setting attempted
-- expect: sensitive_setting attempted
-- expect: sensitive_setting attempted
SET dynamic_library_path = '/tmp:$libdir';
SET session_replication_role = replica;
RESET session_replication_role;
-- set_config() is seen through the setting's check hook.
SELECT set_config('log_statement', 'none', false);
SELECT set_config('dynamic_library_path', '$libdir', true);
-- Ordinary settings are not recorded.
SELECT set_config('work_mem', '8MB', false);
SET work_mem = '16MB';
ALTER ROLE postgres SET session_preload_libraries = 'auto_explain';
ALTER ROLE postgres RESET session_preload_libraries;
ALTER DATABASE postgres SET log_min_messages = 'panic';
ALTER DATABASE postgres RESET log_min_messages;
