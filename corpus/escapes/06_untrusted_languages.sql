-- expect: untrusted_language attempted
-- expect: create_language attempted
-- expect: untrusted_language attempted
-- expect: untrusted_language attempted
-- expect-error(-17): could not access file "$libdir/extguard_no_such_lib"
-- expect-error(18-): could not access file "extguard_no_such_lib"
-- expect-error: does not support inline code execution
CREATE FUNCTION cfun() RETURNS int AS '$libdir/extguard_no_such_lib', 'f' LANGUAGE c;
CREATE LANGUAGE plfoo HANDLER plpgsql_call_handler;
DO LANGUAGE plfoo $$ x $$;
DO $$ BEGIN EXECUTE 'DO LANGUAGE plfoo $x$ y $x$'; END $$;
DROP LANGUAGE plfoo;
-- Trusted languages are not recorded.
DO $$ BEGIN NULL; END $$;
CREATE FUNCTION sqlf() RETURNS int LANGUAGE sql AS 'SELECT 1';
DROP FUNCTION sqlf();
