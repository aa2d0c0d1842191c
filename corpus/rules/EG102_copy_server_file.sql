SET search_path = pg_catalog, pg_temp;
COPY s.t FROM '/proc/self/environ';
--            ^ EG102
COPY (SELECT 'host all all all trust') TO '/var/lib/postgresql/data/pg_hba.conf';
--                                        ^ EG102
CREATE FUNCTION s.f() RETURNS void LANGUAGE sql SET search_path = pg_catalog, pg_temp AS $$
  COPY s.t TO '/tmp/dump.csv' WITH (FORMAT csv);
--            ^ EG102
$$;
CREATE FOREIGN TABLE s.ft (x text) SERVER fs OPTIONS (filename '/etc/passwd');
--                                                    ^ EG102
-- safe
COPY s.t FROM STDIN;
COPY (SELECT '/etc/passwd') TO STDOUT;
COPY s.t FROM PROGRAM 'id';
--            ^ EG101
