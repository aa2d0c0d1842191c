-- extguard-args: --sql-accepting run_sql
-- A parameter concatenated into EXECUTE: an error in SECURITY DEFINER.
CREATE FUNCTION s.drop_t(t text) RETURNS void LANGUAGE plpgsql SECURITY DEFINER
--                                                             ^ EG117
SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  EXECUTE 'DROP TABLE ' || t;
--                         ^ EG201
END $$;
-- The same outside SECURITY DEFINER (a warning); concat() and concat_ws() too.
CREATE FUNCTION s.g(t text, u text) RETURNS void LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  EXECUTE concat('SELECT * FROM ', t);
--                                 ^ EG201
  EXECUTE concat_ws(' ', 'SELECT', u);
--                                 ^ EG201
END $$;
-- Taint follows assignments: v is built from p, w from v.
CREATE FUNCTION s.h(p text) RETURNS void LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  v text := 'SELECT * FROM ' || p;
--                              ^ EG201
  w text;
BEGIN
  w := v || ' LIMIT 1';
  EXECUTE w;
END $$;
-- A query result is not trusted either; a record field concatenated.
CREATE FUNCTION s.k() RETURNS void LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp AS $$
DECLARE r record;
BEGIN
  FOR r IN SELECT c.relname FROM pg_catalog.pg_class c LOOP
    EXECUTE 'ANALYZE ' || r.relname;
--                        ^ EG201
  END LOOP;
END $$;
-- sql-accepting functions are sinks as well.
SET search_path = pg_catalog, pg_temp;
SELECT s.run_sql('SELECT ' || t.x) FROM s.t t;
--                            ^ EG201
-- safe: quoted values, numbers, USING parameters, constants
CREATE FUNCTION s.safe(p text, n int) RETURNS void LANGUAGE plpgsql SECURITY DEFINER
--                                                                  ^ EG117
SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  q text := quote_ident(p);
BEGIN
  EXECUTE 'DROP TABLE ' || q;
  EXECUTE 'SELECT ' || quote_literal(p) || ', ' || quote_nullable(p) || ' LIMIT ' || n;
  EXECUTE 'SELECT * FROM s.t WHERE x = $1' USING p;
  EXECUTE 'SELECT ' || p::regclass::oid;
  EXECUTE 'SELECT 1' || '2';
  EXECUTE 'ANALYZE ' || array_to_string(ARRAY(SELECT quote_ident(c.relname) FROM pg_catalog.pg_class c), ', ');
END $$;
-- the span starts at the value, also for casts, subscripts and operators;
-- a subquery's column is raw unless quoted
CREATE FUNCTION s.spans(p text, a text[]) RETURNS void LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  EXECUTE 'SELECT ' || p::text || a[1] || (p OPERATOR(pg_catalog.||) 'x');
--                     ^ EG201
--                                ^ EG201
--                                         ^ EG201
  EXECUTE 'ANALYZE ' || (SELECT c.relname FROM pg_catalog.pg_class c LIMIT 1);
--                      ^ EG201
END $$;
-- safe: parameters of types that cannot carry SQL, by name or by number
CREATE FUNCTION s.by_number(o oid, n bigint, t text) RETURNS void LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  EXECUTE 'SELECT ' || $1 || ', ' || $2 || ', ' || o || ', ' || n;
  EXECUTE 'SELECT ' || $3;
--                     ^ EG201
END $$;
