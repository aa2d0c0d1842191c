;; Hostile: boom() executes unreachable.
(module
  (func (export "boom") (result i32) unreachable))
