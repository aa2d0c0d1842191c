-- LANGUAGE c stays untrusted after `UPDATE pg_language SET lanpltrusted`
-- (classified by what the language is, not by the flag), for the
-- superuser here and for the login role it is then granted to (next
-- file). DO in C and internal is untrusted too.
-- expect: catalog_dml attempted
-- expect: catalog_dml attempted
-- expect: untrusted_language attempted
-- expect: untrusted_language attempted
-- expect: untrusted_language attempted
-- expect-detail: CREATE FUNCTION eg_c_flip LANGUAGE c AS $libdir/eg_no_such_lib
-- expect-error: language "c" does not support inline code execution
SET check_function_bodies = off;
UPDATE pg_language SET lanpltrusted = true WHERE lanname = 'c';
UPDATE pg_language SET lanpltrusted = true WHERE lanname = 'internal';
CREATE FUNCTION eg_c_flip() RETURNS int AS '$libdir/eg_no_such_lib', 'f' LANGUAGE c;
CREATE FUNCTION eg_internal_flip(text) RETURNS text LANGUAGE internal AS 'pg_read_file_all';
DO LANGUAGE c $$ x $$;
GRANT USAGE ON LANGUAGE c TO eg_alice;
GRANT CREATE ON SCHEMA public TO eg_alice;
