-- Where remote connections are redirected or opened besides CREATE and
-- scans: ALTER SERVER ... OPTIONS (SET host), ALTER USER MAPPING,
-- IMPORT FOREIGN SCHEMA and ANALYZE of a postgres_fdw table (both
-- connect), a scan after the wrapper is renamed, ALTER SUBSCRIPTION ...
-- CONNECTION. Connections go to a socket directory that does not exist.
-- expect: create_server attempted
-- expect: create_server attempted
-- expect: user_mapping attempted
-- expect: user_mapping attempted
-- expect: remote_connection attempted
-- expect: remote_connection attempted
-- expect: remote_connection attempted
-- expect: create_subscription attempted
-- expect: create_subscription attempted
-- expect-detail: ALTER SERVER eg_pg2 OPTIONS (host '/nonexistent/b')
-- expect-detail: IMPORT FOREIGN SCHEMA public FROM server eg_pg2 (host '/nonexistent/b', dbname 'postgres') of postgres_fdw
-- expect-detail: analyze eg_rt2 through server eg_pg2
-- expect-detail: scan eg_rt2 through server eg_pg2
-- expect-detail: ALTER SUBSCRIPTION eg_sub2 CONNECTION host=/nonexistent dbname=y password=***
-- forbid: pw2
-- forbid: other-secret
-- expect-error: could not connect to server "eg_pg2"
CREATE EXTENSION IF NOT EXISTS postgres_fdw;
CREATE SERVER eg_pg2 FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host '/nonexistent/a', dbname 'postgres');
ALTER SERVER eg_pg2 OPTIONS (SET host '/nonexistent/b');
CREATE USER MAPPING FOR postgres SERVER eg_pg2 OPTIONS (user 'x');
ALTER USER MAPPING FOR postgres SERVER eg_pg2 OPTIONS (ADD password 'other-secret');
IMPORT FOREIGN SCHEMA public FROM SERVER eg_pg2 INTO public;
CREATE FOREIGN TABLE eg_rt2(x int) SERVER eg_pg2;
ANALYZE eg_rt2;
ALTER FOREIGN DATA WRAPPER postgres_fdw RENAME TO eg_harmless;
SELECT * FROM eg_rt2;
ALTER FOREIGN DATA WRAPPER eg_harmless RENAME TO postgres_fdw;
CREATE SUBSCRIPTION eg_sub2 CONNECTION 'host=/nonexistent dbname=x' PUBLICATION p WITH (connect = false);
ALTER SUBSCRIPTION eg_sub2 CONNECTION 'host=/nonexistent dbname=y password=pw2';
ALTER SUBSCRIPTION eg_sub2 SET (slot_name = NONE);
DROP SUBSCRIPTION eg_sub2;
DROP SERVER eg_pg2 CASCADE;
