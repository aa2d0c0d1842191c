-- database: eg_latin1 LATIN1
-- In a LATIN1 database the record shows what the server executes, as
-- valid UTF-8 converted once (the three sinks are compared byte for
-- byte by the harness).
-- expect: copy_file attempted
-- expect-detail: TO /tmp/eg_café_latin1.txt
-- expect-field: statement~=café
-- expect-field: database=eg_latin1
-- errors-ok
SET client_encoding = 'UTF8';
COPY (SELECT 'é') TO '/tmp/eg_café_latin1.txt';
