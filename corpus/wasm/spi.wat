;; The SPI import (sandbox/ABI.md, "SPI"): q(text) runs a query, qp(text,
;; text) runs it with one parameter; both return the JSON rows, or the
;; error text ("SQLSTATE: message") when the query failed.
(module
  (import "extguard" "spi_query" (func $spi (param i32 i32 i32 i32) (result i64)))
  (memory (export "memory") 1)
  (global $top (mut i32) (i32.const 1024))
  (func (export "extguard_abi_2"))
  (func (export "reset") (global.set $top (i32.const 1024)))
  (func $alloc (export "alloc") (param $len i32) (result i32)
    (local $p i32) (local $end i32)
    (local.set $p (global.get $top))
    (local.set $end (i32.and (i32.add (i32.add (local.get $p) (local.get $len)) (i32.const 7))
                             (i32.const -8)))
    (if (i32.gt_u (local.get $end) (i32.mul (memory.size) (i32.const 65536)))
      (then (drop (memory.grow
        (i32.add (i32.shr_u (i32.sub (local.get $end) (i32.mul (memory.size) (i32.const 65536)))
                            (i32.const 16)) (i32.const 1))))))
    (global.set $top (local.get $end))
    (local.get $p))
  ;; the rows, or the error text without the error bit
  (func $plain (param $r i64) (result i64)
    (i64.and (local.get $r) (i64.const 0x7fffffffffffffff)))
  (func (export "q") (param $p i32) (param $n i32) (result i64)
    (call $plain (call $spi (local.get $p) (local.get $n) (i32.const 0) (i32.const 0))))
  (func (export "qp") (param $p i32) (param $n i32) (param $a i32) (param $an i32) (result i64)
    (local $buf i32)
    (local.set $buf (call $alloc (i32.add (local.get $an) (i32.const 4))))
    (i32.store (local.get $buf) (local.get $an))
    (memory.copy (i32.add (local.get $buf) (i32.const 4)) (local.get $a) (local.get $an))
    (call $plain (call $spi (local.get $p) (local.get $n)
                            (local.get $buf) (i32.add (local.get $an) (i32.const 4)))))
)
