;; ABI version 2 examples: arrays, sets, numeric, the NULL mask and NULL
;; results (sandbox/ABI.md). One module, several exports.
(module
  (memory (export "memory") 1)
  (global $top (mut i32) (i32.const 1024))
  ;; declares ABI version 2
  (func (export "extguard_abi_2"))
  (func (export "reset") (global.set $top (i32.const 1024)))
  ;; bump allocator, 8-byte aligned, grows memory as needed
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
  (func $pack (param $ptr i32) (param $len i32) (result i64)
    (i64.or (i64.shl (i64.extend_i32_u (local.get $ptr)) (i64.const 32))
            (i64.extend_i32_u (local.get $len))))

  ;; sum(int4[]) -> bigint
  (func (export "sum_int4") (param $p i32) (param $len i32) (result i64)
    (local $end i32) (local $acc i64)
    (local.set $end (i32.add (local.get $p) (local.get $len)))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
      (local.set $acc (i64.add (local.get $acc) (i64.load32_s (local.get $p))))
      (local.set $p (i32.add (local.get $p) (i32.const 4)))
      (br $next)))
    (local.get $acc))

  ;; reverse_int8(bigint[]) -> bigint[], in place
  (func (export "reverse_int8") (param $p i32) (param $len i32) (result i64)
    (local $a i32) (local $b i32) (local $t i64)
    (local.set $a (local.get $p))
    (local.set $b (i32.sub (i32.add (local.get $p) (local.get $len)) (i32.const 8)))
    (block $done (loop $next
      (br_if $done (i32.ge_s (local.get $a) (local.get $b)))
      (local.set $t (i64.load (local.get $a)))
      (i64.store (local.get $a) (i64.load (local.get $b)))
      (i64.store (local.get $b) (local.get $t))
      (local.set $a (i32.add (local.get $a) (i32.const 8)))
      (local.set $b (i32.sub (local.get $b) (i32.const 8)))
      (br $next)))
    (call $pack (local.get $p) (local.get $len)))

  ;; scale(double precision[], double precision) -> double precision[]
  (func (export "scale") (param $p i32) (param $len i32) (param $f f64) (result i64)
    (local $q i32) (local $end i32)
    (local.set $q (local.get $p))
    (local.set $end (i32.add (local.get $p) (local.get $len)))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $q) (local.get $end)))
      (f64.store (local.get $q) (f64.mul (f64.load (local.get $q)) (local.get $f)))
      (local.set $q (i32.add (local.get $q) (i32.const 8)))
      (br $next)))
    (call $pack (local.get $p) (local.get $len)))

  ;; series(n int4) RETURNS SETOF int4: 1..n
  (func (export "series") (param $n i32) (result i64)
    (local $p i32) (local $i i32)
    (if (i32.lt_s (local.get $n) (i32.const 0)) (then (local.set $n (i32.const 0))))
    (local.set $p (call $alloc (i32.shl (local.get $n) (i32.const 2))))
    (block $done (loop $next
      (br_if $done (i32.ge_s (local.get $i) (local.get $n)))
      (i32.store (i32.add (local.get $p) (i32.shl (local.get $i) (i32.const 2)))
                 (i32.add (local.get $i) (i32.const 1)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next)))
    (call $pack (local.get $p) (i32.shl (local.get $n) (i32.const 2))))

  ;; first(text[]) -> text, non-strict: NULL for a NULL or empty array
  (func (export "first") (param $p i32) (param $len i32) (param $nulls i64) (result i64)
    (if (i64.ne (i64.and (local.get $nulls) (i64.const 1)) (i64.const 0))
      (then (return (i64.const -1))))
    (if (i32.lt_u (local.get $len) (i32.const 4)) (then (return (i64.const -1))))
    (call $pack (i32.add (local.get $p) (i32.const 4)) (i32.load (local.get $p))))

  ;; pick(a int4, b int4) -> int4, non-strict: b when a is NULL
  (func (export "pick") (param $a i32) (param $b i32) (param $nulls i64) (result i32)
    (if (result i32) (i64.ne (i64.and (local.get $nulls) (i64.const 1)) (i64.const 0))
      (then (local.get $b)) (else (local.get $a))))

  ;; echo(numeric) -> numeric, also for text[] -> text[] etc.
  (func (export "echo") (param $p i32) (param $len i32) (result i64)
    (call $pack (local.get $p) (local.get $len)))

  ;; partial() -> int4[]: 3 bytes, not a whole element
  (func (export "partial") (result i64)
    (call $pack (i32.const 0) (i32.const 3)))

  ;; overlong() -> text[]: an element length past the end
  (func (export "overlong") (result i64)
    (i32.store (i32.const 0) (i32.const 100))
    (call $pack (i32.const 0) (i32.const 8)))

  ;; notnum() -> numeric: "12x", which numeric_in refuses
  (data (i32.const 16) "12x")
  (func (export "notnum") (result i64)
    (call $pack (i32.const 16) (i32.const 3)))

  ;; spin() -> SETOF int4: never returns (cancel, timeouts)
  (func (export "spin") (result i64)
    (loop $l (br $l))
    (i64.const 0))
)
