-- No password reaches a record (statement, top_query, detail) in any
-- sink: role passwords in every quoting, user mappings, connection
-- strings in each libpq form, SQL with passwords passed to dblink,
-- subscriptions. The harness greps the ring, the file and the log.
-- errors-ok
-- secret: Pw-Role-1
-- secret: Pw-Role-2
-- secret: Pw-Role-3
-- secret: Pw-Role-4
-- secret: Pw-Map-5
-- secret: Pw-Kv-6
-- secret: Pw-Uri-7
-- secret: Pw-Query-8
-- secret: Pw-Exec-9
-- secret: Pw-Tab-10
-- secret: Pw-Sub-11
-- secret: Pw-Do-12
-- secret: Pw-Sub-13
-- secret: Pw-Map-14
-- expect: role_attribute attempted x5
-- expect: create_server attempted
-- expect: user_mapping attempted
-- expect: user_mapping attempted
-- expect: remote_connection attempted x6
-- expect: create_subscription attempted
-- expect: create_subscription attempted
-- expect-detail: password=***
CREATE ROLE eg_pw SUPERUSER LOGIN PASSWORD 'Pw-Role-1';
ALTER ROLE eg_pw PASSWORD 'Pw-Role-2' VALID UNTIL 'infinity';
ALTER ROLE eg_pw WITH ENCRYPTED PASSWORD E'Pw-\'Role-3';
ALTER ROLE eg_pw PASSWORD $q$Pw-Role-4$q$;
ALTER ROLE eg_pw PASSWORD NULL;
CREATE EXTENSION IF NOT EXISTS postgres_fdw;
CREATE EXTENSION IF NOT EXISTS dblink;
CREATE SERVER eg_pw_srv FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host '/nonexistent');
CREATE USER MAPPING FOR postgres SERVER eg_pw_srv OPTIONS (user 'u', "password" 'Pw-Map-5');
ALTER USER MAPPING FOR postgres SERVER eg_pw_srv OPTIONS (SET password 'Pw-Map-14');
SELECT dblink_connect('c_kv', 'host=/nonexistent password = ''Pw-Kv-6'' dbname=x');
SELECT dblink_connect('c_uri', 'postgresql://u:Pw-Uri-7@/x?host=/nonexistent');
SELECT dblink_connect('c_q', 'postgresql:///x?host=/nonexistent&password=Pw-Query-8');
SELECT dblink_exec('host=/nonexistent', 'ALTER ROLE eg_pw PASSWORD ''Pw-Exec-9''');
SELECT dblink_connect('c_tab', E'host=/nonexistent\tpassword\t=\tPw-Tab-10');
DO $$ BEGIN
  PERFORM dblink_connect('c_do', 'password=Pw-Do-12 host=/nonexistent');
EXCEPTION WHEN OTHERS THEN NULL;
END $$;
CREATE SUBSCRIPTION eg_pw_sub CONNECTION 'host=/nonexistent password=Pw-Sub-11' PUBLICATION p WITH (connect = false);
ALTER SUBSCRIPTION eg_pw_sub CONNECTION 'host=/nonexistent password=Pw-Sub-13';
ALTER SUBSCRIPTION eg_pw_sub SET (slot_name = NONE);
DROP SUBSCRIPTION eg_pw_sub;
DROP USER MAPPING FOR postgres SERVER eg_pw_srv;
DROP SERVER eg_pw_srv;
DROP ROLE eg_pw;
