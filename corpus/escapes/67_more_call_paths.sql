-- More ways to get a file-reading function called without naming it in
-- the statement: aggregates built on it (transition and final function,
-- as a window), a column DEFAULT and a WHERE clause of COPY FROM, a
-- partition key, maintenance commands that evaluate an index expression
-- (REINDEX, VACUUM FULL, CLUSTER, extended statistics), a function whose
-- catalog row is edited into an alias after the session cached it, and one
-- replaced by another session after this one cached it.
-- expect: file_read attempted x3
-- expect: file_read attempted x2
-- expect: file_read attempted
-- expect: file_read attempted x4
-- expect: file_read attempted x3
-- expect: file_read attempted
-- expect: file_read attempted
-- expect: untrusted_language attempted x4
-- expect: sensitive_setting attempted x2
-- expect: catalog_dml attempted
-- expect: remote_connection attempted
-- expect-detail: eg_cached (internal pg_read_file_all) args: PG_VERSION
-- expect-detail: eg_replaced (internal pg_read_file_all) args: PG_VERSION
CREATE AGGREGATE eg_agg_read(bigint, bigint) (sfunc = pg_read_file, stype = text,
                                              initcond = 'PG_VERSION');
SELECT length(eg_agg_read(0, 2)) FROM generate_series(1, 1);
CREATE AGGREGATE eg_agg_final(text) (sfunc = textcat, stype = text,
                                     finalfunc = pg_read_file, initcond = '');
SELECT length(eg_agg_final(x)) FROM (VALUES ('PG_'), ('VERSION')) v(x);
SELECT length(eg_agg_read(0, 2) OVER ()) FROM generate_series(1, 1);
CREATE TABLE eg_cp(p text, q text DEFAULT pg_read_file('PG_VERSION'));
COPY eg_cp(p) FROM STDIN;
PG_VERSION
\.
COPY eg_cp FROM STDIN WHERE length(pg_read_file(p)) > 0;
PG_VERSION	x
\.
CREATE FUNCTION eg_key(text) RETURNS text IMMUTABLE STRICT LANGUAGE internal
  AS 'pg_read_file_all';
CREATE TABLE eg_part(p text) PARTITION BY LIST ((eg_key(p)));
CREATE TABLE eg_part_d PARTITION OF eg_part DEFAULT;
INSERT INTO eg_part VALUES ('PG_VERSION');
CREATE TABLE eg_maint(p text);
INSERT INTO eg_maint VALUES ('PG_VERSION');
CREATE INDEX eg_maint_i ON eg_maint ((eg_key(p)));
REINDEX TABLE eg_maint;
VACUUM FULL eg_maint;
CLUSTER eg_maint USING eg_maint_i;
CREATE STATISTICS eg_maint_st ON (eg_key(p)) FROM eg_maint;
ANALYZE eg_maint;
CREATE FUNCTION eg_cached(text) RETURNS text LANGUAGE internal STRICT AS 'lower';
SELECT eg_cached('X');
SET allow_system_table_mods = on;
UPDATE pg_proc SET prosrc = 'pg_read_file_all' WHERE proname = 'eg_cached';
RESET allow_system_table_mods;
SELECT length(eg_cached('PG_VERSION'));
CREATE FUNCTION eg_replaced(text) RETURNS text LANGUAGE internal STRICT AS 'upper';
SELECT eg_replaced('x');
CREATE EXTENSION IF NOT EXISTS dblink;
SELECT format('host=%s port=%s dbname=postgres user=postgres',
              split_part(current_setting('unix_socket_directories'), ',', 1),
              current_setting('port')) AS eg_self \gset
SELECT dblink_exec(:'eg_self', $$CREATE OR REPLACE FUNCTION eg_replaced(text) RETURNS text
  LANGUAGE internal STRICT AS 'pg_read_file_all'$$);
SELECT length(eg_replaced('PG_VERSION'));
DROP TABLE eg_cp, eg_part, eg_maint;
DROP AGGREGATE eg_agg_read(bigint, bigint);
DROP AGGREGATE eg_agg_final(text);
DROP FUNCTION eg_key(text), eg_cached(text), eg_replaced(text);
