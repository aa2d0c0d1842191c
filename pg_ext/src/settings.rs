//! The `extguard.*` settings of the audit: set only where an administrator
//! sets them (`PGC_SIGHUP`: postgresql.conf, or ALTER SYSTEM + reload),
//! so no session can weaken the audit for itself (SET, `set_config()`,
//! function SET clauses, connection options and ALTER ROLE/DATABASE SET
//! are refused), and readable by superusers only (`GUC_SUPERUSER_ONLY`:
//! they reveal the audit's shape).
//!
//! Every attempt to change one (SET, `set_config()`, ALTER ROLE/DATABASE
//! SET, ALTER SYSTEM) is recorded as vector `extguard_setting`.

use pgrx::guc::{GucContext, GucFlags, GucRegistry, GucSetting};
use pgrx::pg_sys;
use std::ffi::CString;

/// `extguard.audit`: record vectors (default on).
pub static AUDIT: GucSetting<bool> = GucSetting::<bool>::new(true);
/// `extguard.block`: comma-separated vector ids refused with an ERROR.
pub static BLOCK: GucSetting<Option<CString>> = GucSetting::<Option<CString>>::new(None);
/// `extguard.exempt_roles`: session users whose actions are neither
/// recorded nor blocked (setting changes are always recorded).
pub static EXEMPT_ROLES: GucSetting<Option<CString>> = GucSetting::<Option<CString>>::new(None);
/// `extguard.audit_file`: JSON Lines file appended and flushed per record.
pub static AUDIT_FILE: GucSetting<Option<CString>> = GucSetting::<Option<CString>>::new(None);

/// `extguard.policy_file`: the policy (`extguard scan --write-policy`)
/// that vets extension files and shared libraries before they run.
pub static POLICY_FILE: GucSetting<Option<CString>> = GucSetting::<Option<CString>>::new(None);

/// Register the settings. Call from `_PG_init`.
pub fn define() {
    // SAFETY: the check hooks are #[pg_guard] extern "C-unwind" functions.
    unsafe {
        GucRegistry::define_bool_guc_with_hooks(
            c"extguard.audit",
            c"Record superuser escape vectors.",
            c"When off, only changes of extguard settings are recorded.",
            &AUDIT,
            GucContext::Sighup,
            GucFlags::SUPERUSER_ONLY,
            Some(crate::hooks::settings_check::check_bool),
            None,
            None,
        );
        GucRegistry::define_string_guc_with_hooks(
            c"extguard.block",
            c"Vector ids refused with an ERROR (comma separated, or all).",
            c"Blocked attempts are recorded with outcome blocked.",
            &BLOCK,
            GucContext::Sighup,
            GucFlags::SUPERUSER_ONLY,
            Some(crate::hooks::settings_check::check_block),
            None,
            None,
        );
        GucRegistry::define_string_guc_with_hooks(
            c"extguard.exempt_roles",
            c"Session users that are neither recorded nor blocked.",
            c"Comma separated role names.",
            &EXEMPT_ROLES,
            GucContext::Sighup,
            GucFlags::SUPERUSER_ONLY,
            Some(crate::hooks::settings_check::check_exempt_roles),
            None,
            None,
        );
        GucRegistry::define_string_guc_with_hooks(
            c"extguard.audit_file",
            c"JSON Lines file each record is appended to and flushed before the action.",
            c"Empty: no file.",
            &AUDIT_FILE,
            GucContext::Sighup,
            GucFlags::SUPERUSER_ONLY,
            Some(crate::hooks::settings_check::check_audit_file),
            None,
            None,
        );
        GucRegistry::define_string_guc_with_hooks(
            c"extguard.policy_file",
            c"Policy file (extguard scan --write-policy) that vets extension files and libraries.",
            c"Empty: no digest gate.",
            &POLICY_FILE,
            GucContext::Sighup,
            GucFlags::SUPERUSER_ONLY,
            Some(crate::hooks::settings_check::check_policy_file),
            None,
            None,
        );
        pg_sys::MarkGUCPrefixReserved(c"extguard".as_ptr());
    }
}

fn string_of(s: &GucSetting<Option<CString>>) -> String {
    s.get()
        .map(|c| c.to_string_lossy().into_owned())
        .unwrap_or_default()
}

pub fn block_list() -> String {
    string_of(&BLOCK)
}

pub fn exempt_roles() -> String {
    string_of(&EXEMPT_ROLES)
}

pub fn audit_file() -> String {
    string_of(&AUDIT_FILE)
}

pub fn policy_file() -> String {
    string_of(&POLICY_FILE)
}
