//! emit_log_hook: no error shows Rust internals to a client.
//!
//! Errors raised from Rust (pgrx `ereport!`, panics turned into ERRORs)
//! carry the Rust source file as their location, which clients see in the
//! LOCATION field (`\set VERBOSITY verbose`): build paths such as
//! `/root/.cargo/registry/…/pgrx-…/src/spi.rs`. The location is replaced
//! by `extguard` before the report is sent. Rust backtraces are kept out
//! of DETAIL in `_PG_init` (`RUST_LIB_BACKTRACE=0`).

use pgrx::pg_sys;
use std::ffi::CStr;

static mut PREV: pg_sys::emit_log_hook_type = None;

pub fn install() {
    // SAFETY: _PG_init, single-threaded; previous hook saved and chained.
    unsafe {
        PREV = pg_sys::emit_log_hook;
        pg_sys::emit_log_hook = Some(emit_log);
    }
}

/// Whether an error location is a Rust source file.
fn is_rust_location(file: &[u8]) -> bool {
    file.ends_with(b".rs")
}

#[pgrx::pg_guard]
unsafe extern "C-unwind" fn emit_log(edata: *mut pg_sys::ErrorData) {
    // SAFETY: elog.c passes the ErrorData being emitted; filename and
    // funcname are NULL or C strings; the replacements are static.
    unsafe {
        if let Some(e) = edata.as_mut() {
            if !e.filename.is_null() && is_rust_location(CStr::from_ptr(e.filename).to_bytes()) {
                e.filename = c"extguard".as_ptr();
                e.lineno = 0;
                e.funcname = c"extguard".as_ptr();
            }
        }
        if let Some(prev) = PREV {
            pg_sys::ffi::pg_guard_ffi_boundary(|| prev(edata));
        }
    }
}
