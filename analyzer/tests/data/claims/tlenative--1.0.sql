CREATE FUNCTION @extschema@.native(integer) RETURNS integer
    AS 'MODULE_PATHNAME', 'native' LANGUAGE c STRICT;
