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
