-- expect: extguard_setting attempted
-- expect: server_control attempted
-- expect: extguard_tamper blocked
-- expect: extguard_tamper blocked
-- expect: extguard_tamper blocked
-- expect: extguard_setting attempted
-- expect: server_control attempted
-- expect-error: extguard: extguard_tamper is blocked on this server
ALTER SYSTEM SET extguard.block = 'extguard_tamper';
SELECT pg_reload_conf();
SELECT pg_sleep(0.5);
DROP EXTENSION extguard;
ALTER EXTENSION extguard UPDATE;
DROP SCHEMA extguard CASCADE;
ALTER SYSTEM RESET extguard.block;
SELECT pg_reload_conf();
SELECT pg_sleep(0.5);
