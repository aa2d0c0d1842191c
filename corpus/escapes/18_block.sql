-- expect: extguard_setting attempted
-- expect: copy_program blocked
-- expect: file_read blocked
-- expect: extguard_setting attempted
-- expect: copy_program attempted
-- expect-error: extguard: copy_program is blocked on this server
-- expect-error: extguard: file_read is blocked on this server
SET extguard.block = 'copy_program, file_read';
COPY (SELECT 1) TO PROGRAM 'cat > /dev/null';
SELECT pg_read_file('PG_VERSION');
SELECT set_config('extguard.block', '', false);
COPY (SELECT 1) TO PROGRAM 'cat > /dev/null';
