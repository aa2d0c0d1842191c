-- Every PL/pgSQL statement kind, walked with exact spans. The search_path
-- is insecure everywhere here, so each unqualified call is a PS016.
DO $$
<<outer>>
DECLARE
  a int := abs(-1);
--         ^ PS016
  b text;
  arr int[] := ARRAY[1, 2];
  c1 CURSOR (k int) FOR SELECT k, lower('c1');
--                                ^ PS016
  c2 refcursor;
  r record;
  n bigint;
BEGIN
  b := upper('x');
--     ^ PS016
  IF length(b) > 0 THEN NULL; ELSIF sign(a) > 0 THEN NULL; ELSE NULL; END IF;
--   ^ PS016
--             ^ PS001
--                                  ^ PS016
--                                          ^ PS001
  CASE ceil(a) WHEN floor(1), round(2) THEN NULL; ELSE NULL; END CASE;
--     ^ PS016
--                  ^ PS016
--                            ^ PS016
  CASE WHEN trunc(1) = 1 THEN NULL; END CASE;
--          ^ PS016
--                   ^ PS001
  FOR i IN REVERSE mod(10, 3)..1 BY gcd(2, 4) LOOP
--                 ^ PS016
--                                  ^ PS016
    PERFORM pi();
--          ^ PS016
  END LOOP;
  FOREACH a IN ARRAY array_append(arr, 3) LOOP
--                   ^ PS016
    EXIT WHEN lcm(a, 2) > 4;
--            ^ PS016
--                      ^ PS001
    CONTINUE WHEN exp(a) > 1;
--                ^ PS016
--                       ^ PS001
  END LOOP;
  WHILE sqrt(a) < 1 LOOP a := a + 1; END LOOP;
--      ^ PS016
--              ^ PS001
--                              ^ PS001
  FOR r IN SELECT md5('q') LOOP NULL; END LOOP;
--                ^ PS016
  FOR r IN EXECUTE 'SELECT ascii(''x'')' USING a LOOP NULL; END LOOP;
--                         ^ PS016
  FOR r IN c1(k := cbrt(8)::int) LOOP NULL; END LOOP;
--                 ^ PS016
  OPEN c2 FOR SELECT chr(65);
--                   ^ PS016
  FETCH c2 INTO b;
  MOVE c2;
  CLOSE c2;
  OPEN c2 FOR EXECUTE 'SELECT btrim(''x'')';
--                            ^ PS016
  CLOSE c2;
  SELECT initcap('a') INTO b;
--       ^ PS016
  INSERT INTO s.t VALUES (ltrim('a'));
--                        ^ PS016
  GET DIAGNOSTICS n = ROW_COUNT;
  ASSERT a > 0, repeat('x', 2);
--         ^ PS001
--              ^ PS016
  RAISE NOTICE 'a % b %', rtrim(b), a USING HINT = reverse('h'), DETAIL = 'd';
--                        ^ PS016
--                                                 ^ PS016
  CALL s.p(strpos('a', 'b'));
--         ^ PS016
  <<inner>>
  DECLARE
    d text := concat('d', a);
--            ^ PS016
  BEGIN
    d := replace(d, 'a', 'b');
--       ^ PS016
  EXCEPTION
    WHEN division_by_zero THEN
      RAISE WARNING '%', left(SQLERRM, 3);
--                       ^ PS016
  END;
  COMMIT;
  ROLLBACK;
END $$;
-- RETURN, RETURN NEXT, RETURN QUERY [EXECUTE] in functions
CREATE FUNCTION s.f(p int) RETURNS SETOF int LANGUAGE plpgsql AS $$
--              ^ PS005
BEGIN
  RETURN NEXT abs(p);
--            ^ PS016
  RETURN QUERY SELECT abs(p);
--                    ^ PS016
  RETURN QUERY EXECUTE 'SELECT abs($1)' USING p;
--                             ^ PS016
  RETURN;
END $$;
CREATE FUNCTION s.g(p int) RETURNS int LANGUAGE plpgsql AS $$
--              ^ PS005
BEGIN
  RETURN sign(p);
--       ^ PS016
END $$;
-- COMMIT / ROLLBACK in a procedure
CREATE PROCEDURE s.p(n int) LANGUAGE plpgsql AS $$
--               ^ PS005
BEGIN
  INSERT INTO s.t VALUES (abs(n));
--                        ^ PS016
  COMMIT;
  PERFORM s.x(upper('y'));
--            ^ PS016
  ROLLBACK;
END $$;
