//! object_access_hook, `OAT_FUNCTION_EXECUTE`: every function call the
//! executor sets up (also PL/pgSQL simple expressions, fastpath, CALL).
//! Functions are recognised by what they are — `LANGUAGE internal` + C
//! symbol, or `LANGUAGE c` + library + symbol — so aliases are caught.
//! The classification is cached per backend and dropped on any pg_proc
//! invalidation.

use super::{cstr, report};
use crate::vectors::{self, Vector};
use pgrx::pg_sys;
use std::cell::RefCell;
use std::collections::HashMap;
use std::ffi::c_void;

const INTERNAL_LANGUAGE: u32 = 12; // INTERNALlanguageId
const C_LANGUAGE: u32 = 13; // ClanguageId

static mut PREV: pg_sys::object_access_hook_type = None;

thread_local! {
    static CACHE: RefCell<HashMap<u32, Option<(Vector, String)>>> = RefCell::new(HashMap::new());
}

pub fn install() {
    // SAFETY: _PG_init, single-threaded; hook saved and chained; the
    // syscache callback registration is inherited by forked backends.
    unsafe {
        PREV = pg_sys::object_access_hook;
        pg_sys::object_access_hook = Some(object_access);
        pg_sys::CacheRegisterSyscacheCallback(
            pg_sys::SysCacheIdentifier::PROCOID as i32,
            Some(invalidate),
            pg_sys::Datum::from(0usize),
        );
    }
}

#[pgrx::pg_guard]
unsafe extern "C-unwind" fn invalidate(_arg: pg_sys::Datum, _cacheid: i32, _hash: u32) {
    CACHE.with(|c| c.borrow_mut().clear());
}

/// Look up what function `oid` is (uncached).
fn lookup(oid: pg_sys::Oid) -> Option<(Vector, String)> {
    // SAFETY: syscache lookup; the tuple is released before returning;
    // GETSTRUCT is t_data + t_hoff; text attributes copied via text_to_cstring.
    unsafe {
        let tup = pg_sys::SearchSysCache1(
            pg_sys::SysCacheIdentifier::PROCOID as i32,
            pg_sys::Datum::from(oid),
        );
        if tup.is_null() {
            return None;
        }
        let data = (*tup).t_data;
        let form = data
            .cast::<u8>()
            .add((*data).t_hoff as usize)
            .cast::<pg_sys::FormData_pg_proc>();
        let lang = (*form).prolang.to_u32();
        let proname = cstr((*form).proname.data.as_ptr());
        let text_attr = |attnum: u32| {
            let mut isnull = false;
            let d = pg_sys::SysCacheGetAttr(
                pg_sys::SysCacheIdentifier::PROCOID as i32,
                tup,
                attnum as i16,
                &mut isnull,
            );
            if isnull {
                String::new()
            } else {
                cstr(pg_sys::text_to_cstring(d.cast_mut_ptr::<pg_sys::text>()))
            }
        };
        let result = match lang {
            INTERNAL_LANGUAGE => {
                let src = text_attr(pg_sys::Anum_pg_proc_prosrc);
                vectors::classify_internal_symbol(&src)
                    .map(|v| (v, format!("{proname} (internal {src})")))
            }
            C_LANGUAGE => {
                let src = text_attr(pg_sys::Anum_pg_proc_prosrc);
                let bin = text_attr(pg_sys::Anum_pg_proc_probin);
                vectors::classify_c_symbol(&bin, &src)
                    .map(|v| (v, format!("{proname} (C {bin}:{src})")))
            }
            _ => None,
        };
        pg_sys::ReleaseSysCache(tup);
        result
    }
}

fn classify(oid: pg_sys::Oid) -> Option<(Vector, String)> {
    let key = oid.to_u32();
    if let Some(hit) = CACHE.with(|c| c.borrow().get(&key).cloned()) {
        return hit;
    }
    let found = lookup(oid);
    CACHE.with(|c| c.borrow_mut().insert(key, found.clone()));
    found
}

#[pgrx::pg_guard]
unsafe extern "C-unwind" fn object_access(
    access: pg_sys::ObjectAccessType::Type,
    class_id: pg_sys::Oid,
    object_id: pg_sys::Oid,
    sub_id: i32,
    arg: *mut c_void,
) {
    if access == pg_sys::ObjectAccessType::OAT_FUNCTION_EXECUTE {
        if let Some((v, mut detail)) = classify(object_id) {
            if v == Vector::RemoteConnection {
                // The hook does not see arguments; constant ones (the
                // connection string) are read from the plan being set up.
                if let Some(args) = super::executor::const_args_of(object_id) {
                    detail = format!("{detail} args: {}", vectors::redact_secrets(&args));
                }
            }
            report(v, "function_execute", detail, None);
        }
    }
    // SAFETY: chain with our own arguments inside the FFI boundary.
    unsafe {
        if let Some(prev) = PREV {
            pg_sys::ffi::pg_guard_ffi_boundary(|| prev(access, class_id, object_id, sub_id, arg));
        }
    }
}
