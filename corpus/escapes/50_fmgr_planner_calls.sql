-- Function vectors the executor never sets up, seen at call time by the
-- fmgr hook (hook "fmgr"): an operator's RESTRICT and JOIN estimators and
-- a function's SUPPORT function, called by the planner. Each is a
-- LANGUAGE internal alias of pg_rotate_logfile (returns false = 0 here:
-- no logging collector, so the planner reads "0" and goes on).
-- expect: untrusted_language attempted
-- expect: untrusted_language attempted
-- expect: untrusted_language attempted
-- expect: server_control attempted
-- expect: server_control attempted
-- expect: server_control attempted
-- expect-field: hook=fmgr
-- expect-detail: eg_est (internal pg_rotate_logfile
-- expect-detail: eg_joinest (internal pg_rotate_logfile
-- expect-detail: eg_support (internal pg_rotate_logfile
CREATE FUNCTION eg_est(internal, oid, internal, integer) RETURNS float8
  LANGUAGE internal AS :'rotate';
CREATE FUNCTION eg_joinest(internal, oid, internal, smallint, internal) RETURNS float8
  LANGUAGE internal AS :'rotate';
CREATE FUNCTION eg_support(internal) RETURNS internal
  LANGUAGE internal AS :'rotate';
CREATE OPERATOR <<< (LEFTARG = int, RIGHTARG = int, FUNCTION = int4lt, RESTRICT = eg_est);
CREATE OPERATOR >>> (LEFTARG = int, RIGHTARG = int, FUNCTION = int4gt, JOIN = eg_joinest);
CREATE FUNCTION eg_supported(int) RETURNS int LANGUAGE sql IMMUTABLE
  SUPPORT eg_support AS 'SELECT $1';
CREATE TABLE eg_pl(x int);
GRANT SELECT ON eg_pl TO PUBLIC;
-- planner: restriction estimate (one record for the statement)
SELECT count(*) FROM eg_pl WHERE x <<< 1 AND x <<< 2;
-- planner: join estimate
SELECT count(*) FROM eg_pl a JOIN eg_pl b ON a.x >>> b.x;
-- planner: support function (simplification request)
SELECT eg_supported(x) FROM eg_pl;
