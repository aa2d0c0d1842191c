CREATE FUNCTION s.f() RETURNS int LANGUAGE plperlu AS 'return 1';
--                                         ^ EG004 EG115
DO LANGUAGE plpythonu $$ pass $$;
--          ^ EG004 EG115
