-- Where pgspot 0.9.4 gets the search_path state wrong, extguard does not.
SET search_path = pg_catalog, pg_temp;
SELECT f();
SET search_path TO DEFAULT;
SELECT f();
--     ^ PS016
SET search_path = pg_catalog, pg_temp;
RESET ALL;
SELECT f();
--     ^ PS016
-- set_config with a boolean true is local: COMMIT ends it
BEGIN;
SELECT pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
SELECT f();
COMMIT;
SELECT f();
--     ^ PS016
-- ROLLBACK undoes a non-local SET made in the transaction
BEGIN;
SET search_path = pg_catalog, pg_temp;
ROLLBACK;
SELECT f();
--     ^ PS016
-- ALTER ROLE ... SET does not change this session
ALTER ROLE r SET search_path = pg_catalog, pg_temp;
SELECT f();
--     ^ PS016
-- a SET inside an SQL function body cannot protect the rest of that body
CREATE FUNCTION s.g() RETURNS int LANGUAGE sql SET search_path = public AS $$
--              ^ PS005
  SET search_path = pg_catalog, pg_temp;
  SELECT h();
--       ^ PS016
$$;
