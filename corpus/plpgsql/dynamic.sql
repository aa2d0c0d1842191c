-- extguard-args: --sql-accepting run_sql
-- Constant dynamic SQL is analysed as SQL under the state at that point,
-- with spans inside the literals (the search_path is insecure here).
DO $$
DECLARE r record; c refcursor;
BEGIN
  EXECUTE 'SELECT lower(''x''), upper(''y'')';
--                ^ PS016
--                              ^ PS016
  EXECUTE 'SELECT ' || 'lower(1)' || ', upper(2)';
--                  ^ PS001
--                      ^ PS016
--                                ^ PS001
--                                      ^ PS016
  EXECUTE format('SELECT %s(%L), %I.f()', 'lower', 'x', 's');
--        ^ PS016
--                                         ^ PS016
  EXECUTE $q$SELECT md5('x')$q$;
--                  ^ PS016
  EXECUTE E'SELECT\t\'a\', btrim(\'x\')';
--                         ^ PS016
  EXECUTE concat('SELECT ', 'abs(1)', ', ', quote_literal('z'));
--        ^ PS016
--                           ^ PS016
--                                          ^ PS016
  OPEN c FOR EXECUTE 'SELECT ascii(''a'')';
--                           ^ PS016
  FOR r IN EXECUTE 'SELECT chr(65)' LOOP
--                         ^ PS016
    EXECUTE 'DO $x$ BEGIN PERFORM initcap(''q''); END $x$';
--                                ^ PS016
  END LOOP;
END $$;
CREATE FUNCTION s.f() RETURNS SETOF int LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  RETURN QUERY EXECUTE 'SELECT abs(1)';
  EXECUTE 'SET search_path = public';
  RETURN QUERY EXECUTE 'SELECT abs(2)';
--                             ^ PS016
END $$;
-- A SET in dynamic SQL changes the state for what follows.
DO $$
BEGIN
  EXECUTE 'SET search_path = pg_catalog, pg_temp';
  PERFORM lower('secure');
  EXECUTE format('SET search_path = %I, pg_temp', 'public');
  PERFORM lower('not secure');
--        ^ PS016
END $$;
-- sql-accepting functions: literals, concatenations, format()
SELECT s.run_sql('SELECT ' OPERATOR(pg_catalog.||) 'lower(1)');
--                                                  ^ PS016
SELECT s.run_sql(pg_catalog.format('SELECT %s', 'upper(2)'));
--                                               ^ PS016
-- Variables that hold a constant string on every path are followed.
DO $$
DECLARE
  q text := 'SELECT lower(1)';
--                  ^ PS016
  q2 text;
BEGIN
  EXECUTE q;
  q2 := 'SELECT ' || 'upper(2)';
--                ^ PS001
  IF s.c() THEN
    q2 := 'SELECT 1';
  END IF;
  EXECUTE q2;
  q2 := format('SELECT %s', 'md5(''x'')');
--      ^ PS016
--                           ^ PS016
  EXECUTE q2;
END $$;
-- Text quoted with %L / quote_literal keeps its spans: a function created
-- with format() is analysed with findings inside the argument literal.
DO $$
BEGIN
  EXECUTE pg_catalog.format('CREATE FUNCTION s.y() RETURNS text LANGUAGE sql AS %L',
--                                           ^ PS005
    'SELECT ''it''''s'', lower(''x'')');
--                       ^ PS016
  EXECUTE 'SELECT ' || quote_literal('a''b') || ', ' || 'md5(''y'')';
--                  ^ PS001
--                     ^ PS016
--                                           ^ PS001
--                                                   ^ PS001
--                                                       ^ PS016
END $$;
