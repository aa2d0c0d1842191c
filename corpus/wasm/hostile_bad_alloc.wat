;; Hostile: alloc() returns a pointer at the very end of memory, hoping the
;; host writes past it.
(module
  (memory (export "memory") 1)
  (func (export "alloc") (param i32) (result i32) (i32.const 65530))
  (func (export "len") (param i32 i32) (result i32) (local.get 1)))
