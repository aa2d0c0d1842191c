-- Path sensitivity of search_path in PL/pgSQL bodies.
-- A SET in one IF branch does not secure the code after END IF.
DO $$
BEGIN
  IF s.c() THEN
    SET search_path = pg_catalog, pg_temp;
    PERFORM lower('secure here');
  END IF;
  PERFORM upper('not here');
--        ^ PS016
END $$;
-- Both branches set it: secure after END IF (and after ELSIF chains).
DO $$
BEGIN
  IF s.c() THEN
    SET search_path = pg_catalog, pg_temp;
  ELSIF s.d() THEN
    PERFORM pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', false);
  ELSE
    SET search_path = pg_catalog, pg_temp;
  END IF;
  PERFORM upper('secure');
END $$;
-- RETURN and RAISE EXCEPTION end a path: only the secured one goes on.
CREATE FUNCTION s.f(p int) RETURNS int LANGUAGE plpgsql AS $$
--              ^ PS005
BEGIN
  IF p > 0 THEN
--     ^ PS001
    RETURN abs(p);
--         ^ PS016
  ELSIF p < 0 THEN
--        ^ PS001
    RAISE EXCEPTION 'negative';
  END IF;
  SET search_path = pg_catalog, pg_temp;
  RETURN sign(p);
END $$;
DO $$
BEGIN
  IF s.c() THEN
    SET search_path = pg_catalog, pg_temp;
  ELSE
    RAISE EXCEPTION 'stop';
  END IF;
  PERFORM upper('secure: the other path raised');
END $$;
-- A simple CASE without ELSE raises CASE_NOT_FOUND when nothing matches.
DO $$
BEGIN
  CASE s.k()
    WHEN 1 THEN SET search_path = pg_catalog, pg_temp;
    WHEN 2 THEN SET search_path = pg_catalog, pg_temp;
  END CASE;
  PERFORM upper('secure');
  CASE WHEN s.c() THEN SET search_path = public; ELSE NULL; END CASE;
  PERFORM upper('not secure');
--        ^ PS016
END $$;
-- Loops: the body may run zero times, and a later iteration starts where
-- the previous one ended.
DO $$
BEGIN
  FOR i IN 1..3 LOOP
    SET search_path = pg_catalog, pg_temp;
  END LOOP;
  PERFORM lower('zero iterations');
--        ^ PS016
END $$;
DO $$
BEGIN
  SET search_path = pg_catalog, pg_temp;
  WHILE s.c() LOOP
    PERFORM lower('second iteration');
--          ^ PS016
    SET search_path = public;
  END LOOP;
END $$;
-- Exception handlers: an error rolls back the block, including its SETs, so
-- a handler runs with the search_path of the block's entry.
DO $$
BEGIN
  BEGIN
    SET search_path = pg_catalog, pg_temp;
    PERFORM lower('secure');
  EXCEPTION WHEN OTHERS THEN
    PERFORM upper('rolled back: insecure');
--          ^ PS016
  END;
  PERFORM upper('either path: insecure');
--        ^ PS016
END $$;
DO $$
BEGIN
  SET search_path = pg_catalog, pg_temp;
  BEGIN
    SET search_path = public;
    PERFORM lower('insecure');
--          ^ PS016
  EXCEPTION WHEN OTHERS THEN
    PERFORM upper('rolled back: secure');
    RETURN;
  END;
  PERFORM upper('after the block: insecure');
--        ^ PS016
END $$;
-- Nested blocks: a SET inside an inner block stays after its END.
DO $$
DECLARE a text := lower('before');
--                ^ PS016
BEGIN
  DECLARE b text := upper('before');
--                  ^ PS016
  BEGIN
    SET search_path = pg_catalog, pg_temp;
  END;
  DECLARE c text := upper('secure default');
  BEGIN
    PERFORM lower(c);
  END;
END $$;
-- COMMIT and ROLLBACK end a SET LOCAL in a procedure; the session value stays.
CREATE PROCEDURE s.p() LANGUAGE plpgsql AS $$
--               ^ PS005
BEGIN
  SET search_path = pg_catalog, pg_temp;
  SET LOCAL search_path = s, pg_temp;
  PERFORM lower('s is not trusted');
--        ^ PS016
  COMMIT;
  PERFORM lower('the session value again: secure');
  SET LOCAL search_path = s, pg_temp;
  ROLLBACK;
  PERFORM lower('secure');
END $$;
