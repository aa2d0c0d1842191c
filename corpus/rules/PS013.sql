CREATE SERVER IF NOT EXISTS srv FOREIGN DATA WRAPPER postgres_fdw;
--                   ^ PS013
-- safe
CREATE SERVER srv2 FOREIGN DATA WRAPPER postgres_fdw;
