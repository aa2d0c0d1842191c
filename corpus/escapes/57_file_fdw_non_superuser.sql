-- as: eg_alice
-- A login role granted SELECT on a file_fdw table reads the server file
-- through it: recorded. Its ANALYZE attempt too (refused with a warning
-- for a non-owner, recorded first).
-- expect: file_fdw attempted
-- expect: file_fdw attempted
-- expect-detail: scan eg_ft3: filename '/etc/passwd'
SELECT count(*) > 0 FROM eg_ft3;
ANALYZE eg_ft3;
