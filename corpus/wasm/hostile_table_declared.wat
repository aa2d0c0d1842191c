;; Hostile: a table of 100 million entries. Rejected at load time.
(module
  (table 100000000 funcref)
  (func (export "f") (result i32) (i32.const 1)))
