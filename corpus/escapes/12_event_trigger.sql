-- expect: event_trigger attempted
-- expect: file_read attempted
-- The CREATE EVENT TRIGGER is recorded, and so is a vector reached from
-- inside the event trigger function when some DDL fires it.
CREATE FUNCTION et_fn() RETURNS event_trigger LANGUAGE plpgsql AS $$
BEGIN PERFORM pg_read_file('PG_VERSION'); END $$;
CREATE EVENT TRIGGER eg_et ON ddl_command_start WHEN TAG IN ('CREATE TABLE') EXECUTE FUNCTION et_fn();
CREATE TABLE et_fires();
DROP EVENT TRIGGER eg_et;
DROP TABLE et_fires;
DROP FUNCTION et_fn();
