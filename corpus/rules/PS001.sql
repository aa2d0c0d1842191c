SELECT a + b FROM s.t;
--       ^ PS001
SELECT 1 FROM s.t WHERE x LIKE 'a%' AND y BETWEEN 1 AND 2;
--                        ^ PS001
--                                        ^ PS001
-- safe: qualified operator
SELECT a OPERATOR(pg_catalog.+) b FROM s.t;
SET search_path = pg_catalog, pg_temp;
-- safe: secure search_path
SELECT a + b FROM t;
