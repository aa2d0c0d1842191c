SELECT f(1);
--     ^ PS016
SELECT s.g(lower('x'));
--         ^ PS016
-- safe
SELECT s.f(1), pg_catalog.lower('x');
