SET search_path = pg_catalog, pg_temp;
CREATE FUNCTION s.f() RETURNS int AS '/tmp/x.so', 'f' LANGUAGE c;
--                                   ^ EG115
CREATE FUNCTION s.g() RETURNS int AS 'evil', 'g' LANGUAGE C STRICT;
--                                   ^ EG115
CREATE FUNCTION s.innocent(text) RETURNS text AS 'pg_read_file_all' LANGUAGE internal;
--                                               ^ EG115
CREATE FUNCTION s.myin(cstring) RETURNS s.t AS 'textin' LANGUAGE internal IMMUTABLE STRICT;
--                                             ^ EG115
CREATE FUNCTION s.py() RETURNS int LANGUAGE plpython3u AS 'import os; return 1';
--                                          ^ EG004 EG115
CREATE FUNCTION s.pl() RETURNS int AS 'return 1' LANGUAGE plperlu;
--                                                        ^ EG004 EG115
DO LANGUAGE pltclu $$ exec id $$;
--          ^ EG004 EG115
-- safe
CREATE FUNCTION s.h() RETURNS int AS 'MODULE_PATHNAME', 'h' LANGUAGE c;
CREATE FUNCTION s.k() RETURNS int AS '$libdir/mymod', 'k' LANGUAGE c;
CREATE FUNCTION s.p() RETURNS int LANGUAGE plperl AS 'return 1';
--                                         ^ EG004
