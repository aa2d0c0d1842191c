-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION geokit" to load this file. \quit

CREATE TABLE @extschema@.points (id int PRIMARY KEY, x float8, y float8);

CREATE FUNCTION @extschema@.dist(a @extschema@.points, b @extschema@.points)
RETURNS float8 LANGUAGE sql IMMUTABLE
AS $$ SELECT sqrt((a.x - b.x) ^ 2 + (a.y - b.y) ^ 2) $$;

CREATE OR REPLACE FUNCTION @extschema@.near(p @extschema@.points, r float8 DEFAULT 1.0)
RETURNS SETOF @extschema@.points LANGUAGE plpgsql
AS $$
BEGIN
  RETURN QUERY SELECT * FROM points q WHERE dist(p, q) < r;
END
$$;

CREATE FUNCTION @extschema@.label(p @extschema@.points) RETURNS text
LANGUAGE sql SECURITY DEFINER
AS $$ SELECT CASE p.id WHEN 0 THEN 'origin' ELSE p.id::text END $$;
