//! Check hooks of extguard's own settings: record every session-level
//! change (`set_config('extguard.…')`, function SET clauses) that the
//! utility hook did not already record, and reject unknown vector ids.

use super::{cstr, report};
use crate::vectors::{self, ProcessKind};
use pgrx::pg_sys;
use std::ffi::{c_char, c_void};

/// Where a setting applied when a session starts comes from, if it is one
/// the connecting client (or a per-role / per-database setting) chose.
fn login_source(source: pg_sys::GucSource::Type) -> Option<&'static str> {
    use pg_sys::GucSource::*;
    match source {
        PGC_S_CLIENT => Some("connection options"),
        PGC_S_GLOBAL => Some("ALTER ROLE ALL SET"),
        PGC_S_DATABASE => Some("ALTER DATABASE SET"),
        PGC_S_USER => Some("ALTER ROLE SET"),
        PGC_S_DATABASE_USER => Some("ALTER ROLE IN DATABASE SET"),
        _ => None,
    }
}

/// A no-op role switch (`set_config('role', current_user, …)`, `SET ROLE
/// NONE` with no role set) is not a vector: recording it would let any
/// role flood the audit with nothing.
pub(crate) fn is_noop_role_switch(name: &str, value: &str) -> bool {
    if !name.eq_ignore_ascii_case("role") {
        return false;
    }
    // SAFETY: user ids are valid after login.
    let (current, session) = unsafe { (pg_sys::GetUserId(), pg_sys::GetSessionUserId()) };
    let target = if value.eq_ignore_ascii_case("none") {
        session
    } else {
        match std::ffi::CString::new(value) {
            // SAFETY: missing_ok lookup of a NUL-terminated name.
            Ok(c) => unsafe { pg_sys::get_role_oid(c.as_ptr(), true) },
            Err(_) => return false,
        }
    };
    target == current
}

/// Record a change of a setting: a session-level one (`set_config`,
/// function SET clauses) unless the utility hook already recorded the
/// statement doing it, and one applied while a client session starts
/// (connection options, per-role / per-database settings), before the
/// session's first statement and before `session_preload_libraries` load.
pub(crate) fn record_session_change(source: pg_sys::GucSource::Type, name: &str, value: &str) {
    // SAFETY: IsTransactionState has no preconditions.
    let in_xact = unsafe { pg_sys::IsTransactionState() };
    if !in_xact {
        return;
    }
    let hook = if source == pg_sys::GucSource::PGC_S_SESSION {
        if super::setting_checks_suppressed() {
            return;
        }
        "setting"
    } else if let Some(from) = login_source(source) {
        // Parallel workers and other background processes restore their
        // leader's settings with these sources too: only logins.
        if !matches!(
            super::process_kind(),
            ProcessKind::Client | ProcessKind::WalSender
        ) {
            return;
        }
        if let Some(v) = vectors::classify_setting(name) {
            report(
                v,
                "session_start",
                format!("session start: {name} = {value} ({from})"),
                None,
            );
        }
        super::gate::check_login_preload(name, value);
        return;
    } else {
        return;
    };
    if is_noop_role_switch(name, value) {
        return;
    }
    if let Some(v) = vectors::classify_setting(name) {
        report(v, hook, format!("set_config {name} = {value}"), None);
    }
}

/// GUC check hook of `extguard.audit` (called by guc.c only).
///
/// # Safety
/// `newval` must point to a bool.
#[pgrx::pg_guard]
pub unsafe extern "C-unwind" fn check_bool(
    newval: *mut bool,
    _extra: *mut *mut c_void,
    source: pg_sys::GucSource::Type,
) -> bool {
    // SAFETY: guc.c passes a valid pointer to the proposed value.
    let v = unsafe { *newval };
    record_session_change(source, "extguard.audit", &v.to_string());
    true
}

macro_rules! string_check {
    ($fn_name:ident, $guc:literal, $validate_ids:expr) => {
        /// GUC check hook (called by guc.c only).
        ///
        /// # Safety
        /// `newval` must point to a NULL or NUL-terminated string pointer.
        #[pgrx::pg_guard]
        pub unsafe extern "C-unwind" fn $fn_name(
            newval: *mut *mut c_char,
            _extra: *mut *mut c_void,
            source: pg_sys::GucSource::Type,
        ) -> bool {
            // SAFETY: guc.c passes a valid pointer to a NULL or C string.
            let v = unsafe { cstr(*newval) };
            if $validate_ids {
                let unknown = vectors::unknown_vector_ids(&v);
                if !unknown.is_empty() {
                    let msg = std::ffi::CString::new(format!(
                        "unknown extguard vector id(s): {}",
                        unknown.join(", ")
                    ))
                    .unwrap_or_default();
                    // SAFETY: guc.c reads (and frees with its context) this palloc'd string.
                    unsafe { pg_sys::GUC_check_errdetail_string = pg_sys::pstrdup(msg.as_ptr()) };
                    return false;
                }
            }
            record_session_change(source, $guc, &v);
            true
        }
    };
}

string_check!(check_block, "extguard.block", true);
string_check!(check_exempt_roles, "extguard.exempt_roles", false);
string_check!(check_audit_file, "extguard.audit_file", false);
string_check!(check_policy_file, "extguard.policy_file", false);
