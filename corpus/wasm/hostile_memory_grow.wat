;; Hostile: grow() adds one 64 KiB page at a time until memory.grow fails,
;; then touches the last byte. Stopped by the memory limit.
(module
  (memory 1)
  (func (export "grow") (result i32)
    (block $done
      (loop $more
        (br_if $done (i32.eq (memory.grow (i32.const 1)) (i32.const -1)))
        (br $more)))
    (i32.store8 (i32.sub (i32.shl (memory.size) (i32.const 16)) (i32.const 1)) (i32.const 1))
    (memory.size)))
