-- Findings in lower-case perform statements point at the call, also when
-- the statement spans lines; `-- extguard: ignore CODE` inside a body
-- covers the statement after it (IF and loops through their END).
CREATE FUNCTION s.f(p text) RETURNS void LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  perform s.g(1), lower(p);
  perform s.g(
      2),
    s.h(3) || 'x';
  Perform s.g(4);
  -- extguard: ignore EG201
  EXECUTE 'SELECT ' || p;
  EXECUTE 'SELECT ' || p || ' -- again';
--                     ^ EG201
  -- extguard: ignore EG201
  IF p <> '' THEN
    EXECUTE 'SELECT ' || p;
  END IF;
  IF p = '' THEN
    EXECUTE 'ANALYZE ' || p;
--                        ^ EG201
  END IF;
END $$;
DO $$
BEGIN
  perform pg_catalog.set_config('search_path', '', false);
  perform upper('a');
--        ^ PS016
  /* extguard: ignore PS016 */ perform lower('b');
  perform
    initcap('c');
--  ^ PS016
END $$;
