CREATE SEQUENCE IF NOT EXISTS public.sq;
--                     ^ PS011
-- safe
CREATE SEQUENCE public.sq2;
