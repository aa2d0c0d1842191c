-- A trigger enabled ALWAYS on a subscriber's table runs in the logical
-- replication apply worker, under the subscription owner. The worker
-- records what the trigger executes (backend_type "logical replication
-- worker", the trigger's statement), though the owner and every session
-- here are exempt: background processes are never exempt.
-- The file runs in the subscriber's database; the publisher is `postgres`.
-- database: eg_rep_sub UTF8
-- expect: extguard_setting attempted
-- expect: server_control attempted
-- expect: file_read attempted
-- expect: extguard_setting attempted
-- expect-field: backend_type~=logical replication
-- expect-field: statement~=pg_read_file(NEW.p)
-- expect-detail: pg_read_file (internal pg_read_file_all) args: PG_VERSION
ALTER SYSTEM SET extguard.exempt_roles = 'postgres';
SELECT pg_reload_conf();
SELECT pg_sleep(0.5);
\c postgres
CREATE TABLE eg_rep_t(id int PRIMARY KEY, p text);
CREATE PUBLICATION eg_rep_pub FOR TABLE eg_rep_t;
SELECT 1 FROM pg_create_logical_replication_slot('eg_rep_slot', 'pgoutput');
SELECT format('host=%s port=%s dbname=postgres user=postgres',
              split_part(current_setting('unix_socket_directories'), ',', 1),
              current_setting('port')) AS eg_conn \gset
\c eg_rep_sub
CREATE TABLE eg_rep_t(id int PRIMARY KEY, p text);
CREATE FUNCTION eg_rep_trg() RETURNS trigger LANGUAGE plpgsql
  AS $$ BEGIN PERFORM pg_read_file(NEW.p); RETURN NEW; END $$;
CREATE TRIGGER eg_rep_trg BEFORE INSERT ON eg_rep_t
  FOR EACH ROW EXECUTE FUNCTION eg_rep_trg();
ALTER TABLE eg_rep_t ENABLE ALWAYS TRIGGER eg_rep_trg;
SELECT format('CREATE SUBSCRIPTION eg_rep_sub CONNECTION %L PUBLICATION eg_rep_pub '
              'WITH (create_slot = false, slot_name = %L, copy_data = false)',
              :'eg_conn', 'eg_rep_slot') \gexec
\c postgres
INSERT INTO eg_rep_t VALUES (1, 'PG_VERSION');
\c eg_rep_sub
DO $$
BEGIN
  FOR i IN 1..600 LOOP
    EXIT WHEN EXISTS (SELECT FROM eg_rep_t);
    PERFORM pg_sleep(0.1);
  END LOOP;
  IF NOT EXISTS (SELECT FROM eg_rep_t) THEN
    RAISE EXCEPTION 'the row was not replicated within 60 s';
  END IF;
END $$;
DROP SUBSCRIPTION eg_rep_sub;
DROP TABLE eg_rep_t;
DROP FUNCTION eg_rep_trg();
\c postgres
DROP PUBLICATION eg_rep_pub;
DROP TABLE eg_rep_t;
\c eg_rep_sub
ALTER SYSTEM RESET extguard.exempt_roles;
SELECT pg_reload_conf();
SELECT pg_sleep(0.5);
