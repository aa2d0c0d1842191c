CREATE FUNCTION @extschema@.run_as_owner() RETURNS void
    LANGUAGE sql SECURITY DEFINER
    AS 'SELECT 1';
