-- Calls through the function manager outside the executor's setup:
-- trigger and event-trigger functions, a type's input function (called by
-- the parser), a btree opclass comparison function (called by the index
-- build's sort and by index inserts). All LANGUAGE internal aliases of
-- pg_rotate_logfile; one record per function per statement.
-- expect: untrusted_language attempted
-- expect: untrusted_language attempted
-- expect: untrusted_language attempted
-- expect: untrusted_language attempted
-- expect: untrusted_language attempted
-- expect: event_trigger attempted
-- expect: server_control attempted
-- expect: server_control attempted
-- expect: server_control attempted
-- expect: server_control attempted
-- expect: server_control attempted
-- expect-field: hook=fmgr
-- expect-detail: eg_trg (internal pg_rotate_logfile
-- expect-detail: eg_evt (internal pg_rotate_logfile
-- expect-detail: eg_ty_in (internal pg_rotate_logfile
-- expect-detail: eg_cmp (internal pg_rotate_logfile
CREATE FUNCTION eg_trg() RETURNS trigger LANGUAGE internal AS :'rotate';
CREATE TABLE eg_tt(x int);
GRANT INSERT ON eg_tt TO PUBLIC;
CREATE TRIGGER eg_tt_after AFTER INSERT ON eg_tt FOR EACH STATEMENT EXECUTE FUNCTION eg_trg();
-- trigger: 1 record for the statement
INSERT INTO eg_tt VALUES (1), (2);
CREATE FUNCTION eg_evt() RETURNS event_trigger LANGUAGE internal AS :'rotate';
CREATE EVENT TRIGGER eg_evt ON ddl_command_end WHEN TAG IN ('CREATE SEQUENCE')
  EXECUTE FUNCTION eg_evt();
-- event trigger: 1 record
CREATE SEQUENCE eg_seq_evt;
DROP EVENT TRIGGER eg_evt;
DROP SEQUENCE eg_seq_evt;
-- a type whose input function is an alias: called by the parser
CREATE TYPE eg_ty;
CREATE FUNCTION eg_ty_in(cstring) RETURNS eg_ty LANGUAGE internal STRICT AS :'rotate';
CREATE FUNCTION eg_ty_out(eg_ty) RETURNS cstring LANGUAGE internal STRICT AS 'boolout';
CREATE TYPE eg_ty (INPUT = eg_ty_in, OUTPUT = eg_ty_out, INTERNALLENGTH = 1, PASSEDBYVALUE, ALIGNMENT = char);
SELECT 'x'::eg_ty;
-- a btree opclass whose comparison function is an alias
CREATE FUNCTION eg_cmp(int4, int4) RETURNS int4 LANGUAGE internal IMMUTABLE STRICT AS :'rotate';
CREATE OPERATOR CLASS eg_ops FOR TYPE int4 USING btree AS
  OPERATOR 1 <, OPERATOR 2 <=, OPERATOR 3 =, OPERATOR 4 >=, OPERATOR 5 >,
  FUNCTION 1 eg_cmp(int4, int4);
CREATE TABLE eg_it(x int);
INSERT INTO eg_it VALUES (1), (2), (3);
GRANT INSERT ON eg_it TO PUBLIC;
-- index build sorts with the comparison function: 1 record
CREATE INDEX eg_it_x ON eg_it (x eg_ops);
-- index insert compares: 1 record
INSERT INTO eg_it VALUES (4);
