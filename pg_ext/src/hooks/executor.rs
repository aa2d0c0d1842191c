//! Executor hooks: ExecutorCheckPerms (DML on pg_catalog tables),
//! ExecutorStart (remember the statement text for records made while the
//! plan is set up) and ExecutorRun (nesting depth).

use super::report;
use crate::vectors::Vector;
use pgrx::pg_sys;

static mut PREV_PERMS: pg_sys::ExecutorCheckPerms_hook_type = None;
static mut PREV_START: pg_sys::ExecutorStart_hook_type = None;
static mut PREV_RUN: pg_sys::ExecutorRun_hook_type = None;

pub fn install() {
    // SAFETY: _PG_init, single-threaded; hooks saved and chained.
    unsafe {
        PREV_PERMS = pg_sys::ExecutorCheckPerms_hook;
        pg_sys::ExecutorCheckPerms_hook = Some(check_perms);
        PREV_START = pg_sys::ExecutorStart_hook;
        pg_sys::ExecutorStart_hook = Some(executor_start);
        PREV_RUN = pg_sys::ExecutorRun_hook;
        pg_sys::ExecutorRun_hook = Some(executor_run);
    }
}

/// Catalog tables written by this range table, as "INSERT pg_authid" etc.
///
/// # Safety
/// `range_table` must be NULL or a List of RangeTblEntry.
unsafe fn catalog_writes(range_table: *mut pg_sys::List) -> Vec<String> {
    let mut out = Vec::new();
    let write = pg_sys::ACL_INSERT | pg_sys::ACL_UPDATE | pg_sys::ACL_DELETE;
    // SAFETY: per caller; catalog OIDs are below FirstNormalObjectId, which
    // keeps the namespace lookup off the common path.
    unsafe {
        let len = range_table.as_ref().map_or(0, |l| l.length as usize);
        for i in 0..len {
            // No Vec: this runs for every query.
            let r = &*(*(*range_table).elements.add(i))
                .ptr_value
                .cast::<pg_sys::RangeTblEntry>();
            if r.rtekind != pg_sys::RTEKind::RTE_RELATION
                || r.requiredPerms & write == 0
                || r.relid.to_u32() >= pg_sys::FirstNormalObjectId
            {
                continue;
            }
            if pg_sys::get_rel_namespace(r.relid).to_u32() != pg_sys::PG_CATALOG_NAMESPACE {
                continue;
            }
            let op = if r.requiredPerms & pg_sys::ACL_INSERT != 0 {
                "INSERT"
            } else if r.requiredPerms & pg_sys::ACL_UPDATE != 0 {
                "UPDATE"
            } else {
                "DELETE"
            };
            out.push(format!(
                "{op} {}",
                super::cstr(pg_sys::get_rel_name(r.relid))
            ));
        }
    }
    out
}

#[pgrx::pg_guard]
unsafe extern "C-unwind" fn check_perms(range_table: *mut pg_sys::List, ereport: bool) -> bool {
    // SAFETY: the executor passes its range table.
    let writes = unsafe { catalog_writes(range_table) };
    if !writes.is_empty() {
        report(Vector::CatalogDml, "check_perms", writes.join(", "), None);
    }
    // SAFETY: chain inside the FFI boundary.
    unsafe {
        match PREV_PERMS {
            Some(prev) => pg_sys::ffi::pg_guard_ffi_boundary(|| prev(range_table, ereport)),
            None => true,
        }
    }
}

#[pgrx::pg_guard]
unsafe extern "C-unwind" fn executor_start(query_desc: *mut pg_sys::QueryDesc, eflags: i32) {
    // SAFETY: valid QueryDesc; its sourceText outlives this call.
    let _text = super::set_source_text(unsafe { (*query_desc).sourceText });
    // SAFETY: raw previous hook inside the FFI boundary; the standard
    // function is a pgrx binding and already guarded.
    unsafe {
        match PREV_START {
            Some(prev) => pg_sys::ffi::pg_guard_ffi_boundary(|| prev(query_desc, eflags)),
            None => pg_sys::standard_ExecutorStart(query_desc, eflags),
        }
    }
}

#[pgrx::pg_guard]
unsafe extern "C-unwind" fn executor_run(
    query_desc: *mut pg_sys::QueryDesc,
    direction: pg_sys::ScanDirection::Type,
    count: u64,
    execute_once: bool,
) {
    let _depth = super::enter_depth();
    // SAFETY: chain inside the FFI boundary.
    unsafe {
        match PREV_RUN {
            Some(prev) => pg_sys::ffi::pg_guard_ffi_boundary(|| {
                prev(query_desc, direction, count, execute_once)
            }),
            None => pg_sys::standard_ExecutorRun(query_desc, direction, count, execute_once),
        }
    }
}
