;; Malformed: wasm magic with an unknown version number.
(module binary "\00asm" "\63\00\00\00")
