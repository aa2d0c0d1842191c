;; Well-behaved: jsonb_field_count(jsonb) -> int4, the number of keys of the
;; top-level object (0 for anything that is not an object). Counts ':' at
;; depth 1 outside strings; the host passes jsonb as its JSON text.
(module
  (memory (export "memory") 1)
  (global $heap (mut i32) (i32.const 1024))
  (func (export "reset") (global.set $heap (i32.const 1024)))
  (func (export "alloc") (param $len i32) (result i32)
    (local $ptr i32) (local $end i32)
    (local.set $ptr (global.get $heap))
    (local.set $end (i32.add (local.get $ptr) (local.get $len)))
    (if (i32.gt_u (local.get $end) (i32.shl (memory.size) (i32.const 16)))
      (then
        (if (i32.eq
              (memory.grow
                (i32.sub (i32.shr_u (i32.add (local.get $end) (i32.const 65535)) (i32.const 16))
                         (memory.size)))
              (i32.const -1))
          (then unreachable))))
    (global.set $heap (local.get $end))
    (local.get $ptr))
  (func (export "jsonb_field_count") (param $ptr i32) (param $len i32) (result i32)
    (local $end i32) (local $c i32) (local $depth i32) (local $in_str i32)
    (local $count i32) (local $top_is_object i32) (local $seen_first i32)
    (local.set $end (i32.add (local.get $ptr) (local.get $len)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $ptr) (local.get $end)))
        (local.set $c (i32.load8_u (local.get $ptr)))
        (local.set $ptr (i32.add (local.get $ptr) (i32.const 1)))
        (if (local.get $in_str)
          (then
            (if (i32.eq (local.get $c) (i32.const 92)) ;; backslash: skip next byte
              (then (local.set $ptr (i32.add (local.get $ptr) (i32.const 1))))
              (else
                (if (i32.eq (local.get $c) (i32.const 34))
                  (then (local.set $in_str (i32.const 0)))))))
          (else
            ;; the first non-blank byte decides whether the top level is an object
            (if (i32.and (i32.eqz (local.get $seen_first))
                         (i32.gt_u (local.get $c) (i32.const 32)))
              (then
                (local.set $seen_first (i32.const 1))
                (local.set $top_is_object (i32.eq (local.get $c) (i32.const 123)))))
            (if (i32.eq (local.get $c) (i32.const 34))
              (then (local.set $in_str (i32.const 1))))
            (if (i32.or (i32.eq (local.get $c) (i32.const 123)) (i32.eq (local.get $c) (i32.const 91)))
              (then (local.set $depth (i32.add (local.get $depth) (i32.const 1)))))
            (if (i32.or (i32.eq (local.get $c) (i32.const 125)) (i32.eq (local.get $c) (i32.const 93)))
              (then (local.set $depth (i32.sub (local.get $depth) (i32.const 1)))))
            (if (i32.and (i32.eq (local.get $c) (i32.const 58)) (i32.eq (local.get $depth) (i32.const 1)))
              (then (local.set $count (i32.add (local.get $count) (i32.const 1)))))))
        (br $next)))
    (select (local.get $count) (i32.const 0) (local.get $top_is_object))))
