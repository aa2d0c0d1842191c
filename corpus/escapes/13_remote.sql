-- expect: create_server attempted
-- expect: user_mapping attempted
-- expect: remote_connection attempted
-- expect: remote_connection attempted
-- expect: create_subscription attempted
-- forbid: secret
-- forbid: password=pw
-- expect-detail: args: c1, dbname=postgres host=/nonexistent password=***
-- expect-detail: scan eg_rt through server eg_srv (host '127.0.0.1', dbname 'postgres')
-- expect-detail: CONNECTION host=/nonexistent dbname=x password=***
-- errors-ok
CREATE EXTENSION IF NOT EXISTS postgres_fdw;
CREATE SERVER eg_srv FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host '127.0.0.1', dbname 'postgres');
CREATE USER MAPPING FOR postgres SERVER eg_srv OPTIONS (user 'postgres', password 'secret');
-- a foreign table made earlier connects when it is scanned
CREATE FOREIGN TABLE eg_rt(x int) SERVER eg_srv;
SELECT * FROM eg_rt;
DROP FOREIGN TABLE eg_rt;
CREATE EXTENSION IF NOT EXISTS dblink;
SELECT dblink_connect('c1', 'dbname=postgres host=/nonexistent password=pw');
CREATE SUBSCRIPTION eg_sub CONNECTION 'host=/nonexistent dbname=x password=pw' PUBLICATION p WITH (connect = false);
ALTER SUBSCRIPTION eg_sub SET (slot_name = NONE);
DROP SUBSCRIPTION eg_sub;
DROP USER MAPPING FOR postgres SERVER eg_srv;
DROP SERVER eg_srv;
