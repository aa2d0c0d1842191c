-- expect: lo_file attempted
-- expect: lo_file attempted
SELECT lo_unlink(lo_import('/etc/hostname'));
SELECT lo_from_bytea(424242, '\x7f454c46') > 0;
SELECT lo_export(424242, '/dev/null');
SELECT lo_unlink(424242);
