-- expect: copy_file attempted
-- expect: copy_file attempted
-- expect: copy_file attempted
COPY (SELECT 1) TO '/dev/null';
CREATE TEMP TABLE t_f(x text);
COPY t_f FROM '/etc/hostname';
CREATE FUNCTION copy_in_fn() RETURNS void LANGUAGE plpgsql AS $$
BEGIN COPY t_f TO '/dev/null'; END $$;
SELECT copy_in_fn();
DROP FUNCTION copy_in_fn();
