CREATE FUNCTION @extschema@.read_any(text) RETURNS text
    AS 'pg_read_file_all' LANGUAGE internal STRICT;
REVOKE ALL ON FUNCTION @extschema@.read_any(text) FROM PUBLIC;
