;; Hostile: the start function loops forever, so instantiation itself never
;; ends. The time slice covers instantiation too.
(module
  (func $start (loop $forever (br $forever)))
  (start $start)
  (func (export "f") (result i32) (i32.const 1)))
