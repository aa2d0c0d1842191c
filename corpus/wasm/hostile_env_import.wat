;; Hostile: imports a host function "env"."system". Rejected at load time.
(module
  (import "env" "system" (func $system (param i32) (result i32)))
  (func (export "f") (result i32) (call $system (i32.const 0))))
