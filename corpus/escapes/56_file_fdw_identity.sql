-- file_fdw recognised by its handler, not by names: ALTER TABLE (not only
-- ALTER FOREIGN TABLE) setting the file, ANALYZE (reads the file into
-- pg_stats), scans after the wrapper is renamed, a second wrapper on the
-- same handler without a validator (program as a server option), and a
-- file_fdw partition read through its partitioned parent.
-- expect: create_server attempted
-- expect: file_fdw attempted
-- expect: file_fdw attempted
-- expect: file_fdw attempted
-- expect: file_fdw attempted
-- expect: create_server attempted
-- expect: file_fdw attempted
-- expect: file_fdw attempted
-- expect: file_fdw attempted
-- expect: file_fdw attempted
-- expect: file_fdw attempted
-- expect-detail: analyze eg_ft3: filename '/etc/passwd'
-- expect-detail: scan eg_ft3: filename '/etc/passwd'
-- expect-detail: scan eg_cft: program 'echo 1'
-- expect-detail: analyze eg_fpart: filename '/etc/passwd'
-- expect-detail: scan eg_fpart: filename '/etc/passwd'
CREATE EXTENSION IF NOT EXISTS file_fdw;
CREATE SERVER eg_fs3 FOREIGN DATA WRAPPER file_fdw;
CREATE FOREIGN TABLE eg_ft3(x text) SERVER eg_fs3 OPTIONS (filename '/etc/hostname');
ALTER TABLE eg_ft3 OPTIONS (SET filename '/etc/passwd');
ANALYZE eg_ft3;
ALTER FOREIGN DATA WRAPPER file_fdw RENAME TO eg_innocent;
SELECT count(*) > 0 FROM eg_ft3;
ALTER FOREIGN DATA WRAPPER eg_innocent RENAME TO file_fdw;
GRANT SELECT ON eg_ft3 TO PUBLIC;
-- a second wrapper on file_fdw's handler, without the validator
CREATE FOREIGN DATA WRAPPER eg_clone HANDLER file_fdw_handler;
CREATE SERVER eg_cs FOREIGN DATA WRAPPER eg_clone OPTIONS (program 'echo 1');
CREATE FOREIGN TABLE eg_cft(x text) SERVER eg_cs;
SELECT * FROM eg_cft;
-- a foreign partition
CREATE TABLE eg_parted(x text) PARTITION BY LIST (x);
CREATE FOREIGN TABLE eg_fpart PARTITION OF eg_parted FOR VALUES IN ('a')
  SERVER eg_fs3 OPTIONS (filename '/etc/passwd');
ANALYZE eg_parted;
SELECT count(*) FROM eg_parted;
DROP TABLE eg_parted;
DROP SERVER eg_cs CASCADE;
DROP FOREIGN DATA WRAPPER eg_clone;
