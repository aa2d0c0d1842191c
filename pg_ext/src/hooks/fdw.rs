//! Foreign-data wrappers recognised by what they are: the handler
//! function's C library and symbol (`file_fdw:file_fdw_handler`,
//! `postgres_fdw:postgres_fdw_handler`), not the wrapper's name, which
//! `ALTER FOREIGN DATA WRAPPER ... RENAME` or a second wrapper on the same
//! handler changes at will.

use super::object_access::{builtin_languages, proc_identity};
use super::utility::{file_fdw_hits, options_text};
use crate::vectors::{self, FdwKind, Vector};
use pgrx::pg_sys;

/// What a wrapper's handler is.
///
/// # Safety
/// `fdw` must be a valid ForeignDataWrapper.
unsafe fn wrapper_kind(fdw: *const pg_sys::ForeignDataWrapper) -> Option<FdwKind> {
    // SAFETY: per caller.
    let handler = unsafe { (*fdw).fdwhandler };
    if handler == pg_sys::InvalidOid {
        return None;
    }
    let (lang, _, src, bin) = proc_identity(handler)?;
    (lang == builtin_languages().c)
        .then(|| vectors::classify_fdw_handler(&bin, &src))
        .flatten()
}

/// The record a read of foreign table `relid` makes (`verb`: "scan",
/// "analyze"): file_fdw with a `program` / `filename` option in the table,
/// its server or its wrapper (file_fdw reads all three), or any
/// postgres_fdw table; None for other tables.
pub(crate) fn foreign_table_target(relid: pg_sys::Oid, verb: &str) -> Option<(Vector, String)> {
    // SAFETY: catalog lookups of an existing foreign table in a
    // transaction (callers hold a lock or just resolved the name); the
    // returned structs are palloc'd.
    unsafe {
        if pg_sys::get_rel_relkind(relid) as u8 != pg_sys::RELKIND_FOREIGN_TABLE {
            return None;
        }
        let table = pg_sys::GetForeignTable(relid);
        let server = pg_sys::GetForeignServer((*table).serverid);
        let fdw = pg_sys::GetForeignDataWrapper((*server).fdwid);
        let name = super::cstr(pg_sys::get_rel_name(relid));
        match wrapper_kind(fdw)? {
            FdwKind::File => {
                let mut hits = file_fdw_hits((*table).options);
                hits.extend(file_fdw_hits((*server).options));
                hits.extend(file_fdw_hits((*fdw).options));
                (!hits.is_empty()).then(|| {
                    (
                        Vector::FileFdw,
                        format!("{verb} {name}: {}", hits.join(", ")),
                    )
                })
            }
            FdwKind::Postgres => Some((
                Vector::RemoteConnection,
                format!(
                    "{verb} {name} through server {} ({})",
                    super::cstr((*server).servername),
                    options_text((*server).options)
                ),
            )),
        }
    }
}

/// Server `name` with its wrapper's identity, for statements that make
/// the wrapper connect (IMPORT FOREIGN SCHEMA): "server s (options) of
/// postgres_fdw".
pub(crate) fn server_text(name: &str) -> String {
    let Ok(c) = std::ffi::CString::new(name) else {
        return name.to_string();
    };
    // SAFETY: missing_ok lookup in a transaction; palloc'd structs.
    unsafe {
        let server = pg_sys::GetForeignServerByName(c.as_ptr(), true);
        if server.is_null() {
            return format!("server {name}");
        }
        let fdw = pg_sys::GetForeignDataWrapper((*server).fdwid);
        let kind = match wrapper_kind(fdw) {
            Some(FdwKind::Postgres) => "postgres_fdw".to_string(),
            Some(FdwKind::File) => "file_fdw".to_string(),
            None => format!("wrapper {}", super::cstr((*fdw).fdwname)),
        };
        format!(
            "server {name} ({}) of {kind}",
            options_text((*server).options)
        )
    }
}

unsafe extern "C-unwind" {
    // catalog/pg_inherits.h (not in pgrx's bindings).
    fn find_all_inheritors(
        parent: pg_sys::Oid,
        lockmode: pg_sys::LOCKMODE,
        numparents: *mut *mut pg_sys::List,
    ) -> *mut pg_sys::List;
}

/// The relation and all its inheritors / partitions (ANALYZE of a parent
/// samples foreign partitions through their wrapper).
pub(crate) fn with_inheritors(relid: pg_sys::Oid) -> Vec<pg_sys::Oid> {
    // SAFETY: NoLock lookup of an OID list in a transaction, inside the
    // FFI boundary (it may raise an ERROR).
    unsafe {
        let list = pg_sys::ffi::pg_guard_ffi_boundary(|| {
            find_all_inheritors(
                relid,
                pg_sys::NoLock as pg_sys::LOCKMODE,
                std::ptr::null_mut(),
            )
        });
        match list.as_ref() {
            Some(l) => (0..l.length as usize)
                .map(|i| (*l.elements.add(i)).oid_value)
                .collect(),
            None => vec![relid],
        }
    }
}
