SET search_path = pg_catalog, pg_temp;
CREATE TRUSTED LANGUAGE plpython3u HANDLER s.plpython3_call_handler;
--                      ^ EG114
CREATE OR REPLACE PROCEDURAL LANGUAGE plsample HANDLER s.plsample_call_handler;
--                                    ^ EG114
-- safe: without HANDLER this is CREATE EXTENSION plperl
CREATE LANGUAGE plperl;
COMMENT ON LANGUAGE plpgsql IS 'x';
