CREATE FUNCTION @extschema@.plain_stats() RETURNS bigint
    AS 'MODULE_PATHNAME', 'plain_stats' LANGUAGE c STRICT;
