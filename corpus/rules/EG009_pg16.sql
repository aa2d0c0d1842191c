-- extguard-args: --pg-version 16
SET search_path = pg_catalog, pg_temp;
-- safe: PostgreSQL 16 substitutes the schema of a required extension
SELECT @extschema:cube@.cube(1);
