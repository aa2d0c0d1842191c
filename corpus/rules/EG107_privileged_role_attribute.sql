SET search_path = pg_catalog, pg_temp;
ALTER ROLE app SUPERUSER;
--             ^ EG107
CREATE ROLE r2 WITH LOGIN REPLICATION BYPASSRLS;
--                        ^ EG107
--                                    ^ EG107
CREATE USER r3 CREATEROLE;
--             ^ EG107
DO $$ BEGIN ALTER USER app WITH SUPERUSER; END $$;
--                              ^ EG107
-- safe
CREATE ROLE r4 NOSUPERUSER NOREPLICATION NOBYPASSRLS NOCREATEROLE LOGIN;
ALTER ROLE app NOSUPERUSER;
ALTER ROLE app SET work_mem = '1MB';
