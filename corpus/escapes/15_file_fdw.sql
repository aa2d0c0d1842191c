-- expect: create_server attempted
-- expect: file_fdw attempted
-- expect: file_fdw attempted
-- expect: file_fdw attempted
-- expect: file_fdw attempted
-- expect-detail: scan eg_ft: program 'echo hi'
CREATE EXTENSION IF NOT EXISTS file_fdw;
CREATE SERVER eg_fs FOREIGN DATA WRAPPER file_fdw;
CREATE FOREIGN TABLE eg_ft(x text) SERVER eg_fs OPTIONS (program 'echo hi');
SELECT * FROM eg_ft;
ALTER FOREIGN TABLE eg_ft OPTIONS (SET program 'echo ho');
CREATE FOREIGN TABLE eg_ft2(x text) SERVER eg_fs OPTIONS (filename '/etc/hostname');
DROP SERVER eg_fs CASCADE;
