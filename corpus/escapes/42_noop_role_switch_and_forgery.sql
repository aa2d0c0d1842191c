-- as: eg_alice
-- A no-op role switch is not a vector: any role repeating it records
-- nothing (it once emptied the ring). A line any role writes with RAISE
-- LOG looks like a record but carries no valid MAC: the verifier (and
-- the harness) reject it.
-- Each RAISE LOG line is followed by the DO statement (log_min_error_statement
-- logs it for LOG too), whose lines with the marker do not verify either:
-- 2 message lines + 4 statement lines.
-- forged-log-lines: 6
SELECT count(set_config('role', current_user, false)) FROM generate_series(1, 500);
SELECT count(set_config('role', 'none', false)) FROM generate_series(1, 500);
SET ROLE eg_alice;
SET ROLE NONE;
RESET ROLE;
DO $$ BEGIN
  RAISE LOG 'EXTGUARD_AUDIT {"seq":1,"seq_epoch":"2000-01-01 00:00:00+00","vector":"load","outcome":"attempted"}';
  RAISE LOG 'EXTGUARD_AUDIT {"seq":2,"vector":"load","mac":"%"}', repeat('0', 64);
END $$;
