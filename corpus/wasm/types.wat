;; Well-behaved: one identity function per ABI type, for round-trip tests.
;; Varlena identities return the argument's own (ptr, len).
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
  (func $pack (param $ptr i32) (param $len i32) (result i64)
    (i64.or (i64.shl (i64.extend_i32_u (local.get $ptr)) (i64.const 32))
            (i64.extend_i32_u (local.get $len))))
  (func (export "id_int2") (param i32) (result i32) (local.get 0))
  (func (export "id_int4") (param i32) (result i32) (local.get 0))
  (func (export "id_int8") (param i64) (result i64) (local.get 0))
  (func (export "id_float4") (param f32) (result f32) (local.get 0))
  (func (export "id_float8") (param f64) (result f64) (local.get 0))
  (func (export "id_bool") (param i32) (result i32) (local.get 0))
  (func (export "id_text") (param i32 i32) (result i64) (call $pack (local.get 0) (local.get 1)))
  (func (export "id_bytea") (param i32 i32) (result i64) (call $pack (local.get 0) (local.get 1)))
  (func (export "id_jsonb") (param i32 i32) (result i64) (call $pack (local.get 0) (local.get 1)))
  ;; int2 result out of range: returns 40000
  (func (export "int2_overflow") (result i32) (i32.const 40000))
  ;; mixed signature: (int4, text, float8, bytea) -> int8 = int4 + len(text) + len(bytea) + trunc(float8)
  (func (export "mixed") (param i32 i32 i32 f64 i32 i32) (result i64)
    (i64.add
      (i64.add (i64.extend_i32_s (local.get 0)) (i64.extend_i32_u (local.get 2)))
      (i64.add (i64.extend_i32_u (local.get 5)) (i64.trunc_f64_s (local.get 3))))))
