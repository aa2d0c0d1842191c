CREATE OR REPLACE VIEW public.v AS SELECT 1 AS a;
--        ^ PS015
-- safe
CREATE VIEW public.v2 AS SELECT 1 AS a;
