\echo Use "ALTER EXTENSION geokit UPDATE TO '1.0'" to load this file. \quit

DROP SEQUENCE @extschema@.point_ids;

CREATE OR REPLACE FUNCTION @extschema@.label(p @extschema@.points) RETURNS text
LANGUAGE sql SECURITY DEFINER
AS $$ SELECT CASE p.id WHEN 0 THEN 'origin' ELSE p.id::text END $$;

CREATE OR REPLACE FUNCTION @extschema@.near(p @extschema@.points, r float8 DEFAULT 1.0)
RETURNS SETOF @extschema@.points LANGUAGE plpgsql
AS $$
BEGIN
  RETURN QUERY SELECT * FROM points q WHERE dist(p, q) < r;
END
$$;
