;; Hostile: returns bytes that are not UTF-8 as text.
(module
  (memory (export "memory") 1)
  (data (i32.const 16) "\ff\fe\fd")
  (func (export "bad_text") (result i64) (i64.const 0x0000001000000003)))
