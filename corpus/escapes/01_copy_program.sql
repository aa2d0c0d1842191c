-- expect: copy_program attempted
-- expect: copy_program attempted
-- expect: copy_program attempted
-- expect: copy_program attempted
-- Top level, both directions, from DO + EXECUTE, and a failing program.
-- expect-error: program "exit 3" failed
COPY (SELECT 'x') TO PROGRAM 'cat > /dev/null';
CREATE TEMP TABLE t_in(x text);
COPY t_in FROM PROGRAM 'echo hi';
DO $$ BEGIN EXECUTE 'COPY (SELECT 1) TO PROGRAM ''cat > /dev/null'''; END $$;
COPY (SELECT 1) TO PROGRAM 'exit 3';
