CREATE FUNCTION @extschema@.whoami() RETURNS text
    LANGUAGE sql SECURITY DEFINER
    AS 'SELECT current_user';
