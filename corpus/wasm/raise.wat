;; The raise import (sandbox/ABI.md, "Messages"). say(level, msg, code)
;; raises msg at level (0 DEBUG .. 4 WARNING, 5 ERROR) with SQLSTATE code
;; ('' for the default) and returns 7; flood(n) raises n NOTICEs "hello";
;; bulk(n) raises one NOTICE of the first n bytes of memory.
(module
  (import "extguard" "raise" (func $raise (param i32 i32 i32 i32 i32) (result i32)))
  (func (export "extguard_abi_5"))
  (memory (export "memory") 2)
  (data (i32.const 0) "hello")
  (global $top (mut i32) (i32.const 1024))
  (func (export "reset") (global.set $top (i32.const 1024)))
  (func (export "alloc") (param $len i32) (result i32)
    (local $p i32)
    (local.set $p (global.get $top))
    (global.set $top (i32.and (i32.add (i32.add (local.get $p) (local.get $len)) (i32.const 7))
                              (i32.const -8)))
    (local.get $p))
  (func (export "say") (param $level i32) (param $m i32) (param $mn i32)
                       (param $c i32) (param $cn i32) (result i32)
    (drop (call $raise (local.get $level) (local.get $m) (local.get $mn)
                       (local.get $c) (local.get $cn)))
    (i32.const 7))
  (func (export "flood") (param $n i32) (result i32)
    (local $i i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_s (local.get $i) (local.get $n)))
        (drop (call $raise (i32.const 3) (i32.const 0) (i32.const 5) (i32.const 0) (i32.const 0)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (local.get $n))
  (func (export "bulk") (param $n i32) (result i32)
    (call $raise (i32.const 3) (i32.const 0) (local.get $n) (i32.const 0) (i32.const 0))))
