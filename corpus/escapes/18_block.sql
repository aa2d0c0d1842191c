-- extguard.block is set where an administrator sets it (ALTER SYSTEM +
-- reload); a session cannot change it for itself.
-- expect: extguard_setting attempted
-- expect: server_control attempted
-- expect: copy_program blocked
-- expect: file_read blocked
-- expect: extguard_setting attempted
-- expect: extguard_setting attempted
-- expect: server_control attempted
-- expect: copy_program attempted
-- expect-error: extguard: copy_program is blocked on this server
-- expect-error: extguard: file_read is blocked on this server
-- expect-error: parameter "extguard.block" cannot be changed now
ALTER SYSTEM SET extguard.block = 'copy_program, file_read';
SELECT pg_reload_conf();
SELECT pg_sleep(0.5);
COPY (SELECT 1) TO PROGRAM 'cat > /dev/null';
SELECT pg_read_file('PG_VERSION');
SELECT set_config('extguard.block', '', false);
SET extguard.block = '';
ALTER SYSTEM RESET extguard.block;
SELECT pg_reload_conf();
SELECT pg_sleep(0.5);
COPY (SELECT 1) TO PROGRAM 'cat > /dev/null';
