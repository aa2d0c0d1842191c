-- expect: event_trigger attempted
CREATE FUNCTION et_fn() RETURNS event_trigger LANGUAGE plpgsql AS $$ BEGIN END $$;
CREATE EVENT TRIGGER eg_et ON ddl_command_start EXECUTE FUNCTION et_fn();
DROP EVENT TRIGGER eg_et;
DROP FUNCTION et_fn();
