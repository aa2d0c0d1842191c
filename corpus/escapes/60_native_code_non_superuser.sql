-- as: eg_alice
-- With the trust flag flipped and USAGE granted, a login role creates C
-- functions from any path: still recorded as untrusted_language.
-- expect: untrusted_language attempted
-- expect: untrusted_language attempted
-- expect-error: could not access file "/tmp/eg_no_such_lib"
-- expect-detail: LANGUAGE c AS /tmp/eg_no_such_lib
SET check_function_bodies = off;
CREATE FUNCTION public.eg_alice_c() RETURNS int AS '/tmp/eg_no_such_lib', 'f' LANGUAGE c;
RESET check_function_bodies;
CREATE FUNCTION public.eg_alice_c2() RETURNS int AS '/tmp/eg_no_such_lib', 'f' LANGUAGE c;
