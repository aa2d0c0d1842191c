-- as: eg_reader
-- A member of extguard_reader may read the audit.
SELECT count(*) > 0 FROM extguard.audit_log;
SELECT (extguard.audit_stats()->>'capacity')::int > 0;
