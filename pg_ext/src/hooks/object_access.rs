//! object_access_hook.
//!
//! `OAT_FUNCTION_EXECUTE`: every function call the executor sets up (also
//! PL/pgSQL simple expressions, fastpath, CALL). Functions are recognised by
//! what they are — `LANGUAGE internal` and C symbol, or `LANGUAGE c`,
//! library and symbol — so aliases are caught. The classification is cached
//! per backend and dropped on any pg_proc invalidation.
//!
//! `OAT_POST_CREATE`, `OAT_POST_ALTER`, `OAT_DROP`: a function, relation or
//! the schema itself in extguard's schema created, changed (renamed,
//! re-owned, granted, replaced, moved) or dropped other than by CREATE
//! EXTENSION extguard is `extguard_tamper` — one record per statement, none
//! when the utility hook already recorded the statement (DROP EXTENSION).

use super::{cstr, report, BackendLocal};
use crate::vectors::{self, Vector};
use pgrx::pg_sys;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::ffi::c_void;
use std::hash::{BuildHasherDefault, Hasher};

/// OIDs of the built-in languages `internal` and `c`, looked up by name
/// once per backend rather than assumed.
static BUILTIN_LANGUAGES: BackendLocal<Cell<Option<(u32, u32)>>> =
    BackendLocal::new(Cell::new(None));

fn builtin_languages() -> (u32, u32) {
    if let Some(l) = BUILTIN_LANGUAGES.get() {
        return l;
    }
    // SAFETY: syscache lookups, made from `lookup`, which runs inside a
    // transaction; both languages exist in every database (an ERROR
    // otherwise, raised through pgrx's guard).
    let l = unsafe {
        (
            pg_sys::get_language_oid(c"internal".as_ptr(), false).to_u32(),
            pg_sys::get_language_oid(c"c".as_ptr(), false).to_u32(),
        )
    };
    BUILTIN_LANGUAGES.set(Some(l));
    l
}

static mut PREV: pg_sys::object_access_hook_type = None;

/// What each function called so far is (`None`: not a vector), by OID.
type Cache = HashMap<u32, Option<(Vector, String)>, BuildHasherDefault<OidHasher>>;
static CACHE: BackendLocal<RefCell<Cache>> = BackendLocal::new(RefCell::new(HashMap::with_hasher(
    BuildHasherDefault::new(),
)));

/// A multiplicative hash for OIDs: the cache is probed for every function
/// the executor sets up, and its keys are not attacker-chosen in any way
/// that matters (a superuser can slow down only their own backend).
#[derive(Default)]
struct OidHasher(u64);

impl Hasher for OidHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 ^ u64::from(*b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
    fn write_u32(&mut self, n: u32) {
        self.0 = u64::from(n).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
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
    CACHE.borrow_mut().clear();
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
        let (internal, c) = builtin_languages();
        let result = if lang == internal {
            let src = text_attr(pg_sys::Anum_pg_proc_prosrc);
            vectors::classify_internal_symbol(&src)
                .map(|v| (v, format!("{proname} (internal {src})")))
        } else if lang == c {
            let src = text_attr(pg_sys::Anum_pg_proc_prosrc);
            let bin = text_attr(pg_sys::Anum_pg_proc_probin);
            vectors::classify_c_symbol(&bin, &src)
                .map(|v| (v, format!("{proname} (C {bin}:{src})")))
        } else {
            None
        };
        pg_sys::ReleaseSysCache(tup);
        result
    }
}

fn classify(oid: pg_sys::Oid) -> Option<(Vector, String)> {
    let key = oid.to_u32();
    if let Some(hit) = CACHE.borrow().get(&key) {
        return hit.clone();
    }
    let found = lookup(oid);
    CACHE.borrow_mut().insert(key, found.clone());
    found
}

/// Namespace and name of a pg_proc or pg_class row as the current command
/// sees it (SnapshotSelf: also a row this command just inserted or
/// updated, which the syscache does not show yet).
///
/// # Safety
/// In a transaction; `class_id` is pg_proc or pg_class.
unsafe fn row_as_self_sees(
    class_id: pg_sys::Oid,
    oid: pg_sys::Oid,
) -> Option<(pg_sys::Oid, String)> {
    // SAFETY: per caller; the scan is opened and closed here, the tuple
    // read before the scan ends.
    unsafe {
        let (index, attnum) = if class_id == pg_sys::ProcedureRelationId {
            (pg_sys::ProcedureOidIndexId, pg_sys::Anum_pg_proc_oid)
        } else {
            (pg_sys::ClassOidIndexId, pg_sys::Anum_pg_class_oid)
        };
        let rel = pg_sys::table_open(class_id, pg_sys::AccessShareLock as i32);
        let mut key: pg_sys::ScanKeyData = std::mem::zeroed();
        pg_sys::ScanKeyInit(
            &mut key,
            attnum as pg_sys::AttrNumber,
            pg_sys::BTEqualStrategyNumber as pg_sys::StrategyNumber,
            pg_sys::Oid::from(pg_sys::F_OIDEQ),
            pg_sys::Datum::from(oid),
        );
        let scan = pg_sys::systable_beginscan(
            rel,
            pg_sys::Oid::from(index),
            true,
            &raw mut pg_sys::SnapshotSelfData,
            1,
            &mut key,
        );
        let tup = pg_sys::systable_getnext(scan);
        let found = if tup.is_null() {
            None
        } else if class_id == pg_sys::ProcedureRelationId {
            let f = pg_sys::heap_tuple_get_struct::<pg_sys::FormData_pg_proc>(tup);
            Some(((*f).pronamespace, cstr((*f).proname.data.as_ptr())))
        } else {
            let f = pg_sys::heap_tuple_get_struct::<pg_sys::FormData_pg_class>(tup);
            Some(((*f).relnamespace, cstr((*f).relname.data.as_ptr())))
        };
        pg_sys::systable_endscan(scan);
        pg_sys::table_close(rel, pg_sys::AccessShareLock as i32);
        found
    }
}

/// What a create / alter / drop of this object does to extguard, if it
/// touches extguard's schema or an object in it.
fn tamper_target(
    access: pg_sys::ObjectAccessType::Type,
    class_id: pg_sys::Oid,
    object_id: pg_sys::Oid,
) -> Option<String> {
    use pg_sys::ObjectAccessType::*;
    let verb = match access {
        OAT_POST_CREATE => "CREATE",
        OAT_POST_ALTER => "ALTER",
        OAT_DROP => "DROP",
        _ => return None,
    };
    let is_proc = class_id == pg_sys::ProcedureRelationId;
    let is_rel = class_id == pg_sys::RelationRelationId;
    if !is_proc && !is_rel && class_id != pg_sys::NamespaceRelationId {
        return None;
    }
    // SAFETY: catalog lookups by name and OID in a transaction (object
    // access hooks run inside the command that changes the object).
    unsafe {
        let schema = pg_sys::get_namespace_oid(c"extguard".as_ptr(), true);
        if schema == pg_sys::InvalidOid {
            return None;
        }
        if class_id == pg_sys::NamespaceRelationId {
            return (object_id == schema).then(|| format!("{verb} schema extguard"));
        }
        // The row as this command left it, and as it was before (a move
        // out of the schema changes the namespace).
        let now = row_as_self_sees(class_id, object_id);
        let before = if is_proc {
            pg_sys::get_func_namespace(object_id)
        } else {
            pg_sys::get_rel_namespace(object_id)
        };
        let name = now.as_ref().map(|(_, n)| n.clone()).unwrap_or_default();
        let touched = now.is_some_and(|(ns, _)| ns == schema) || before == schema;
        touched.then(|| {
            let kind = if is_proc { "function" } else { "relation" };
            format!("{verb} {kind} extguard.{name}")
        })
    }
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
    } else if let Some(detail) = tamper_target(access, class_id, object_id) {
        if super::claim_tamper_record() {
            report(
                Vector::ExtguardTamper,
                "object_access",
                detail,
                super::utility_text(),
            );
        }
    }
    // SAFETY: chain with our own arguments inside the FFI boundary.
    unsafe {
        if let Some(prev) = PREV {
            pg_sys::ffi::pg_guard_ffi_boundary(|| prev(access, class_id, object_id, sub_id, arg));
        }
    }
}
