\echo Use "ALTER EXTENSION definer UPDATE" to load this file. \quit
REVOKE ALL ON FUNCTION a() FROM PUBLIC;
