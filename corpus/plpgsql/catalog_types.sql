-- Variables whose type PostgreSQL knows from its catalog: fields of
-- composite and %ROWTYPE variables and parameters, read and assigned, and
-- cursors held in refcursor parameters. PostgreSQL 15 accepts all of this;
-- the bodies are analysed (the calls in them are PS016: a body runs with
-- its caller's search_path).
CREATE SCHEMA app;
CREATE TABLE app.item (name text);
CREATE TYPE app.app_item AS (name text);
SET search_path = app, pg_temp;
CREATE FUNCTION app.fill(p app.item, q app_item) RETURNS text LANGUAGE plpgsql AS $$
--              ^ PS005
DECLARE
  w app.item;
  v app_item;
  r app_item%ROWTYPE;
  t text;
BEGIN
  w.name := 'x';
  v.name := upper(p.name);
--          ^ PS016
  q.name := v.name;
  SELECT i.name INTO r.name FROM app.item i LIMIT 1;
  t := lower(r.name || w.name);
--     ^ PS016
--                  ^ PS001
  RETURN t;
END $$;
CREATE FUNCTION app.drain(c refcursor) RETURNS void LANGUAGE plpgsql AS $$
--              ^ PS005
DECLARE
  x int;
BEGIN
  FETCH c INTO x;
  PERFORM lower('y');
--        ^ PS016
  CLOSE c;
END $$;
-- A cursor in an unnamed parameter: PostgreSQL accepts it, but without the
-- catalog its type is unknown, so the body is not analysed: EG006 (info)
-- at the statement, and the call before it is not reported.
CREATE FUNCTION app.drain2(refcursor) RETURNS void LANGUAGE plpgsql AS $$
--              ^ PS005
BEGIN
  PERFORM lower('y');
  CLOSE $1;
--      ^ EG006
END $$;
-- PostgreSQL rejects these bodies: the syntax error is on the offending line.
CREATE FUNCTION app.bad() RETURNS void LANGUAGE plpgsql AS $$
--              ^ PS005
BEGIN
  PERFORM 1;
  nothing.name := 'x';
--^ EG001
END $$;
DO $$
BEGIN
  IF true THEN
    ALTER EXTENSION app ADD missing_keyword(oid);
--                          ^ EG001
  END IF;
END $$;
