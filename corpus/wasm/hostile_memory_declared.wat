;; Hostile: declares a 4 GiB-1 page minimum memory (65535 pages). Rejected
;; at load time, before compiling.
(module
  (memory 65535)
  (func (export "f") (result i32) (i32.const 1)))
