;; Hostile: grows a table by 100000 entries at a time. Stopped by the table
;; limit.
(module
  (table 1 funcref)
  (func (export "grow") (result i32)
    (block $done
      (loop $more
        (br_if $done (i32.eq (table.grow (ref.null func) (i32.const 100000)) (i32.const -1)))
        (br $more)))
    (table.size)))
