\echo Use "CREATE EXTENSION definer" to load this file. \quit
CREATE FUNCTION a() RETURNS int LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS 'SELECT 1';
CREATE FUNCTION b() RETURNS int LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS 'SELECT 2';
