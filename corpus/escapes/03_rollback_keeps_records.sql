-- expect: copy_program attempted
-- expect: file_read attempted
-- expect: load attempted
-- Records are written before the action: ROLLBACK and errors keep them.
-- expect-error: could not access file "extguard_no_such_library"
BEGIN;
COPY (SELECT 1) TO PROGRAM 'cat > /dev/null';
SELECT length(pg_read_file('PG_VERSION')) > 0;
ROLLBACK;
LOAD 'extguard_no_such_library';
