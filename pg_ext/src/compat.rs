//! What differs between the PostgreSQL major versions extguard builds for
//! (pgrx features `pg15`, `pg16`, `pg17`, `pg18`), in one place.
//!
//! Each item has one signature on every version; only the bodies here are
//! `cfg`'d, so the hooks and the wasm language are written once:
//!
//! | what | 15 | 16, 17 | 18 |
//! |---|---|---|---|
//! | ExecutorCheckPerms hook | `(range_table, ereport)`; privileges in each RangeTblEntry | `(range_table, rte_perm_infos, ereport)`; privileges in RTEPermissionInfo, found by the entry's `perminfoindex` | as 16 |
//! | ExecutorRun hook | `(query_desc, direction, count, execute_once)` | same | no `execute_once` |
//! | GUC table | `get_guc_variables()` array + `GetNumConfigOptions()` | `get_guc_variables(&n)` returns a palloc'd array (the table became a hash) | as 16 |
//! | `AclMode` | 32 bits | 64 bits | as 16 |
//! | GRANT role options | `admin_opt` flag | `opt` list: `ADMIN`, `INHERIT`, `SET` with values | as 16 |
//! | local transaction id | `MyProc->lxid` | 16: as 15; 17: `MyProc->vxid.lxid` | as 17 |
//! | client Port | pgrx's `Port` | 16: as 15; 17: no `canAcceptConnections` (pgrx 0.18's Port still has it, so it is read here through a layout of 17's own) | `local_host` added (pgrx's Port is right) |
//! | where CREATE EXTENSION finds control files | `SHAREDIR/extension` | same | `extension_control_path`: each element `DIR` means `DIR/extension` (`$system`: `SHAREDIR/extension`); a relative `directory` of a control file is relative to `DIR` |
//! | raw xmin of a tuple | `HeapTupleHeaderGetRawXmin` | same | same, read here (pgrx exports the name twice on 18) |

use pgrx::pg_sys;

/// Every setting in the GUC table, copied into a Vec.
///
/// # Safety
/// Call after the GUC table is built (in `_PG_init` or a backend); the
/// entries themselves live as long as the settings (never freed).
pub(crate) unsafe fn guc_variables() -> Vec<*mut pg_sys::config_generic> {
    #[cfg(feature = "pg15")]
    // SAFETY: per caller; the array holds GetNumConfigOptions() entries.
    let (vars, n) = unsafe { (pg_sys::get_guc_variables(), pg_sys::GetNumConfigOptions()) };
    #[cfg(not(feature = "pg15"))]
    let mut n: std::ffi::c_int = 0;
    #[cfg(not(feature = "pg15"))]
    // SAFETY: per caller; get_guc_variables returns a palloc'd array of `n`
    // entries (in CurrentMemoryContext), copied below before it can be freed.
    let vars = unsafe { pg_sys::get_guc_variables(&mut n) };
    if vars.is_null() || n <= 0 {
        return Vec::new();
    }
    // SAFETY: `vars` holds `n` entries.
    unsafe { std::slice::from_raw_parts(vars, n as usize) }.to_vec()
}

/// `AclMode` bits as u64 on every version (`AclMode` is 32 bits wide on 15
/// and 64 from 16).
pub(crate) const ACL_INSERT: u64 = pg_sys::ACL_INSERT as u64;
pub(crate) const ACL_UPDATE: u64 = pg_sys::ACL_UPDATE as u64;
pub(crate) const ACL_DELETE: u64 = pg_sys::ACL_DELETE as u64;

/// `HeapTupleHeaderGetRawXmin`: the inserting transaction of a tuple, as
/// stored. (On 18 pgrx exports two functions of that name, so the field is
/// read here, which is what the C macro does on every version.)
///
/// # Safety
/// `t_data` must point to a valid heap tuple header.
pub(crate) unsafe fn heap_tuple_raw_xmin(
    t_data: *const pg_sys::HeapTupleHeaderData,
) -> pg_sys::TransactionId {
    // SAFETY: per caller; a heap tuple's header holds t_heap.
    unsafe { (*t_data).t_choice.t_heap.t_xmin }
}

/// Local transaction id of this process (0 without a PGPROC): `lxid` in
/// PGPROC on 15 and 16, `vxid.lxid` from 17.
///
/// # Safety
/// Reads the backend global `MyProc`, which is NULL or this process's PGPROC.
pub(crate) unsafe fn my_local_xid() -> u32 {
    // SAFETY: per caller.
    let proc = unsafe { pg_sys::MyProc.as_ref() };
    #[cfg(any(feature = "pg15", feature = "pg16"))]
    let lxid = proc.map_or(0, |p| p.lxid);
    #[cfg(not(any(feature = "pg15", feature = "pg16")))]
    let lxid = proc.map_or(0, |p| p.vxid.lxid);
    lxid
}

/// The strings of a client connection that records name (NULL when unset).
#[derive(Clone, Copy)]
pub(crate) struct PortStrings {
    pub database_name: *const std::ffi::c_char,
    pub user_name: *const std::ffi::c_char,
    pub remote_host: *const std::ffi::c_char,
}

/// The head of PostgreSQL 17's `struct Port` (libpq/libpq-be.h) up to
/// `user_name`: 17 dropped `canAcceptConnections`, which pgrx 0.18's Port
/// for 17 still declares, so its `database_name` and `user_name` would be
/// read 8 bytes too far.
#[cfg(feature = "pg17")]
#[repr(C)]
struct Port17Head {
    sock: pg_sys::pgsocket,
    noblock: bool,
    proto: pg_sys::ProtocolVersion,
    laddr: pg_sys::SockAddr,
    raddr: pg_sys::SockAddr,
    remote_host: *mut std::ffi::c_char,
    remote_hostname: *mut std::ffi::c_char,
    remote_hostname_resolv: std::ffi::c_int,
    remote_hostname_errcode: std::ffi::c_int,
    remote_port: *mut std::ffi::c_char,
    database_name: *mut std::ffi::c_char,
    user_name: *mut std::ffi::c_char,
}

/// The strings of a Port (None for NULL).
///
/// # Safety
/// `port` must be NULL or this backend's valid `Port` (`MyProcPort`, or
/// the one ClientAuthentication_hook receives).
pub(crate) unsafe fn port_strings(port: *const std::ffi::c_void) -> Option<PortStrings> {
    #[cfg(not(feature = "pg17"))]
    // SAFETY: per caller; pgrx's Port matches this version's head.
    let strings = unsafe { port.cast::<pg_sys::libpq::be::Port>().as_ref() }.map(|p| PortStrings {
        database_name: p.database_name,
        user_name: p.user_name,
        remote_host: p.remote_host,
    });
    #[cfg(feature = "pg17")]
    // SAFETY: per caller; Port17Head is the head of 17's Port.
    let strings = unsafe { port.cast::<Port17Head>().as_ref() }.map(|p| PortStrings {
        database_name: p.database_name,
        user_name: p.user_name,
        remote_host: p.remote_host,
    });
    strings
}

/// A relation of a range table with the privileges the statement needs on it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RelationUse {
    pub relid: pg_sys::Oid,
    /// `pg_class.relkind` (`RELKIND_*`).
    pub relkind: u8,
    /// `ACL_*` bits checked for the statement (0 when none are).
    pub required_perms: u64,
}

/// The arguments of an ExecutorCheckPerms call, on every version.
#[derive(Clone, Copy)]
pub(crate) struct CheckPermsArgs {
    pub range_table: *mut pg_sys::List,
    /// The RTEPermissionInfo list (NULL on PostgreSQL 15).
    #[cfg_attr(feature = "pg15", allow(dead_code))]
    pub perm_infos: *mut pg_sys::List,
    pub ereport: bool,
}

/// A previous ExecutorCheckPerms hook, whatever its version's signature.
pub(crate) type CheckPermsHook = pg_sys::ExecutorCheckPerms_hook_type;

impl CheckPermsArgs {
    /// The relation entries of the range table, without allocating (this
    /// runs for every query).
    ///
    /// # Safety
    /// The lists must be NULL or the executor's range table and permission
    /// infos, alive while the iterator is used.
    #[allow(clippy::useless_conversion)] // AclMode is u64 from 16
    pub(crate) unsafe fn relations(self) -> impl Iterator<Item = RelationUse> {
        // SAFETY: per caller.
        let rtes = unsafe { list_elements(self.range_table) };
        // SAFETY: per caller; every element of a range table is an RTE.
        rtes.map(|p| unsafe { &*p.cast::<pg_sys::RangeTblEntry>() })
            .filter(|r| r.rtekind == pg_sys::RTEKind::RTE_RELATION)
            .map(move |r| RelationUse {
                relid: r.relid,
                relkind: r.relkind as u8,
                // SAFETY: per caller.
                required_perms: u64::from(unsafe { self.required_perms(r) }),
            })
    }

    #[cfg(feature = "pg15")]
    unsafe fn required_perms(self, r: &pg_sys::RangeTblEntry) -> pg_sys::AclMode {
        r.requiredPerms
    }

    /// # Safety
    /// `perm_infos` must be NULL or the list `r.perminfoindex` indexes.
    #[cfg(not(feature = "pg15"))]
    unsafe fn required_perms(self, r: &pg_sys::RangeTblEntry) -> pg_sys::AclMode {
        // perminfoindex is 1-based; 0 means no permission check.
        let i = r.perminfoindex as usize;
        // SAFETY: per caller.
        let len = unsafe { self.perm_infos.as_ref() }.map_or(0, |l| l.length as usize);
        if i == 0 || i > len {
            return 0;
        }
        // SAFETY: 1 <= i <= length; the element is an RTEPermissionInfo.
        unsafe {
            let p = (*(*self.perm_infos).elements.add(i - 1)).ptr_value;
            (*p.cast::<pg_sys::RTEPermissionInfo>()).requiredPerms
        }
    }

    /// Call a previous hook with these arguments (true when there is none).
    ///
    /// # Safety
    /// `prev` must be the hook that was installed before ours; called from
    /// our hook with the arguments the executor passed.
    #[allow(clippy::let_and_return)] // one `let` per version
    pub(crate) unsafe fn chain(self, prev: CheckPermsHook) -> bool {
        let Some(prev) = prev else { return true };
        #[cfg(feature = "pg15")]
        // SAFETY: per caller; a C function, inside the FFI boundary.
        let ok =
            unsafe { pg_sys::ffi::pg_guard_ffi_boundary(|| prev(self.range_table, self.ereport)) };
        #[cfg(not(feature = "pg15"))]
        // SAFETY: as above.
        let ok = unsafe {
            pg_sys::ffi::pg_guard_ffi_boundary(|| {
                prev(self.range_table, self.perm_infos, self.ereport)
            })
        };
        ok
    }
}

/// Defines `unsafe extern "C-unwind" fn $name` with this version's
/// ExecutorCheckPerms signature, passing [`CheckPermsArgs`] to `$body`
/// (`unsafe fn(CheckPermsArgs) -> bool`).
macro_rules! check_perms_hook {
    ($name:ident => $body:path) => {
        #[cfg(feature = "pg15")]
        #[pgrx::pg_guard]
        unsafe extern "C-unwind" fn $name(
            range_table: *mut pgrx::pg_sys::List,
            ereport: bool,
        ) -> bool {
            let args = $crate::compat::CheckPermsArgs {
                range_table,
                perm_infos: std::ptr::null_mut(),
                ereport,
            };
            // SAFETY: forwarded from the executor.
            unsafe { $body(args) }
        }
        #[cfg(not(feature = "pg15"))]
        #[pgrx::pg_guard]
        unsafe extern "C-unwind" fn $name(
            range_table: *mut pgrx::pg_sys::List,
            perm_infos: *mut pgrx::pg_sys::List,
            ereport: bool,
        ) -> bool {
            let args = $crate::compat::CheckPermsArgs {
                range_table,
                perm_infos,
                ereport,
            };
            // SAFETY: forwarded from the executor.
            unsafe { $body(args) }
        }
    };
}
pub(crate) use check_perms_hook;

/// The arguments of an ExecutorRun call, on every version.
#[derive(Clone, Copy)]
pub(crate) struct ExecutorRunArgs {
    pub query_desc: *mut pg_sys::QueryDesc,
    pub direction: pg_sys::ScanDirection::Type,
    pub count: u64,
    /// Gone in PostgreSQL 18.
    #[cfg(not(feature = "pg18"))]
    pub execute_once: bool,
}

impl ExecutorRunArgs {
    /// Call a previous hook, or `standard_ExecutorRun` when there is none.
    ///
    /// # Safety
    /// `prev` must be the hook installed before ours; called from our hook
    /// with the arguments the executor passed.
    pub(crate) unsafe fn chain(self, prev: pg_sys::ExecutorRun_hook_type) {
        let a = self;
        #[cfg(not(feature = "pg18"))]
        // SAFETY: per caller; the raw previous hook inside the FFI boundary,
        // the standard function is a guarded pgrx binding.
        unsafe {
            match prev {
                Some(p) => pg_sys::ffi::pg_guard_ffi_boundary(|| {
                    p(a.query_desc, a.direction, a.count, a.execute_once)
                }),
                None => {
                    pg_sys::standard_ExecutorRun(a.query_desc, a.direction, a.count, a.execute_once)
                }
            }
        };
        #[cfg(feature = "pg18")]
        // SAFETY: as above.
        unsafe {
            match prev {
                Some(p) => {
                    pg_sys::ffi::pg_guard_ffi_boundary(|| p(a.query_desc, a.direction, a.count))
                }
                None => pg_sys::standard_ExecutorRun(a.query_desc, a.direction, a.count),
            }
        };
    }
}

/// Defines `unsafe extern "C-unwind" fn $name` with this version's
/// ExecutorRun signature, passing [`ExecutorRunArgs`] to `$body`
/// (`unsafe fn(ExecutorRunArgs)`).
macro_rules! executor_run_hook {
    ($name:ident => $body:path) => {
        #[cfg(not(feature = "pg18"))]
        #[pgrx::pg_guard]
        unsafe extern "C-unwind" fn $name(
            query_desc: *mut pgrx::pg_sys::QueryDesc,
            direction: pgrx::pg_sys::ScanDirection::Type,
            count: u64,
            execute_once: bool,
        ) {
            let args = $crate::compat::ExecutorRunArgs {
                query_desc,
                direction,
                count,
                execute_once,
            };
            // SAFETY: forwarded from the executor.
            unsafe { $body(args) }
        }
        #[cfg(feature = "pg18")]
        #[pgrx::pg_guard]
        unsafe extern "C-unwind" fn $name(
            query_desc: *mut pgrx::pg_sys::QueryDesc,
            direction: pgrx::pg_sys::ScanDirection::Type,
            count: u64,
        ) {
            let args = $crate::compat::ExecutorRunArgs {
                query_desc,
                direction,
                count,
            };
            // SAFETY: forwarded from the executor.
            unsafe { $body(args) }
        }
    };
}
pub(crate) use executor_run_hook;

/// The options of `GRANT role TO …` as written: `ADMIN OPTION` on 15;
/// on 16+ each `WITH` option with its value (`INHERIT TRUE`, `SET FALSE`,
/// `ADMIN TRUE`). Empty when there are none.
///
/// # Safety
/// `g` must be a GrantRoleStmt from the parser.
#[allow(clippy::let_and_return)] // one `let` per version
pub(crate) unsafe fn grant_role_options(g: &pg_sys::GrantRoleStmt) -> Vec<String> {
    #[cfg(feature = "pg15")]
    let options = if g.admin_opt {
        vec!["ADMIN OPTION".to_string()]
    } else {
        Vec::new()
    };
    #[cfg(not(feature = "pg15"))]
    // SAFETY: per caller, `opt` is NULL or a List of DefElem.
    let options = unsafe { crate::hooks::utility::def_elems(g.opt) }
        .into_iter()
        .map(|(name, value, _)| {
            let value = if value.is_empty() {
                "true".into()
            } else {
                value
            };
            format!(
                "{} {}",
                name.to_ascii_uppercase(),
                value.to_ascii_uppercase()
            )
        })
        .collect();
    options
}

/// Elements of a pointer List (NULL gives none).
///
/// # Safety
/// `list` must be NULL or a valid pointer List that outlives the iterator.
unsafe fn list_elements(list: *mut pg_sys::List) -> impl Iterator<Item = *mut std::ffi::c_void> {
    // SAFETY: per caller.
    let len = unsafe { list.as_ref() }.map_or(0, |l| l.length as usize);
    // SAFETY: i < length, so the element exists.
    (0..len).map(move |i| unsafe { (*(*list).elements.add(i)).ptr_value })
}

/// The directories CREATE EXTENSION looks for `name.control` in, in
/// order, each with the base a relative `directory` parameter of a
/// control file found there is relative to. `sharedir`: the share
/// directory; `control_path`: the `extension_control_path` setting (18+;
/// ignored before).
pub(crate) fn extension_control_dirs(
    sharedir: &std::path::Path,
    control_path: Option<&str>,
) -> Vec<(std::path::PathBuf, std::path::PathBuf)> {
    let system = (sharedir.join("extension"), sharedir.to_path_buf());
    #[cfg(not(feature = "pg18"))]
    {
        let _ = control_path;
        vec![system]
    }
    #[cfg(feature = "pg18")]
    {
        match control_path {
            None | Some("") => vec![system],
            Some(path) => path
                .split(':')
                .filter(|e| !e.is_empty())
                .map(|e| {
                    if e == "$system" {
                        system.clone()
                    } else {
                        let base = std::path::PathBuf::from(e);
                        (base.join("extension"), base)
                    }
                })
                .collect(),
        }
    }
}
