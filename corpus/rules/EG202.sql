-- format('%s') of a parameter: an error in SECURITY DEFINER, a warning elsewhere.
CREATE FUNCTION s.count_rows(t text) RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER
--                                                                   ^ EG117
SET search_path = pg_catalog, pg_temp AS $$
DECLARE n bigint;
BEGIN
  EXECUTE format('SELECT count(*) FROM %s', t) INTO n;
--                                          ^ EG202
  RETURN n;
END $$;
CREATE FUNCTION s.g(t text, c text) RETURNS SETOF record LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  RETURN QUERY EXECUTE format('SELECT %2$s FROM %1$I', t, c);
--                                                        ^ EG202
END $$;
-- a non-constant format string
CREATE FUNCTION s.h(f text) RETURNS void LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  EXECUTE format(f, 1);
--               ^ EG202
END $$;
-- safe: %I, %L, %% and constant or numeric %s arguments
CREATE FUNCTION s.safe(t text, n int) RETURNS void LANGUAGE plpgsql SECURITY DEFINER
--                                                                  ^ EG117
SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  EXECUTE format('SELECT %L, 100%% FROM %I LIMIT %s', t, t, n);
  EXECUTE format('SELECT %s FROM %I', 'count(*)', t);
END $$;
-- safe: values the server quotes itself (format_type, pg_get_*def, reg*
-- casts, quote_ident, format('%I')) and numeric parameters, by name or $n
CREATE FUNCTION s.retype(rel regclass, col name, n int, o oid) RETURNS void LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  ty text;
  ix text;
BEGIN
  SELECT format_type(a.atttypid, a.atttypmod) INTO ty
    FROM pg_catalog.pg_attribute a WHERE a.attrelid = rel AND a.attname = col;
  SELECT pg_get_indexdef(i.indexrelid) INTO ix FROM pg_catalog.pg_index i WHERE i.indrelid = rel LIMIT 1;
  EXECUTE format('ALTER TABLE %s ALTER COLUMN %I TYPE %s', rel::text, col, ty);
  EXECUTE format('%s', ix);
  EXECUTE format('SELECT %s, %s, %s', $3, o, $4::regclass::text);
  EXECUTE format('SELECT %s FROM %s', quote_ident(col), format('%I.%I', 's', col));
  -- but a name is not quoted
  EXECUTE format('SELECT %s', col);
--                            ^ EG202
  EXECUTE format('SELECT %s', $2);
--                            ^ EG202
END $$;
