;; Well-behaved with state: next() returns 1, 2, 3... while the instance
;; lives. Shows that an instance is reused between calls and discarded after
;; an error (fail() traps).
(module
  (global $n (mut i32) (i32.const 0))
  (func (export "next") (result i32)
    (global.set $n (i32.add (global.get $n) (i32.const 1)))
    (global.get $n))
  (func (export "fail") (result i32) unreachable))
