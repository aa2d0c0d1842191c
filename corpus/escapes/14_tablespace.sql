-- expect: create_tablespace attempted
-- expect-error: directory "/extguard_nonexistent" does not exist
CREATE TABLESPACE eg_ts LOCATION '/extguard_nonexistent';
