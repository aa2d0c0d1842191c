-- extguard-args: --sql-accepting run_sql
-- SQL injection (EG201 ||/concat, EG202 format %s) in every dynamic SQL
-- sink, through nested blocks, procedures, DO blocks and functions created
-- inside DO blocks. Bodies set a secure search_path, so only injection shows.
CREATE FUNCTION s.sinks(t text) RETURNS SETOF record LANGUAGE plpgsql SECURITY DEFINER
--                                                                    ^ EG117
SET search_path = pg_catalog, pg_temp AS $$
DECLARE c refcursor; r record;
BEGIN
  RETURN QUERY EXECUTE 'SELECT * FROM ' || t;
--                                         ^ EG201
  OPEN c FOR EXECUTE format('SELECT * FROM %s', t);
--                                              ^ EG202
  FOR r IN EXECUTE 'SELECT * FROM ' || t || ' WHERE true' LOOP
--                                     ^ EG201
    RETURN NEXT r;
  END LOOP;
  -- safe: values passed with USING, quoted names
  RETURN QUERY EXECUTE 'SELECT * FROM ' || quote_ident(t) || ' WHERE x = $1' USING t;
END $$;
-- Taint follows assignments and joins of paths: after END IF, v may still be
-- the unquoted value; quoting cleans it.
CREATE FUNCTION s.paths(p text, flag bool) RETURNS void LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp AS $$
DECLARE v text := 'x'; w text; sql text;
BEGIN
  IF flag THEN
    v := p;
  END IF;
  EXECUTE 'SELECT ' || v;
--                     ^ EG201
  v := quote_literal(v);
  EXECUTE 'SELECT ' || v;
  sql := format('SELECT %s', lower(p));
--                           ^ EG202
  IF flag THEN
    EXECUTE sql;
  END IF;
  w := 'SELECT 1';
  EXECUTE w || ' LIMIT ' || 1;
  SELECT relname INTO w FROM pg_catalog.pg_class LIMIT 1;
  EXECUTE 'ANALYZE ' || w;
--                      ^ EG201
END $$;
-- Nested blocks and their DECLARE defaults; the exception handler sees
-- values assigned anywhere in the block.
CREATE PROCEDURE s.proc(p text) LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp AS $$
DECLARE a text := quote_ident(p);
BEGIN
  DECLARE b text := 'DROP TABLE ' || p;
--                                   ^ EG201
  BEGIN
    a := p;
    EXECUTE 'DROP TABLE ' || quote_ident(a);
    PERFORM s.run_sql('TRUNCATE ' || a);
--                                   ^ EG201
    PERFORM 1 / 0;
  EXCEPTION WHEN division_by_zero THEN
    EXECUTE 'DROP TABLE ' || a;
--                           ^ EG201
    EXECUTE b;
  END;
END $$;
-- A DO block (warning) and a SECURITY DEFINER function created inside one (error).
DO $$
DECLARE n text;
BEGIN
  FOR n IN SELECT nspname FROM pg_catalog.pg_namespace LOOP
    EXECUTE format('GRANT USAGE ON SCHEMA %s TO public', n);
--          ^ PS016
--                                                       ^ EG202
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO public', n);
--          ^ PS016
  END LOOP;
  CREATE FUNCTION s.inner_f(q text) RETURNS void LANGUAGE plpgsql SECURITY DEFINER
--                                                                ^ EG117
  SET search_path = pg_catalog, pg_temp AS $f$
  BEGIN
    EXECUTE 'DELETE FROM s.t WHERE k = ''' || q || '''';
--                                            ^ EG201
    EXECUTE 'DELETE FROM s.t WHERE k = ' || quote_nullable(q);
  END $f$;
END $$;
-- Columns read with SELECT INTO / FOR: quoted columns are clean, others raw
-- (record fields are told apart by column name).
CREATE FUNCTION s.reads() RETURNS void LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp AS $$
DECLARE a text; b text; r record;
BEGIN
  SELECT quote_ident(relname), relname INTO a, b FROM pg_catalog.pg_class LIMIT 1;
  EXECUTE 'ANALYZE ' || a;
  EXECUTE 'ANALYZE ' || b;
--                      ^ EG201
  FOR r IN SELECT format('%I.%I', nspname, relname) AS t FROM s.v LOOP
    EXECUTE 'ANALYZE ' || r.t;
  END LOOP;
  FOR r IN SELECT nspname, quote_ident(relname) AS t FROM s.v LOOP
    EXECUTE 'ANALYZE ' || r.t;
    EXECUTE 'ANALYZE ' || r.nspname;
--                        ^ EG201
  END LOOP;
END $$;
-- Trigger functions: NEW and OLD hold row data from whoever wrote the row.
-- (No EG117: a trigger function cannot be called directly.)
CREATE FUNCTION s.trg() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  EXECUTE 'NOTIFY ch, ''' || NEW.payload || '''';
--                           ^ EG201
  EXECUTE format('NOTIFY ch, %L', NEW.payload);
  EXECUTE 'INSERT INTO s.log SELECT $1.*' USING NEW;
  RETURN NEW;
END $$;
-- A DO block's variables end with it: v below is a column again.
DO $$
DECLARE v text := 'SELECT ' || pg_catalog.current_setting('x');
--                          ^ PS001
--                             ^ EG201
BEGIN
  EXECUTE v;
END $$;
SET search_path = pg_catalog, pg_temp;
SELECT s.run_sql('SELECT ' || v) FROM s.t;
--                            ^ EG201
