SET search_path = pg_catalog, pg_temp;
SELECT pg_read_file('/var/lib/postgresql/data/server.key');
--     ^ EG105
SELECT pg_catalog.pg_read_binary_file('/etc/shadow'), pg_ls_dir('/');
--     ^ EG105
--                                                    ^ EG105
SELECT lo_export(lo_from_bytea(0, '\x7f454c46'), '/tmp/x.so'), lo_import('/etc/passwd');
--     ^ EG105
--                                                             ^ EG105
CREATE FUNCTION s.f() RETURNS text LANGUAGE sql SET search_path = pg_catalog, pg_temp
  AS 'SELECT pg_stat_file(''/'')::text';
--           ^ EG105
CREATE FUNCTION s.g() RETURNS void LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE x text;
BEGIN
  x := pg_read_file('/etc/hostname');
--     ^ EG105
  PERFORM pg_file_write('/tmp/x', x, false);
--        ^ EG105
END $$;
-- safe
SELECT lo_from_bytea(0, '\x00'), pg_catalog.current_setting('data_directory');
