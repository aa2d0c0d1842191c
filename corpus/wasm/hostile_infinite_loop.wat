;; Hostile: spin() never returns. Stopped by the time slice or the
;; interrupt check (query cancel in PostgreSQL).
(module
  (func (export "spin") (result i32)
    (loop $forever (br $forever))
    (i32.const 0)))
