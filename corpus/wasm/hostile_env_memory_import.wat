;; Hostile: imports a memory, hoping to share one with the host.
(module
  (import "env" "memory" (memory 1))
  (func (export "f") (result i32) (i32.const 1)))
