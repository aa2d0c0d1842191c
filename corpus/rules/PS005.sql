CREATE FUNCTION s.f() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;
--              ^ PS005
CREATE FUNCTION s.g() RETURNS int LANGUAGE plpgsql SET search_path = public AS $$ BEGIN RETURN 1; END $$;
--              ^ PS005
-- safe: secure clause; SQL-standard body resolved at creation time; C function
CREATE FUNCTION s.h() RETURNS int LANGUAGE sql SET search_path = pg_catalog, pg_temp AS $$ SELECT 1 $$;
CREATE FUNCTION s.i() RETURNS int LANGUAGE sql RETURN 1;
CREATE FUNCTION s.j() RETURNS int LANGUAGE c AS 'MODULE_PATHNAME', 'j';
