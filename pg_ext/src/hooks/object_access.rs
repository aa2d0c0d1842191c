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

/// OIDs of the built-in languages `internal` and `c`.
#[derive(Clone, Copy)]
pub(crate) struct BuiltinLanguages {
    pub internal: u32,
    pub c: u32,
}

/// Looked up by name once per backend rather than assumed.
static BUILTIN_LANGUAGES: BackendLocal<Cell<Option<BuiltinLanguages>>> =
    BackendLocal::new(Cell::new(None));

/// The OIDs of `internal` and `c`; called in a transaction (from the
/// catalog readers here).
pub(crate) fn builtin_languages() -> BuiltinLanguages {
    if let Some(l) = BUILTIN_LANGUAGES.get() {
        return l;
    }
    // SAFETY: syscache lookups by NUL-terminated name, made in a
    // transaction; both languages exist in every database (an ERROR
    // otherwise, raised through pgrx's guard).
    let l = unsafe {
        BuiltinLanguages {
            internal: pg_sys::get_language_oid(c"internal".as_ptr(), false).to_u32(),
            c: pg_sys::get_language_oid(c"c".as_ptr(), false).to_u32(),
        }
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
    super::gate::forget_functions();
}

/// What a function is: language OID, name, `prosrc` and `probin` (empty
/// when NULL); None if there is no such function.
pub(crate) fn proc_identity(oid: pg_sys::Oid) -> Option<(u32, String, String, String)> {
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
        let src = text_attr(pg_sys::Anum_pg_proc_prosrc);
        let bin = if lang == builtin_languages().c {
            text_attr(pg_sys::Anum_pg_proc_probin)
        } else {
            String::new()
        };
        pg_sys::ReleaseSysCache(tup);
        Some((lang, proname, src, bin))
    }
}

/// Look up what function `oid` is (uncached).
fn lookup(oid: pg_sys::Oid) -> Option<(Vector, String)> {
    let (lang, proname, src, bin) = proc_identity(oid)?;
    let languages = builtin_languages();
    if lang == languages.internal {
        vectors::classify_internal_symbol(&src).map(|v| (v, format!("{proname} (internal {src})")))
    } else if lang == languages.c {
        vectors::classify_c_symbol(&bin, &src).map(|v| (v, format!("{proname} (C {bin}:{src})")))
    } else {
        None
    }
}

/// Function vectors recorded in the running statement of this backend:
/// the statement (its start time and local transaction id) and, per
/// function OID, whether the fmgr hook recorded it.
struct Seen {
    statement: (i64, u32),
    oids: Vec<(u32, bool)>,
}

static SEEN: BackendLocal<RefCell<Seen>> = BackendLocal::new(RefCell::new(Seen {
    statement: (0, 0),
    oids: Vec::new(),
}));

/// Whether a call of function vector `oid` seen now is to be recorded:
/// the fmgr hook records a function once per statement, and not when the
/// executor's setup (object-access execute) already recorded it; the
/// object-access path records every setup, except one the fmgr hook
/// already recorded in this statement.
pub(crate) fn claim_function_record(oid: pg_sys::Oid, by_fmgr: bool) -> bool {
    // SAFETY: reads backend globals; MyProc is set in every process that
    // runs hooks.
    let statement = unsafe {
        (
            pg_sys::GetCurrentStatementStartTimestamp(),
            crate::compat::my_local_xid(),
        )
    };
    let mut seen = SEEN.borrow_mut();
    if seen.statement != statement {
        seen.statement = statement;
        seen.oids.clear();
    }
    let key = oid.to_u32();
    match seen.oids.iter().find(|(o, _)| *o == key) {
        Some(&(_, fmgr_recorded)) => !by_fmgr && !fmgr_recorded,
        None => {
            seen.oids.push((key, by_fmgr));
            true
        }
    }
}

/// What function `oid` is, if it is a vector (cached per backend).
pub(crate) fn classify(oid: pg_sys::Oid) -> Option<(Vector, String)> {
    if oid == pg_sys::InvalidOid {
        return None;
    }
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

/// The schema extguard was created in, found through pg_extension (so a
/// renamed schema is still recognised), if the extension exists.
pub(crate) fn extguard_schema() -> Option<pg_sys::Oid> {
    // SAFETY: an index scan of pg_extension by name in a transaction (every
    // caller runs inside a command); the tuple is read before the scan ends.
    unsafe {
        if !pg_sys::IsTransactionState() {
            return None;
        }
        let rel = pg_sys::table_open(pg_sys::ExtensionRelationId, pg_sys::AccessShareLock as i32);
        let mut key: pg_sys::ScanKeyData = std::mem::zeroed();
        pg_sys::ScanKeyInit(
            &mut key,
            pg_sys::Anum_pg_extension_extname as pg_sys::AttrNumber,
            pg_sys::BTEqualStrategyNumber as pg_sys::StrategyNumber,
            pg_sys::Oid::from(pg_sys::F_NAMEEQ),
            pg_sys::Datum::from(c"extguard".as_ptr()),
        );
        let scan = pg_sys::systable_beginscan(
            rel,
            pg_sys::Oid::from(pg_sys::ExtensionNameIndexId),
            true,
            std::ptr::null_mut(),
            1,
            &mut key,
        );
        let tup = pg_sys::systable_getnext(scan);
        let found = (!tup.is_null()).then(|| {
            (*pg_sys::heap_tuple_get_struct::<pg_sys::FormData_pg_extension>(tup)).extnamespace
        });
        pg_sys::systable_endscan(scan);
        pg_sys::table_close(rel, pg_sys::AccessShareLock as i32);
        found
    }
}

/// Names of extguard's SQL objects: a same-named function or relation in
/// pg_catalog (searched before any schema of the search_path) shadows them
/// for unqualified use.
const SHADOWABLE: [&str; 4] = ["audit_events", "audit_stats", "audit_log", "vectors"];
/// Names specific enough to be a shadow of extguard's functions in any
/// schema (other names, like `audit_log`, are common table names).
const SHADOWABLE_ANYWHERE: [&str; 2] = ["audit_events", "audit_stats"];

/// What a create / alter / drop of this object does to extguard, if it
/// touches extguard's schema or an object in it, or shadows one of
/// extguard's objects from another schema.
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
    let schema = extguard_schema()?;
    // SAFETY: catalog lookups by OID in a transaction (object access hooks
    // run inside the command that changes the object).
    unsafe {
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
        let kind = if is_proc { "function" } else { "relation" };
        let touched = now.as_ref().is_some_and(|(ns, _)| *ns == schema) || before == schema;
        if touched {
            return Some(format!("{verb} {kind} extguard.{name}"));
        }
        let shadows = access != OAT_DROP
            && now.is_some_and(|(ns, _)| {
                let catalog = ns.to_u32() == pg_sys::PG_CATALOG_NAMESPACE;
                (catalog && SHADOWABLE.contains(&name.as_str()))
                    || (is_proc && SHADOWABLE_ANYWHERE.contains(&name.as_str()))
            });
        shadows.then(|| {
            let ns = now_namespace_name(class_id, object_id);
            format!("{verb} {kind} {ns}.{name} (shadows extguard.{name})")
        })
    }
}

/// Schema name of a function or relation as the current command sees it.
fn now_namespace_name(class_id: pg_sys::Oid, object_id: pg_sys::Oid) -> String {
    // SAFETY: in a transaction, as tamper_target.
    unsafe {
        row_as_self_sees(class_id, object_id)
            .map(|(ns, _)| cstr(pg_sys::get_namespace_name(ns)))
            .unwrap_or_default()
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
        // Before the executor's fmgr_info: a SECURITY DEFINER or SET
        // function's library is loaded at its first call, past
        // needs_fmgr_hook.
        super::gate::check_function(object_id, "function_execute");
        if let Some((v, mut detail)) = classify(object_id) {
            if claim_function_record(object_id, false) {
                // The hook does not see arguments; constant ones (a file
                // name, the connection string) are read from the plan
                // being set up.
                if let Some(args) = super::executor::const_args_of(object_id) {
                    detail = format!("{detail} args: {}", vectors::redact_secrets(&args));
                }
                report(v, "function_execute", detail, None);
            }
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
