;; Declares add with 64-bit integers; a SQL add(int4, int4) -> int4 must be
;; rejected with both types in the message.
(module
  (func (export "add") (param i64 i64) (result i64)
    (i64.add (local.get 0) (local.get 1))))
