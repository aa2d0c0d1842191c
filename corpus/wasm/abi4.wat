;; ABI version 4 examples: NULL array elements in the nullable form,
;; flagged by bit 31 of the length (sandbox/ABI.md, "NULL elements").
(module
  (memory (export "memory") 1)
  (global $top (mut i32) (i32.const 1024))
  ;; declares ABI version 4
  (func (export "extguard_abi_4"))
  (func (export "reset") (global.set $top (i32.const 1024)))
  ;; bump allocator, 8-byte aligned (arguments stay below one page here)
  (func (export "alloc") (param $len i32) (result i32)
    (local $p i32)
    (local.set $p (global.get $top))
    (global.set $top (i32.and (i32.add (i32.add (local.get $p) (local.get $len)) (i32.const 7))
                              (i32.const -8)))
    (if (i32.gt_u (global.get $top) (i32.const 65536)) (then unreachable))
    (local.get $p))

  ;; echo_ints(int[]) RETURNS int[], echo_texts(text[]) RETURNS text[],
  ;; rows_of(int[]) RETURNS SETOF int: the argument as it came, its
  ;; length (with the flag) included
  (func $echo (param $p i32) (param $len i32) (result i64)
    (i64.or (i64.shl (i64.extend_i32_u (local.get $p)) (i64.const 32))
            (i64.extend_i32_u (local.get $len))))
  (export "echo_ints" (func $echo))
  (export "echo_texts" (func $echo))
  (export "rows_of" (func $echo))

  ;; null_count(int[]) RETURNS int: NULL elements (lengths of 0xffffffff)
  ;; of a flagged array, 0 for an unflagged one
  (func (export "null_count") (param $p i32) (param $len i32) (result i32)
    (local $end i32) (local $n i32) (local $k i32)
    (if (i32.ge_s (local.get $len) (i32.const 0)) (then (return (i32.const 0))))
    (local.set $end (i32.add (local.get $p) (i32.and (local.get $len) (i32.const 0x7fffffff))))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
      (local.set $k (i32.load (local.get $p)))
      (local.set $p (i32.add (local.get $p) (i32.const 4)))
      (if (i32.eq (local.get $k) (i32.const -1))
        (then (local.set $n (i32.add (local.get $n) (i32.const 1))))
        (else (local.set $p (i32.add (local.get $p) (local.get $k)))))
      (br $next)))
    (local.get $n))

  ;; bad_nulls() RETURNS int[]: a flagged result whose integer element has
  ;; 3 bytes
  (data (i32.const 16) "\03\00\00\00abc")
  (func (export "bad_nulls") (result i64)
    (i64.or (i64.shl (i64.const 16) (i64.const 32)) (i64.const 0x80000007))))
