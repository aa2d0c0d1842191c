;; Malformed: well-formed sections, but the body of the one function leaves
;; an i64 on the stack where i32 is declared (fails validation).
(module binary
  "\00asm" "\01\00\00\00"
  "\01\05\01\60\00\01\7f"          ;; type: () -> i32
  "\03\02\01\00"                   ;; function 0 has type 0
  "\07\05\01\01f\00\00"            ;; export "f" = function 0
  "\0a\06\01\04\00\42\00\0b")      ;; body: i64.const 0; end
