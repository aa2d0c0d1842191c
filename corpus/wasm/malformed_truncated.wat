;; Malformed: a valid header followed by a type section that claims 255
;; bytes but stops early (written with WAT's binary form).
(module binary "\00asm" "\01\00\00\00" "\01\ff\01" "\60\00")
