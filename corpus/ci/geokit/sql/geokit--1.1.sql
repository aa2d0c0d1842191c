\echo Use "CREATE EXTENSION geokit" to load this file. \quit

SET LOCAL search_path = pg_catalog, pg_temp;

CREATE TABLE @extschema@.points (id int PRIMARY KEY, x float8, y float8);
CREATE SEQUENCE @extschema@.point_ids;

CREATE FUNCTION @extschema@.dist(a @extschema@.points, b @extschema@.points)
RETURNS float8 LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp
AS $$ SELECT sqrt((a.x - b.x) ^ 2 + (a.y - b.y) ^ 2) $$;

CREATE FUNCTION @extschema@.label(p @extschema@.points) RETURNS text
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$ SELECT 'point ' || p.id::text $$;
