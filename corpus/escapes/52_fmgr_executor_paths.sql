-- Aliases reached through expressions the executor sets up in unusual
-- places: a cast, a column default, a domain check, an index expression,
-- an aggregate's transition function, a SECURITY DEFINER alias. Each call
-- is recorded once for the statement, not once by the setup and again by
-- the fmgr hook.
-- expect: untrusted_language attempted
-- expect: untrusted_language attempted
-- expect: untrusted_language attempted
-- expect: untrusted_language attempted
-- expect: server_control attempted
-- expect: server_control attempted
-- expect: server_control attempted
-- expect: server_control attempted
-- expect: server_control attempted
-- expect: server_control attempted
-- expect: server_control attempted
-- expect-detail: eg_rot (internal pg_rotate_logfile
-- expect-detail: eg_sfunc (internal pg_rotate_logfile
-- expect-detail: eg_rot_definer (internal pg_rotate_logfile
CREATE TYPE eg_pair AS (a int);
CREATE FUNCTION eg_castfn(eg_pair) RETURNS bool LANGUAGE internal STRICT AS :'rotate';
CREATE CAST (eg_pair AS bool) WITH FUNCTION eg_castfn(eg_pair);
-- cast: 1
SELECT ROW(1)::eg_pair::bool;
CREATE FUNCTION eg_rot(int) RETURNS bool LANGUAGE internal IMMUTABLE AS :'rotate';
CREATE TABLE eg_defaults(x int, y bool DEFAULT eg_rot(0));
-- default: 1
INSERT INTO eg_defaults(x) VALUES (1), (2);
CREATE DOMAIN eg_dom AS int CHECK (eg_rot(VALUE) IS NOT NULL);
-- domain check: 1
SELECT 5::eg_dom;
CREATE TABLE eg_ix(x int);
INSERT INTO eg_ix VALUES (1), (2);
-- index expression at build: 1
CREATE INDEX eg_ix_expr ON eg_ix ((eg_rot(x)));
-- index expression at insert: 1
INSERT INTO eg_ix VALUES (3);
CREATE FUNCTION eg_sfunc(bool, int) RETURNS bool LANGUAGE internal AS :'rotate';
CREATE AGGREGATE eg_agg(int) (SFUNC = eg_sfunc, STYPE = bool, INITCOND = 'false');
-- aggregate transition function: 1
SELECT eg_agg(x) FROM eg_ix;
CREATE FUNCTION eg_rot_definer() RETURNS bool LANGUAGE internal SECURITY DEFINER AS :'rotate';
-- security definer alias: 1
SELECT eg_rot_definer();
DROP TABLE eg_defaults, eg_ix;
DROP DOMAIN eg_dom;
DROP AGGREGATE eg_agg(int);
