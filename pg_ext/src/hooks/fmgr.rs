//! fmgr hook: function vectors on every call path.
//!
//! Object-access execute fires only for calls the executor (or fastpath,
//! CALL, PL/pgSQL) sets up. Functions the server calls directly through
//! the function manager never reach it: an operator's RESTRICT / JOIN
//! estimator and a function's SUPPORT function (called by the planner),
//! trigger and event-trigger functions, index support functions
//! (comparison, hashing), type I/O. `needs_fmgr_hook` marks the functions
//! that are vectors (cached by OID, so the lookup costs one hash probe per
//! function set up); `fmgr_hook` then sees each of their calls at
//! `FHET_START` and records the first in a statement, unless the
//! executor's setup already recorded it.
//!
//! PostgreSQL never consults the hook for built-in functions (OIDs of
//! `pg_proc.dat`, resolved on a fast path): `pg_read_file` itself is seen
//! by object-access execute, its aliases (`LANGUAGE internal` under
//! another name, new OIDs) and C functions (adminpack, dblink) here.

use super::object_access::{claim_function_record, classify};
use super::report;
use crate::vectors;
use pgrx::pg_sys;

static mut PREV_NEEDS: pg_sys::needs_fmgr_hook_type = None;
static mut PREV_HOOK: pg_sys::fmgr_hook_type = None;

pub fn install() {
    // SAFETY: _PG_init, single-threaded; hooks saved and chained.
    unsafe {
        PREV_NEEDS = pg_sys::needs_fmgr_hook;
        pg_sys::needs_fmgr_hook = Some(needs_hook);
        PREV_HOOK = pg_sys::fmgr_hook;
        pg_sys::fmgr_hook = Some(fmgr_hook);
    }
}

#[pgrx::pg_guard]
unsafe extern "C-unwind" fn needs_hook(fn_oid: pg_sys::Oid) -> bool {
    // fmgr_info asks this before it loads a C function's library.
    super::gate::check_function(fn_oid, "fmgr");
    if classify(fn_oid).is_some() {
        return true;
    }
    // SAFETY: chain inside the FFI boundary.
    unsafe {
        match PREV_NEEDS {
            Some(prev) => pg_sys::ffi::pg_guard_ffi_boundary(|| prev(fn_oid)),
            None => false,
        }
    }
}

#[pgrx::pg_guard]
unsafe extern "C-unwind" fn fmgr_hook(
    event: pg_sys::FmgrHookEventType::Type,
    flinfo: *mut pg_sys::FmgrInfo,
    private: *mut pg_sys::Datum,
) {
    // SAFETY: fmgr passes the looked-up FmgrInfo of the called function.
    if event == pg_sys::FmgrHookEventType::FHET_START {
        if let Some(info) = unsafe { flinfo.as_ref() } {
            // A SECURITY DEFINER / SET function called outside the
            // executor: its library is loaded by now (backstop).
            super::gate::check_function(info.fn_oid, "fmgr");
            record_call(info);
        }
    }
    // SAFETY: chain with our own arguments inside the FFI boundary.
    unsafe {
        if let Some(prev) = PREV_HOOK {
            pg_sys::ffi::pg_guard_ffi_boundary(|| prev(event, flinfo, private));
        }
    }
}

/// Record a call of a function vector (hook security definer functions
/// and functions with SET clauses pass here too: most are not vectors).
fn record_call(info: &pg_sys::FmgrInfo) {
    let Some((v, mut detail)) = classify(info.fn_oid) else {
        return;
    };
    if !claim_function_record(info.fn_oid, true) {
        return;
    }
    // SAFETY: fn_expr is NULL or the expression node of this call.
    if let Some(args) = unsafe { super::executor::const_args_of_expr(info.fn_expr) } {
        detail = format!("{detail} args: {}", vectors::redact_secrets(&args));
    }
    report(v, "fmgr", detail, None);
}
