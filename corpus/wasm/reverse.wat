;; Well-behaved: reverse(text) -> text, reverses the characters (UTF-8 code
;; points, not bytes, so the result stays valid UTF-8).
(module
  (memory (export "memory") 1)
  (global $heap (mut i32) (i32.const 1024))
  (func (export "reset") (global.set $heap (i32.const 1024)))
  (func $alloc (export "alloc") (param $len i32) (result i32)
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
  (func (export "reverse") (param $ptr i32) (param $len i32) (result i64)
    (local $out i32) (local $w i32) (local $end i32) (local $start i32)
    (local.set $out (call $alloc (local.get $len)))
    (local.set $w (local.get $out))
    (local.set $end (i32.add (local.get $ptr) (local.get $len)))
    (block $done
      (loop $char
        (br_if $done (i32.le_u (local.get $end) (local.get $ptr)))
        ;; walk back over continuation bytes (10xxxxxx) to the start of the char
        (local.set $start (i32.sub (local.get $end) (i32.const 1)))
        (block $found
          (loop $back
            (br_if $found (i32.le_u (local.get $start) (local.get $ptr)))
            (br_if $found
              (i32.ne (i32.and (i32.load8_u (local.get $start)) (i32.const 0xc0))
                      (i32.const 0x80)))
            (local.set $start (i32.sub (local.get $start) (i32.const 1)))
            (br $back)))
        (memory.copy (local.get $w) (local.get $start)
                     (i32.sub (local.get $end) (local.get $start)))
        (local.set $w (i32.add (local.get $w) (i32.sub (local.get $end) (local.get $start))))
        (local.set $end (local.get $start))
        (br $char)))
    (i64.or (i64.shl (i64.extend_i32_u (local.get $out)) (i64.const 32))
            (i64.extend_i32_u (local.get $len)))))
