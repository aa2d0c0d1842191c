CREATE OR REPLACE FUNCTION public.f() RETURNS int LANGUAGE c AS 'MODULE_PATHNAME', 'f';
--        ^ PS002
-- safe: plain CREATE, then OR REPLACE of the same signature
CREATE FUNCTION public.g(a int) RETURNS int LANGUAGE c AS 'MODULE_PATHNAME', 'g';
CREATE OR REPLACE FUNCTION public.g(a int) RETURNS int LANGUAGE c AS 'MODULE_PATHNAME', 'g';
-- safe: schema created by the script
CREATE SCHEMA ext;
CREATE OR REPLACE PROCEDURE ext.p() LANGUAGE c AS 'MODULE_PATHNAME', 'p';
