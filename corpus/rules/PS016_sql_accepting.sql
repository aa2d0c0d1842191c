-- extguard-args: --sql-accepting run_sql
SET search_path = pg_catalog, pg_temp;
SELECT s.run_sql('SELECT unsafe(1) FROM t');
SET search_path = public;
SELECT s.run_sql('SELECT unsafe(1) FROM s.t', 5, true);
--                       ^ PS016
