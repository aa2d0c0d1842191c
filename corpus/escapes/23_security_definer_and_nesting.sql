-- expect: copy_program attempted
-- expect: set_role attempted
-- expect: set_role attempted
-- expect: catalog_dml attempted
-- A SECURITY DEFINER function owned by a superuser, called by a
-- non-superuser, reaches utility statements and catalog DML through SPI.
CREATE FUNCTION sd_copy() RETURNS void LANGUAGE plpgsql SECURITY DEFINER AS $$
BEGIN
  COPY (SELECT 1) TO PROGRAM 'cat > /dev/null';
  UPDATE pg_catalog.pg_authid SET rolcanlogin = rolcanlogin WHERE false;
END $$;
GRANT EXECUTE ON FUNCTION sd_copy() TO eg_alice;
SET ROLE eg_alice;
SELECT sd_copy();
RESET ROLE;
DROP FUNCTION sd_copy();
