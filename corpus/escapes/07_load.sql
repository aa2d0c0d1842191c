-- expect: load attempted
-- expect: load attempted
LOAD 'auto_explain';
DO $$ BEGIN EXECUTE 'LOAD ''auto_explain'''; END $$;
