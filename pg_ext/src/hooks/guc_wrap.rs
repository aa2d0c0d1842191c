//! Wrap the check hooks of sensitive built-in settings so that changes made
//! through `set_config()` (which no utility hook sees) are recorded.
//! SET / ALTER ... SET are recorded by the utility hook, which suppresses
//! these wrappers while it runs the statement.
//!
//! A check hook is not told which setting it checks, so each wrapped
//! setting gets its own wrapper function: a fixed pool of "slots" per
//! value type, each slot remembering the setting name and the original
//! hook. Every setting that [`crate::vectors::classify_setting`] flags and
//! that a session can change gets a slot (all `log_*`, `role`,
//! `dynamic_library_path`, ...), as long as the pool lasts.

use super::cstr;
use super::settings_check::record_session_change;
use crate::vectors;
use pgrx::pg_sys;
use std::ffi::{c_char, c_int, c_void, CStr};

/// One wrapped setting: its name and the check hook it had.
struct Slot<H: Copy> {
    name: *const c_char,
    generic: *mut pg_sys::config_generic,
    prev: Option<H>,
}

/// Label of an enum setting's value (`replica`, not `1`).
///
/// # Safety
/// `generic` must be a `config_enum` entry of the GUC table.
unsafe fn enum_label(generic: *mut pg_sys::config_generic, val: c_int) -> String {
    // SAFETY: per caller; the options array ends with a NULL name.
    unsafe {
        let mut opt = (*generic.cast::<pg_sys::config_enum>()).options;
        while !opt.is_null() && !(*opt).name.is_null() {
            if (*opt).val == val {
                return cstr((*opt).name);
            }
            opt = opt.add(1);
        }
    }
    val.to_string()
}

macro_rules! slot_pool {
    ($mod_name:ident, $val_ty:ty, $n:literal, |$p:ident, $slot:ident| $show:expr, [$($i:literal),*]) => {
        mod $mod_name {
            use super::*;
            type Hook = unsafe extern "C-unwind" fn(*mut $val_ty, *mut *mut c_void, pg_sys::GucSource::Type) -> bool;
            pub(super) static mut SLOTS: [Slot<Hook>; $n] =
                [const { Slot { name: std::ptr::null(), generic: std::ptr::null_mut(), prev: None } }; $n];
            pub(super) static mut USED: usize = 0;
            pub(super) const N: usize = $n;

            /// # Safety
            /// Called by guc.c with a valid `newval`; slot `i` was filled by `install`.
            unsafe fn check(i: usize, newval: *mut $val_ty, extra: *mut *mut c_void, source: pg_sys::GucSource::Type) -> bool {
                // SAFETY: slots are written once in _PG_init, then only read.
                let slot = unsafe { &(*(&raw const SLOTS))[i] };
                // SAFETY: name points into the static GUC table.
                let (name, prev) = (unsafe { cstr(slot.name) }, slot.prev);
                let $p = newval;
                let $slot = slot;
                // SAFETY: guc.c passes a valid pointer to the proposed value.
                let shown: String = unsafe { $show };
                record_session_change(source, &name, &shown);
                if source == pg_sys::GucSource::PGC_S_SESSION && silences_walsender(&name, &shown) {
                    // SAFETY: guc.c reads (and frees with its context) this palloc'd string.
                    unsafe {
                        pg_sys::GUC_check_errdetail_string = pg_sys::pstrdup(
                            c"extguard: a walsender keeps logging its replication commands (they are audited from that message)".as_ptr(),
                        )
                    };
                    return false;
                }
                match prev {
                    // SAFETY: the original C check hook, inside the FFI boundary.
                    Some(prev) => unsafe { pg_sys::ffi::pg_guard_ffi_boundary(|| prev(newval, extra, source)) },
                    None => true,
                }
            }

            pub(super) const WRAPPERS: [Hook; $n] = [$({
                #[pgrx::pg_guard]
                unsafe extern "C-unwind" fn w(newval: *mut $val_ty, extra: *mut *mut c_void, source: pg_sys::GucSource::Type) -> bool {
                    // SAFETY: forwarded from guc.c.
                    unsafe { check($i, newval, extra, source) }
                }
                w
            }),*];
        }
    };
}

slot_pool!(
    bools,
    bool,
    16,
    |p, _s| (*p).to_string(),
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]
);
slot_pool!(
    ints,
    c_int,
    12,
    |p, _s| (*p).to_string(),
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]
);
slot_pool!(reals, f64, 6, |p, _s| (*p).to_string(), [0, 1, 2, 3, 4, 5]);
slot_pool!(
    enums,
    c_int,
    12,
    |p, s| enum_label(s.generic, *p),
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]
);
slot_pool!(
    strings,
    *mut c_char,
    12,
    |p, _s| cstr(*p),
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]
);

/// In a walsender, whether `SET name = value` would silence the
/// replication-command messages the audit records commands from (the
/// connection's own options and per-role settings are outranked at
/// authentication; SET in a database walsender would still win).
fn silences_walsender(name: &str, value: &str) -> bool {
    // SAFETY: plain read of a backend global.
    let walsender = unsafe { pg_sys::am_walsender };
    walsender && vectors::silences_replication_log(name, value)
}

/// Whether a session can choose this setting at all: SET / set_config,
/// or at connection start (connection options, per-role / per-database
/// settings: `log_connections`, `ignore_system_indexes`, ...).
fn session_settable(context: pg_sys::GucContext::Type) -> bool {
    use pg_sys::GucContext::*;
    matches!(
        context,
        PGC_SUSET | PGC_USERSET | PGC_BACKEND | PGC_SU_BACKEND
    )
}

/// Replace the check hooks (keeping the originals to chain to). Settings
/// of extguard itself have their own check hooks (`settings_check`).
pub fn install() {
    // SAFETY: _PG_init in the postmaster, single-threaded; the GUC table is
    // fully built; we only swap the check_hook pointer of matching entries,
    // after saving it in the slot whose wrapper chains to it.
    unsafe {
        for g in crate::compat::guc_variables() {
            if g.is_null() || !session_settable((*g).context) {
                continue;
            }
            let name = CStr::from_ptr((*g).name).to_string_lossy();
            if name.starts_with("extguard.") || vectors::classify_setting(&name).is_none() {
                continue;
            }
            macro_rules! take {
                ($pool:ident, $ty:ty) => {{
                    let used = $pool::USED;
                    if used < $pool::N {
                        let c = g.cast::<$ty>();
                        (*(&raw mut $pool::SLOTS))[used] = Slot {
                            name: (*g).name,
                            generic: g,
                            prev: (*c).check_hook,
                        };
                        (*c).check_hook = Some($pool::WRAPPERS[used]);
                        $pool::USED = used + 1;
                    } else {
                        pgrx::log!("extguard: no free check-hook slot for setting {name}");
                    }
                }};
            }
            match (*g).vartype {
                pg_sys::config_type::PGC_BOOL => take!(bools, pg_sys::config_bool),
                pg_sys::config_type::PGC_INT => take!(ints, pg_sys::config_int),
                pg_sys::config_type::PGC_REAL => take!(reals, pg_sys::config_real),
                pg_sys::config_type::PGC_ENUM => take!(enums, pg_sys::config_enum),
                pg_sys::config_type::PGC_STRING => take!(strings, pg_sys::config_string),
                _ => {}
            }
        }
    }
}
