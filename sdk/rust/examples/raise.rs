//! Messages and errors (`extguard.raise`):
//! `checked_div(label text, a int, b int) RETURNS int` sends a NOTICE
//! naming the division and a WARNING when it rounds; dividing by zero is
//! an ERROR with SQLSTATE 22012, a negative divisor one with P0001.

use extguard_guest::{args, raise};

#[no_mangle]
pub extern "C" fn checked_div(label_ptr: i32, label_len: i32, a: i32, b: i32) -> i32 {
    if b == 0 {
        raise::error_code("22012", "checked_div: division by zero");
    }
    if b < 0 {
        raise::error("checked_div: the divisor must be positive");
    }
    // SAFETY: the text argument (the host reset memory before placing it).
    let label = unsafe { args::text(label_ptr, label_len) };
    raise::notice(&format!("{label}: {a} / {b}"));
    if a % b != 0 {
        raise::warning("checked_div: the result is rounded toward zero");
    }
    a / b
}
