CREATE TYPE @extschema@.tag;
CREATE FUNCTION @extschema@.tag_in(cstring) RETURNS @extschema@.tag
    AS 'MODULE_PATHNAME', 'tag_in' LANGUAGE c IMMUTABLE STRICT;
CREATE FUNCTION @extschema@.tag_out(@extschema@.tag) RETURNS cstring
    AS 'MODULE_PATHNAME', 'tag_out' LANGUAGE c IMMUTABLE STRICT;
CREATE TYPE @extschema@.tag (
    INTERNALLENGTH = 8,
    INPUT = @extschema@.tag_in,
    OUTPUT = @extschema@.tag_out
);
CREATE FUNCTION @extschema@.helper(integer) RETURNS integer
    AS '$libdir/otherlib', 'helper' LANGUAGE c STRICT;
