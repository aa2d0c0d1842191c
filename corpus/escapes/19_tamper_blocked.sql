-- expect: extguard_setting attempted
-- expect: extguard_tamper blocked
-- expect: extguard_tamper blocked
-- expect: extguard_tamper blocked
-- expect: extguard_setting attempted
-- expect-error: extguard: extguard_tamper is blocked on this server
SET extguard.block = 'extguard_tamper';
DROP EXTENSION extguard;
ALTER EXTENSION extguard UPDATE;
DROP SCHEMA extguard CASCADE;
RESET extguard.block;
