-- A DO block nested deeper than the PL/pgSQL tree reader accepts.
DO $$ BEGIN IF true THEN IF true THEN IF true THEN IF true THEN IF true THEN IF true THEN IF true THEN IF true THEN IF true THEN IF true THEN IF true THEN IF true THEN IF true THEN IF true THEN IF true THEN IF true THEN IF true THEN IF true THEN IF true THEN IF true THEN IF true THEN IF true THEN IF true THEN IF true THEN IF true THEN IF true THEN IF true THEN IF true THEN IF true THEN IF true THEN IF true THEN IF true THEN IF true THEN IF true THEN IF true THEN IF true THEN IF true THEN IF true THEN IF true THEN IF true THEN PERFORM 1; END IF; END IF; END IF; END IF; END IF; END IF; END IF; END IF; END IF; END IF; END IF; END IF; END IF; END IF; END IF; END IF; END IF; END IF; END IF; END IF; END IF; END IF; END IF; END IF; END IF; END IF; END IF; END IF; END IF; END IF; END IF; END IF; END IF; END IF; END IF; END IF; END IF; END IF; END IF; END IF; END $$;
--    ^ EG006
-- the next statement is still analysed
SELECT f();
--     ^ PS016
