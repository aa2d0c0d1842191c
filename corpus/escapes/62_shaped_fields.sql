-- Fields an attacker shapes: a command behind hundreds of blanks and
-- comments (the record shows the command, not the padding), a file name
-- built by an expression (the record's detail carries the name the
-- function receives: constant-folded by the planner, or bound from a
-- PL/pgSQL variable), a long statement whose target is at its end.
-- expect: copy_program attempted
-- expect: file_read attempted
-- expect: file_read attempted
-- expect: file_read attempted
-- expect: file_read attempted
-- expect-field: statement=COPY (SELECT 1) TO PROGRAM 'cat > /dev/null'
-- expect-field: statement~=pg_read_file('postgresql.conf', 0, 1)
-- expect-detail: args: postgresql.conf
-- expect-detail: args: pg_hba.conf
-- expect-detail: args: pg_ident.conf
DO $$ BEGIN EXECUTE repeat(' ', 700) || repeat('/* padding */ ', 100) || '-- x' || chr(10) || 'COPY (SELECT 1) TO PROGRAM ''cat > /dev/null'''; END $$;
SELECT length(pg_read_file('postgresql' || '.' || 'conf', 0, 1));
SELECT length(pg_read_file(f, 0, 1)) FROM (SELECT 'pg_' || 'hba.conf' AS f) s;
DO $$ DECLARE f text := 'pg_ident' || '.conf'; n int; BEGIN
  SELECT length(pg_read_file(f, 0, 1)) INTO n;
END $$;
SELECT 'padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding' <> 'z'
  AND length(pg_read_file('postgresql.conf', 0, 1)) > 0;
