   SELEC 1;
-- ^ EG001
-- the next statement is still analysed
SELECT f();
--     ^ PS016
