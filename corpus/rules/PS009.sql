SELECT CASE a WHEN 1 THEN 'x' END FROM s.t;
--     ^ PS009
-- safe: searched CASE with a qualified operator
SELECT CASE WHEN a OPERATOR(pg_catalog.=) 1 THEN 'x' END FROM s.t;
