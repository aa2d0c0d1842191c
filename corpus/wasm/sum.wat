;; Well-behaved, compute-bound: sum(n int8) -> int8, the sum 1 + 2 + ... + n
;; computed by a loop (n <= 0 gives 0).
(module
  (func (export "sum") (param $n i64) (result i64)
    (local $i i64) (local $acc i64)
    (block $done
      (loop $next
        (br_if $done (i64.ge_s (local.get $i) (local.get $n)))
        (local.set $i (i64.add (local.get $i) (i64.const 1)))
        (local.set $acc (i64.add (local.get $acc) (local.get $i)))
        (br $next)))
    (local.get $acc)))
