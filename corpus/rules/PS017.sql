SELECT * FROM t;
--            ^ PS017
SELECT 'a'::text FROM s.t;
--          ^ PS017
CREATE OPERATOR <-> (LEFTARG = int, RIGHTARG = int, FUNCTION = s.f);
--              ^ PS017
-- safe: CTE names, qualified names, keyword types
WITH t AS (SELECT 1 AS a) SELECT a FROM t;
SELECT 1::int, 'x'::pg_catalog.text FROM s.t;
