CREATE OR REPLACE AGGREGATE public.agg(int) (SFUNC = pg_catalog.int4pl, STYPE = int);
--        ^ PS007
CREATE COLLATION IF NOT EXISTS public.c (provider = icu, locale = 'und');
--                      ^ PS007
CREATE TABLE IF NOT EXISTS public.t2 AS SELECT 1 AS a;
--                  ^ PS007
-- safe
CREATE AGGREGATE public.agg2(int) (SFUNC = pg_catalog.int4pl, STYPE = int);
CREATE OR REPLACE AGGREGATE public.agg2(int) (SFUNC = pg_catalog.int4pl, STYPE = int);
