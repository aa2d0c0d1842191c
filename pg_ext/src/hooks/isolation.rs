//! FFI side of the isolation self-check: the server's own paths, and the
//! record made when shared memory is initialised (server start).

use super::{cstr, emit};
use crate::record::{Outcome, Record, Session};
use crate::vectors::Vector;
use extguard_isolation::{evaluate, ServerPaths, Sources, Status};
use pgrx::pg_sys;
use std::ffi::{c_char, CStr};
use std::path::PathBuf;

/// A setting's current value, or None when this server has no such setting.
fn setting(name: &CStr) -> Option<String> {
    // SAFETY: GetConfigOption with missing_ok returns NULL or a pointer to
    // the setting's current value, copied at once.
    let p = unsafe { pg_sys::GetConfigOption(name.as_ptr(), true, false) };
    // SAFETY: NULL or a NUL-terminated string.
    (!p.is_null()).then(|| unsafe { cstr(p) })
}

/// pkglibdir, sharedir, `dynamic_library_path`, `extension_control_path`
/// (PostgreSQL 18+; None before) and the data directory, as this server
/// sees them. Valid in the postmaster after the configuration is read and
/// in any backend.
pub fn server_paths() -> ServerPaths {
    let mut lib = [0 as c_char; pg_sys::MAXPGPATH as usize];
    let mut share = [0 as c_char; pg_sys::MAXPGPATH as usize];
    // SAFETY: my_exec_path is the server's NUL-terminated executable path,
    // set before shared_preload_libraries are loaded; both buffers are
    // MAXPGPATH bytes, as get_pkglib_path / get_share_path require.
    let (lib, share, data) = unsafe {
        let exec = (&raw const pg_sys::my_exec_path).cast::<c_char>();
        pg_sys::get_pkglib_path(exec, lib.as_mut_ptr());
        pg_sys::get_share_path(exec, share.as_mut_ptr());
        (
            cstr(lib.as_ptr()),
            cstr(share.as_ptr()),
            cstr(pg_sys::DataDir),
        )
    };
    let path = |s: String| (!s.is_empty()).then(|| PathBuf::from(s));
    ServerPaths {
        pkglibdir: path(lib),
        sharedir: path(share),
        dynamic_library_path: setting(c"dynamic_library_path"),
        extension_control_path: setting(c"extension_control_path"),
        data_dir: path(data),
    }
}

/// Evaluate the checks and record one `isolation` record listing the
/// violated (and unknown) ones; each check not ok also gets a LOG line
/// with what was observed. Called in the postmaster right after shared
/// memory is initialised, so once per start and per crash-restart.
pub(crate) fn record_at_start() {
    if !crate::settings::AUDIT.get() {
        return;
    }
    let paths = server_paths();
    // the check must never keep the server from starting
    let Ok(rows) = std::panic::catch_unwind(|| evaluate(&Sources::default(), &paths)) else {
        pgrx::warning!("extguard: the isolation check failed; no isolation record");
        return;
    };
    for r in rows.iter().filter(|r| r.status != Status::Ok) {
        pgrx::log!(
            "extguard: isolation check {} {}: {}",
            r.check.id(),
            r.status.as_str(),
            r.observed
        );
    }
    let record = Record {
        vector: Vector::Isolation,
        outcome: Outcome::Observed,
        hook: "startup",
        detail: crate::isolation::summary(&rows),
        statement: String::new(),
        top_query: String::new(),
        session: Session {
            // SAFETY: plain read of a process global (the postmaster's pid).
            pid: unsafe { pg_sys::MyProcPid },
            ..Session::default()
        },
    };
    emit(&record);
}
