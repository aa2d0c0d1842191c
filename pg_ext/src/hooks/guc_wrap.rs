//! Wrap the check hooks of sensitive built-in settings so that changes made
//! through `set_config()` (which no utility hook sees) are recorded.
//! SET / ALTER ... SET are recorded by the utility hook, which suppresses
//! these wrappers while it runs the statement.

use super::cstr;
use super::settings_check::record_session_change;
use pgrx::pg_sys;
use std::ffi::{c_char, c_int, c_void, CStr};

macro_rules! wrapper {
    ($fn_name:ident, $prev:ident, $guc:literal, $val_ty:ty, $hook_ty:ty, |$p:ident| $show:expr) => {
        static mut $prev: $hook_ty = None;

        #[pgrx::pg_guard]
        unsafe extern "C-unwind" fn $fn_name(
            newval: *mut $val_ty,
            extra: *mut *mut c_void,
            source: pg_sys::GucSource::Type,
        ) -> bool {
            let $p = newval;
            // SAFETY: guc.c passes a valid pointer to the proposed value.
            let shown: String = unsafe { $show };
            record_session_change(source, $guc, &shown);
            // SAFETY: chain to the original check hook inside the FFI boundary.
            unsafe {
                match $prev {
                    Some(prev) => {
                        pg_sys::ffi::pg_guard_ffi_boundary(|| prev(newval, extra, source))
                    }
                    None => true,
                }
            }
        }
    };
}

wrapper!(
    w_role,
    P_ROLE,
    "role",
    *mut c_char,
    pg_sys::GucStringCheckHook,
    |p| cstr(*p)
);
wrapper!(
    w_sess_auth,
    P_SESS_AUTH,
    "session_authorization",
    *mut c_char,
    pg_sys::GucStringCheckHook,
    |p| cstr(*p)
);
wrapper!(
    w_dlp,
    P_DLP,
    "dynamic_library_path",
    *mut c_char,
    pg_sys::GucStringCheckHook,
    |p| cstr(*p)
);
wrapper!(
    w_spl,
    P_SPL,
    "session_preload_libraries",
    *mut c_char,
    pg_sys::GucStringCheckHook,
    |p| cstr(*p)
);
wrapper!(
    w_lpl,
    P_LPL,
    "local_preload_libraries",
    *mut c_char,
    pg_sys::GucStringCheckHook,
    |p| cstr(*p)
);
wrapper!(
    w_srr,
    P_SRR,
    "session_replication_role",
    c_int,
    pg_sys::GucEnumCheckHook,
    |p| (*p).to_string()
);
wrapper!(
    w_lst,
    P_LST,
    "log_statement",
    c_int,
    pg_sys::GucEnumCheckHook,
    |p| (*p).to_string()
);
wrapper!(
    w_lmm,
    P_LMM,
    "log_min_messages",
    c_int,
    pg_sys::GucEnumCheckHook,
    |p| (*p).to_string()
);
wrapper!(
    w_lmes,
    P_LMES,
    "log_min_error_statement",
    c_int,
    pg_sys::GucEnumCheckHook,
    |p| (*p).to_string()
);
wrapper!(
    w_lmds,
    P_LMDS,
    "log_min_duration_statement",
    c_int,
    pg_sys::GucIntCheckHook,
    |p| (*p).to_string()
);
wrapper!(
    w_astm,
    P_ASTM,
    "allow_system_table_mods",
    bool,
    pg_sys::GucBoolCheckHook,
    |p| (*p).to_string()
);
wrapper!(
    w_lcp,
    P_LCP,
    "lo_compat_privileges",
    bool,
    pg_sys::GucBoolCheckHook,
    |p| (*p).to_string()
);
wrapper!(
    w_zdp,
    P_ZDP,
    "zero_damaged_pages",
    bool,
    pg_sys::GucBoolCheckHook,
    |p| (*p).to_string()
);

/// Replace the check hooks (keeping the originals to chain to).
pub fn install() {
    // SAFETY: _PG_init in the postmaster, single-threaded; the GUC table is
    // fully built; we only swap function pointers of the named entries and
    // each wrapper calls the pointer it replaced.
    unsafe {
        let vars = pg_sys::get_guc_variables();
        let n = pg_sys::GetNumConfigOptions();
        for i in 0..n as usize {
            let g = *vars.add(i);
            if g.is_null() {
                continue;
            }
            let name = CStr::from_ptr((*g).name).to_bytes();
            macro_rules! swap {
                ($ty:ty, $prev:ident, $w:ident) => {{
                    let c = g.cast::<$ty>();
                    $prev = (*c).check_hook;
                    (*c).check_hook = Some($w);
                }};
            }
            match name {
                b"role" => swap!(pg_sys::config_string, P_ROLE, w_role),
                b"session_authorization" => swap!(pg_sys::config_string, P_SESS_AUTH, w_sess_auth),
                b"dynamic_library_path" => swap!(pg_sys::config_string, P_DLP, w_dlp),
                b"session_preload_libraries" => swap!(pg_sys::config_string, P_SPL, w_spl),
                b"local_preload_libraries" => swap!(pg_sys::config_string, P_LPL, w_lpl),
                b"session_replication_role" => swap!(pg_sys::config_enum, P_SRR, w_srr),
                b"log_statement" => swap!(pg_sys::config_enum, P_LST, w_lst),
                b"log_min_messages" => swap!(pg_sys::config_enum, P_LMM, w_lmm),
                b"log_min_error_statement" => swap!(pg_sys::config_enum, P_LMES, w_lmes),
                b"log_min_duration_statement" => swap!(pg_sys::config_int, P_LMDS, w_lmds),
                b"allow_system_table_mods" => swap!(pg_sys::config_bool, P_ASTM, w_astm),
                b"lo_compat_privileges" => swap!(pg_sys::config_bool, P_LCP, w_lcp),
                b"zero_damaged_pages" => swap!(pg_sys::config_bool, P_ZDP, w_zdp),
                _ => {}
            }
        }
    }
}
