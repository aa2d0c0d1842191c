//! Check hooks of extguard's own settings: record every session-level
//! change (`set_config('extguard.…')`, function SET clauses) that the
//! utility hook did not already record, and reject unknown vector ids.

use super::{cstr, report};
use crate::vectors::{self, Vector};
use pgrx::pg_sys;
use std::ffi::{c_char, c_void};

/// Record a session-level change of a setting, unless the utility hook
/// already recorded the statement doing it.
pub(crate) fn record_session_change(source: pg_sys::GucSource::Type, name: &str, value: &str) {
    // SAFETY: IsTransactionState has no preconditions.
    let in_xact = unsafe { pg_sys::IsTransactionState() };
    if source != pg_sys::GucSource::PGC_S_SESSION || !in_xact || super::setting_checks_suppressed()
    {
        return;
    }
    if let Some(v) = vectors::classify_setting(name) {
        report(v, "setting", format!("set_config {name} = {value}"), None);
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
                let unknown: Vec<String> = vectors::parse_list(&v)
                    .into_iter()
                    .filter(|s| {
                        !s.eq_ignore_ascii_case("all")
                            && Vector::from_id(&s.to_ascii_lowercase()).is_none()
                    })
                    .collect();
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
