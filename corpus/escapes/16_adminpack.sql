-- versions: -16
-- adminpack was removed in PostgreSQL 17.
-- expect: untrusted_language attempted
-- expect: untrusted_language attempted
-- expect: adminpack_write attempted
-- expect: adminpack_write attempted
-- The adminpack 2.1 script creates two LANGUAGE internal aliases
-- (pg_file_read -> pg_read_file, pg_logfile_rotate -> pg_rotate_logfile):
-- recorded with in_extension_script = true. Its C functions pointing at
-- $libdir/adminpack are the extension's own library and are not recorded.
CREATE EXTENSION IF NOT EXISTS adminpack;
SELECT pg_catalog.pg_file_write('eg_adminpack.txt', 'x', false);
SELECT pg_catalog.pg_file_unlink('eg_adminpack.txt');
DROP EXTENSION adminpack;
