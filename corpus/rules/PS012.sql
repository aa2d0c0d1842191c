CREATE TABLE IF NOT EXISTS public.t(a int);
--                  ^ PS012
-- safe
CREATE SCHEMA ext;
CREATE TABLE IF NOT EXISTS ext.t(a int);
