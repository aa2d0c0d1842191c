DECLARE
  r record;
  q text := 'SELECT ' || quote_literal('x''y');
BEGIN
  PERFORM f(1);
  EXECUTE format('SELECT %I()', 'g');
  FOR r IN SELECT * FROM t LOOP
    RAISE NOTICE '%', r;
  END LOOP;
  IF lower(q) = E'a\'b' THEN RETURN; END IF;
EXCEPTION WHEN others THEN NULL;
END
