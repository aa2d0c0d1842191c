-- Autovacuum runs code someone else planted: ANALYZE evaluates an index
-- expression, here an alias of pg_read_file, in an autovacuum worker. The
-- worker records it (backend_type "autovacuum worker", its activity
-- "autovacuum: ANALYZE ..." as statement) even though the table's owner
-- and the session that planted it are exempt: exemption belongs to
-- logins, never to background processes.
-- expect: alter_system attempted
-- expect: extguard_setting attempted
-- expect: server_control attempted
-- expect: file_read attempted
-- expect: extguard_setting attempted
-- expect-field: backend_type=autovacuum worker
-- expect-field: statement~=autovacuum: ANALYZE public.eg_av_t
-- expect-detail: eg_av_read (internal pg_read_file_all)
ALTER SYSTEM SET autovacuum_naptime = 1;
ALTER SYSTEM SET extguard.exempt_roles = 'postgres';
SELECT pg_reload_conf();
SELECT pg_sleep(0.5);
-- exempt from here: none of this is recorded in this session
CREATE FUNCTION eg_av_read(text) RETURNS text IMMUTABLE STRICT
  LANGUAGE internal AS 'pg_read_file_all';
CREATE TABLE eg_av_t(p text);
CREATE INDEX eg_av_i ON eg_av_t ((length(eg_av_read(p))));
ALTER TABLE eg_av_t SET (autovacuum_analyze_threshold = 0,
                         autovacuum_analyze_scale_factor = 0,
                         autovacuum_vacuum_insert_threshold = 1000000);
INSERT INTO eg_av_t SELECT 'PG_VERSION' FROM generate_series(1, 50);
-- counters reach autovacuum when the session goes idle: don't wait a second
SELECT pg_stat_force_next_flush();
DO $$
BEGIN
  FOR i IN 1..900 LOOP
    PERFORM pg_stat_clear_snapshot();
    EXIT WHEN (SELECT last_autoanalyze IS NOT NULL FROM pg_stat_user_tables
               WHERE relname = 'eg_av_t');
    PERFORM pg_sleep(0.1);
  END LOOP;
  PERFORM pg_stat_clear_snapshot();
  IF (SELECT last_autoanalyze IS NULL FROM pg_stat_user_tables
      WHERE relname = 'eg_av_t') THEN
    RAISE EXCEPTION 'autovacuum did not analyze eg_av_t within 90 s';
  END IF;
END $$;
DROP TABLE eg_av_t;
DROP FUNCTION eg_av_read(text);
ALTER SYSTEM RESET extguard.exempt_roles;
ALTER SYSTEM RESET autovacuum_naptime;
SELECT pg_reload_conf();
SELECT pg_sleep(0.5);
