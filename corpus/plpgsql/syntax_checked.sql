-- PostgreSQL parses the SQL of every expression of a body it validates,
-- including code the walk does not reach or parses in another form. A body
-- it rejects gets its error, and none of the findings inside it.
DO $$
BEGIN
  PERFORM lower('reached');
--        ^ PS016
END $$;
CREATE FUNCTION app.after_return() RETURNS int LANGUAGE plpgsql AS $$
--              ^ PS005
BEGIN
  PERFORM lower('x');
  RETURN 1;
  PERFORM (1 +);
--            ^ EG001
END $$;
DO $$
DECLARE
  c CURSOR FOR SELECT 1 FROM WHERE;
--                           ^ EG001
BEGIN
  PERFORM lower('x');
END $$;
DO $$
BEGIN
  PERFORM lower('x');
  INSERT INTO app.t VALUES (1, 'a'), (2x, 'b');
--                                    ^ EG001
END $$;
DO $$
DECLARE
  v int;
BEGIN
  PERFORM lower('x');
  v := 1 UNION SELECT 2;
--       ^ EG001
END $$;
DO $$
DECLARE
  arr int[];
BEGIN
  PERFORM lower('x');
  arr[1 +] := 2;
--       ^ EG001
END $$;
DO $$
DECLARE
  a int := 1;
BEGIN
  PERFORM lower('x');
  CASE a WHEN 1 UNION SELECT 2 THEN NULL; END CASE;
--              ^ EG001
END $$;
