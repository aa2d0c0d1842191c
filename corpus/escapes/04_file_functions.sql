-- expect: file_read attempted
-- expect: file_read attempted
-- expect: file_read attempted
-- expect: file_list attempted
-- expect: file_list attempted
-- expect: untrusted_language attempted
-- expect: file_read attempted
-- expect: file_read attempted
-- expect: file_read attempted
SELECT length(pg_read_file('PG_VERSION', 0, 2));
SELECT length(pg_read_binary_file('PG_VERSION'));
SELECT (pg_stat_file('PG_VERSION')).size > 0;
SELECT count(*) > 0 FROM pg_ls_dir('.');
SELECT count(*) >= 0 FROM pg_ls_waldir();
-- An internal alias under an innocent name is caught by its C symbol.
CREATE FUNCTION innocent(text) RETURNS text LANGUAGE internal STRICT AS 'pg_read_file_all';
SELECT length(innocent('PG_VERSION')) > 0;
-- PL/pgSQL simple expression (never reaches ExecutorStart).
DO $$ DECLARE x text; BEGIN x := pg_read_file('PG_VERSION'); END $$;
-- SECURITY DEFINER function.
CREATE FUNCTION sd_read() RETURNS text LANGUAGE plpgsql SECURITY DEFINER AS $$
BEGIN RETURN pg_read_file('PG_VERSION'); END $$;
SELECT length(sd_read()) > 0;
DROP FUNCTION innocent(text);
DROP FUNCTION sd_read();
