SET search_path = pg_catalog, pg_temp;
SELECT dblink_exec('host=/var/run/postgresql dbname=postgres', 'ALTER SYSTEM SET x = 1');
--     ^ EG106
SELECT * FROM ext.dblink('dbname=postgres', 'SELECT 1') AS t(x int);
--            ^ EG106
DO $$ BEGIN PERFORM dblink_connect('c', 'host=10.0.0.1'); END $$;
--                  ^ EG106
CREATE SERVER loop FOREIGN DATA WRAPPER postgres_fdw OPTIONS (dbname 'postgres');
--                                      ^ EG106
CREATE SERVER remote FOREIGN DATA WRAPPER dblink_fdw OPTIONS (host '10.0.0.1', dbname 'x');
--                                        ^ EG106
CREATE SUBSCRIPTION sub CONNECTION 'host=10.0.0.1 dbname=x' PUBLICATION p;
--                      ^ EG106
-- safe
CREATE SERVER files FOREIGN DATA WRAPPER file_fdw;
SELECT s.dblink_get_connections();
