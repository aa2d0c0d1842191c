;; Hostile: asks for WASI (files, clock, environment). The sandbox offers
;; no imports, so this is rejected at load time naming the import.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "f") (result i32) (i32.const 1)))
