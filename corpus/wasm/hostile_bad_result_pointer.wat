;; Hostile: returns a text (ptr, len) far outside its 64 KiB memory, hoping
;; the host reads past it.
(module
  (memory (export "memory") 1)
  (func (export "leak") (result i64)
    (i64.const 0x0000f00000100000)))
