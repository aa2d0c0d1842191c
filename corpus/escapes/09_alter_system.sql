-- expect: alter_system attempted
-- expect: alter_system attempted
-- expect: extguard_setting attempted
-- expect: extguard_setting attempted
-- expect: server_control attempted
ALTER SYSTEM SET work_mem = '5MB';
ALTER SYSTEM RESET work_mem;
ALTER SYSTEM SET extguard.audit = on;
ALTER SYSTEM RESET extguard.audit;
SELECT pg_reload_conf();
