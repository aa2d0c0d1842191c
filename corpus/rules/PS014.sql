CREATE INDEX IF NOT EXISTS i ON public.t(a);
--                  ^ PS014
-- safe
CREATE INDEX i2 ON public.t(a);
