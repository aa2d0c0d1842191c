CREATE FUNCTION @extschema@.hook_stats() RETURNS bigint
    AS 'MODULE_PATHNAME', 'hook_stats' LANGUAGE c STRICT;
