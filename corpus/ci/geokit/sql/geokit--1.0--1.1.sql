\echo Use "ALTER EXTENSION geokit UPDATE TO '1.1'" to load this file. \quit

CREATE SCHEMA IF NOT EXISTS geokit_internal;
CREATE SEQUENCE IF NOT EXISTS @extschema@.point_ids;

CREATE OR REPLACE FUNCTION @extschema@.label(p @extschema@.points) RETURNS text
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$ SELECT 'point ' || p.id::text $$;

CREATE FUNCTION @extschema@.area(r float8) RETURNS float8
LANGUAGE plv8 AS $$ return Math.PI * r * r; $$;
