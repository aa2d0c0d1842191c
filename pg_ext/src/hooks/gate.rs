//! FFI side of the digest gate (`extguard.policy_file`): finds the files
//! PostgreSQL is about to run or load, hashes them and reports the ones the
//! policy does not vet as `unvetted_code` (safe matching in `crate::gate`).
//!
//! - CREATE EXTENSION (the extensions CASCADE will create too, followed
//!   through `requires`) and ALTER EXTENSION ... UPDATE: the control file
//!   and every `name--*.sql` / `name--*.control` of the script directory;
//! - LOAD, CREATE FUNCTION ... LANGUAGE c (its validator loads the
//!   library), the first lookup of a C function in a backend
//!   (`needs_fmgr_hook`, before `fmgr_info` loads the library; the executor's
//!   function-execute hook for SECURITY DEFINER / SET functions, whose
//!   lookup `fmgr_info` defers to their first call), session and local
//!   preload libraries a login asks for; the output plugin a logical
//!   decoding function will load (a new slot's, when the executor sets the
//!   call up; those of the server's logical slots); the libraries named by the
//!   configuration file's `*_preload_libraries` at server start.
//!
//! The policy is read when first needed and again when the setting, or the
//! file's size, mtime or inode, changes. Vetted libraries are remembered
//! per backend by path, device, inode, mtime and size.

use super::{cstr, record, refuse, BackendLocal};
use crate::gate::{self, Policy, Verdict};
use crate::record::{Outcome, Record, Session};
use crate::vectors::Vector;
use pgrx::pg_sys;
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::rc::Rc;

/// What identifies a file's state: path, device, inode, mtime (s, ns), size.
type FileKey = (PathBuf, u64, u64, i64, i64, u64);

fn file_key(path: &Path) -> Option<FileKey> {
    let m = std::fs::metadata(path).ok()?;
    Some((
        path.to_path_buf(),
        m.dev(),
        m.ino(),
        m.mtime(),
        m.mtime_nsec(),
        m.size(),
    ))
}

type Loaded = (String, Option<FileKey>, Rc<Result<Policy, String>>);

/// The policy read last, with the setting and file state it was read at.
static LOADED: BackendLocal<RefCell<Option<Loaded>>> = BackendLocal::new(RefCell::new(None));
/// Libraries found vetted under the policy in `LOADED`.
static VETTED: BackendLocal<RefCell<BTreeSet<FileKey>>> =
    BackendLocal::new(RefCell::new(BTreeSet::new()));
/// A function whose call loads code from a file.
#[derive(Clone)]
enum Loader {
    /// A C function: its name and library (`probin`).
    C(String, String),
    /// A logical decoding function: its name and where its plugin comes from.
    Decoding(String, gate::DecodingPlugin),
}

/// Functions looked up so far: OID -> what they load (None: nothing).
/// Dropped on any pg_proc invalidation.
static FUNCTIONS: BackendLocal<RefCell<BTreeMap<u32, Option<Loader>>>> =
    BackendLocal::new(RefCell::new(BTreeMap::new()));

/// Forget what functions load (called on any pg_proc invalidation, by
/// the object-access module's syscache callback).
pub(crate) fn forget_functions() {
    FUNCTIONS.borrow_mut().clear();
}

/// Whether `extguard.policy_file` is set: one pointer read, as this is
/// asked on every lookup of a non-built-in function.
pub(crate) fn enabled() -> bool {
    // SAFETY: the setting's current value: NULL or a NUL-terminated string
    // guc.c keeps alive while it is the value.
    unsafe {
        let p = *crate::settings::POLICY_FILE.as_ptr();
        !p.is_null() && *p != 0
    }
}

/// The policy in force, None when the gate is off. An unreadable or
/// invalid policy is `Err` (with a WARNING when it is read): everything
/// then counts as unvetted.
fn policy() -> Option<Rc<Result<Policy, String>>> {
    if !enabled() {
        return None;
    }
    let path = crate::settings::policy_file();
    let key = file_key(Path::new(&path));
    if let Some((p, k, loaded)) = LOADED.borrow().as_ref() {
        if *p == path && *k == key {
            return Some(loaded.clone());
        }
    }
    let result = std::fs::read_to_string(&path)
        .map_err(|e| e.to_string())
        .and_then(|text| Policy::parse(&text));
    if let Err(e) = &result {
        pgrx::warning!(
            "extguard: policy file \"{path}\" is not usable: {e}; every extension file and library counts as unvetted"
        );
    }
    let loaded = Rc::new(result);
    VETTED.borrow_mut().clear();
    *LOADED.borrow_mut() = Some((path, key, loaded.clone()));
    Some(loaded)
}

/// The `unvetted_code` detail for `path`, None when it is vetted.
fn judge(
    policy: &Result<Policy, String>,
    what: &str,
    path: &Path,
    verdict: impl Fn(&Policy, &str) -> Verdict,
) -> Option<String> {
    let shown = path.display().to_string();
    let actual = gate::sha256_file(path).unwrap_or_else(|e| format!("unreadable ({e})"));
    match policy {
        Err(e) => Some(format!(
            "{what} {shown}: policy unusable ({e}); actual {actual}"
        )),
        Ok(p) => gate::unvetted_detail(what, &shown, &verdict(p, &actual), &actual),
    }
}

/// Record every detail, then refuse once if `unvetted_code` is blocked.
fn record_all(hook: &'static str, details: Vec<String>, statement: Option<String>) {
    let mut blocked = None;
    for d in details {
        if let Some(b) = record(Vector::UnvettedCode, hook, d, statement.clone()) {
            blocked.get_or_insert(b);
        }
    }
    if let Some(d) = blocked {
        refuse(Vector::UnvettedCode, &d);
    }
}

/// The file PostgreSQL loads for library name `name` (as
/// `expand_dynamic_library_name` resolves it), or why it cannot be
/// vetted; None when there is nothing to load (PostgreSQL fails itself).
fn resolve(name: &str) -> Option<Result<PathBuf, String>> {
    let paths = super::isolation::server_paths();
    let pkglib = paths.pkglibdir?.to_string_lossy().into_owned();
    let dlp = paths.dynamic_library_path.unwrap_or_default();
    let suffix = pg_sys::DLSUFFIX.to_str().unwrap_or(".so");
    match gate::resolve_library(name, &pkglib, &dlp, suffix, &|p| p.is_file()) {
        Ok(Some(p)) => Some(Ok(p)),
        // PostgreSQL then passes the name as written: a path relative to
        // the data directory (the server's working directory) when it has
        // a '/'; a bare name makes dlopen search the system's library
        // path, a file this gate cannot tell in advance.
        Ok(None) if name.contains('/') => {
            let p = PathBuf::from(name);
            p.is_file().then_some(Ok(p))
        }
        Ok(None) => Path::new(name).exists().then(|| {
            Err(format!(
                "library {name}: not found in dynamic_library_path (dlopen would search the system library path)"
            ))
        }),
        Err(_) => None,
    }
}

/// The `unvetted_code` detail of library name `name`, None when vetted
/// (or nothing would be loaded).
fn library_detail(policy: &Result<Policy, String>, name: &str) -> Option<String> {
    let path = match resolve(name)? {
        Ok(p) => p,
        Err(why) => return Some(why),
    };
    let before = file_key(&path);
    if before.as_ref().is_some_and(|k| VETTED.borrow().contains(k)) {
        return None;
    }
    let shown = path.display().to_string();
    let detail = judge(policy, "library", &path, |p, sha| p.library(&shown, sha));
    // Remembered only if the file did not change while it was hashed.
    if let (None, Some(key)) = (&detail, before) {
        if file_key(&path).as_ref() == Some(&key) {
            VETTED.borrow_mut().insert(key);
        }
    }
    detail
}

/// Check a library before PostgreSQL loads it; `context` says what loads
/// it (`LOAD`, `C function f`).
pub(crate) fn check_library(name: &str, hook: &'static str, context: &str) {
    let Some(policy) = policy() else {
        return;
    };
    if let Some(d) = library_detail(&policy, name) {
        record_all(hook, vec![format!("{context}: {d}")], None);
    }
}

/// Check what a function's call loads before it is loaded: a C function's
/// library (before its first lookup), a logical decoding function's
/// output plugin (when the executor sets the call up).
pub(crate) fn check_function(oid: pg_sys::Oid, hook: &'static str) {
    if !enabled() {
        return;
    }
    let key = oid.to_u32();
    let cached = FUNCTIONS.borrow().get(&key).cloned();
    let loader = match cached {
        Some(l) => l,
        None => {
            let languages = super::object_access::builtin_languages();
            let l = super::object_access::proc_identity(oid).and_then(|(lang, name, src, bin)| {
                if lang == languages.c {
                    Some(Loader::C(name, bin))
                } else if lang == languages.internal {
                    gate::decoding_plugin(&src).map(|p| Loader::Decoding(name, p))
                } else {
                    None
                }
            });
            FUNCTIONS.borrow_mut().insert(key, l.clone());
            l
        }
    };
    match loader {
        Some(Loader::C(name, library)) => {
            check_library(&library, hook, &format!("C function {name}"))
        }
        Some(Loader::Decoding(name, from)) if hook == "function_execute" => {
            check_decoding_plugin(oid, &name, from)
        }
        _ => {}
    }
}

/// The output plugins a logical decoding call may load: the constant
/// argument naming a new slot's plugin (a plugin not known before the
/// call, an expression or a variable, cannot be vetted), or the plugins of
/// the server's logical slots.
fn check_decoding_plugin(oid: pg_sys::Oid, name: &str, from: gate::DecodingPlugin) {
    let Some(policy) = policy() else {
        return;
    };
    let context = format!("output plugin of {name}");
    let mut details = Vec::new();
    match from {
        gate::DecodingPlugin::Argument(n) => {
            let plugins = super::executor::const_arg_at(oid, n).unwrap_or_default();
            if plugins.is_empty() || plugins.iter().any(Option::is_none) {
                details.push(format!(
                    "{context}: not a constant, cannot be vetted before the call"
                ));
            }
            for p in plugins.into_iter().flatten() {
                details.extend(library_detail(&policy, &p).map(|d| format!("{context}: {d}")));
            }
        }
        gate::DecodingPlugin::Slots => {
            let plugins: Vec<String> = pgrx::spi::Spi::connect(|c| {
                c.select(
                    "SELECT DISTINCT plugin::text FROM pg_catalog.pg_replication_slots \
                     WHERE slot_type = 'logical' AND plugin IS NOT NULL",
                    None,
                    &[],
                )
                .map(|rows| {
                    rows.filter_map(|r| r.get::<String>(1).ok().flatten())
                        .collect()
                })
                .unwrap_or_default()
            });
            for p in plugins {
                details.extend(library_detail(&policy, &p).map(|d| format!("{context}: {d}")));
            }
        }
    }
    record_all("function_execute", details, None);
}

/// Whether language `name` is C (by OID: a renamed `c` is still C).
pub(crate) fn is_c_language(name: &str) -> bool {
    let Ok(c) = std::ffi::CString::new(name) else {
        return false;
    };
    // SAFETY: missing_ok lookup by NUL-terminated name, in a transaction.
    let oid = unsafe { pg_sys::get_language_oid(c.as_ptr(), true) };
    oid.to_u32() == super::object_access::builtin_languages().c
}

fn extension_installed(name: &str) -> bool {
    let Ok(c) = std::ffi::CString::new(name) else {
        return false;
    };
    // SAFETY: missing_ok catalog lookup by NUL-terminated name.
    unsafe { pg_sys::get_extension_oid(c.as_ptr(), true) != pg_sys::InvalidOid }
}

/// The unvetted files of extension `name` and, with `cascade`, of the
/// extensions it requires that are not installed yet (CREATE EXTENSION
/// ... CASCADE creates them without passing through ProcessUtility).
fn extension_details(policy: &Result<Policy, String>, name: &str, cascade: bool) -> Vec<String> {
    let paths = super::isolation::server_paths();
    let Some(share) = paths.sharedir else {
        return Vec::new();
    };
    let dirs =
        crate::compat::extension_control_dirs(&share, paths.extension_control_path.as_deref());
    let mut details = Vec::new();
    let mut todo = vec![name.to_string()];
    let mut seen = HashSet::new();
    while let Some(ext) = todo.pop() {
        if !seen.insert(ext.clone()) {
            continue;
        }
        let control_name = format!("{ext}.control");
        let Some((dir, base)) = dirs.iter().find(|(d, _)| d.join(&control_name).is_file()) else {
            continue;
        };
        let control = dir.join(&control_name);
        let mut check = |path: &Path| {
            let what = if path.extension().is_some_and(|e| e == "control") {
                "control file"
            } else {
                "script"
            };
            let file = path.display().to_string();
            if let Some(d) = judge(policy, what, path, |p, sha| {
                p.extension_file(&ext, &file, sha)
            }) {
                details.push(format!("extension {ext}: {d}"));
            }
        };
        check(&control);
        let parsed = gate::parse_control(&std::fs::read_to_string(&control).unwrap_or_default());
        let mut requires = parsed.requires;
        let scripts = gate::script_directory(dir, base, parsed.directory.as_deref());
        let mut files: Vec<PathBuf> = std::fs::read_dir(&scripts)
            .into_iter()
            .flatten()
            .flatten()
            .filter(|e| gate::is_extension_file(&ext, &e.file_name().to_string_lossy()))
            .map(|e| e.path())
            .collect();
        files.sort();
        for f in &files {
            check(f);
            if f.extension().is_some_and(|e| e == "control") {
                let aux = gate::parse_control(&std::fs::read_to_string(f).unwrap_or_default());
                requires.extend(aux.requires);
            }
        }
        if cascade {
            todo.extend(requires.into_iter().filter(|r| !extension_installed(r)));
        }
    }
    details
}

/// Check CREATE EXTENSION `name` (CASCADE: `cascade`) or ALTER EXTENSION
/// `name` UPDATE before PostgreSQL reads any of its files.
pub(crate) fn check_extension(name: &str, cascade: bool, statement: String) {
    let Some(policy) = policy() else {
        return;
    };
    let details = extension_details(&policy, name, cascade);
    record_all("utility", details, Some(statement));
}

/// The `unvetted_code` details of the libraries of a preload setting.
fn preload_details(policy: &Result<Policy, String>, setting: &str, value: &str) -> Vec<String> {
    gate::split_library_list(value)
        .iter()
        .filter_map(|lib| {
            library_detail(policy, &gate::as_loaded_by(setting, lib))
                .map(|d| format!("{setting}: {d}"))
        })
        .collect()
}

/// Check the libraries of a preload setting a login asks for
/// (connection options, ALTER ROLE / DATABASE SET), before PostgreSQL
/// loads them; blocked: the connection is refused.
pub(crate) fn check_login_preload(setting: &str, value: &str) {
    if !matches!(
        setting.to_ascii_lowercase().as_str(),
        "session_preload_libraries" | "local_preload_libraries"
    ) {
        return;
    }
    let Some(policy) = policy() else {
        return;
    };
    record_all(
        "session_start",
        preload_details(&policy, setting, value),
        None,
    );
}

/// At the authentication of a client login: check the libraries the
/// configuration's `session_preload_libraries` / `local_preload_libraries`
/// name (a reload may have changed them since the server started; the
/// login's own settings come later and are checked by
/// [`check_login_preload`]). Records carry the startup packet's facts (no
/// user is set up yet); blocked and the login not exempt: refused.
pub(crate) fn check_preload_at_login(session: Session) {
    let lists: Vec<(String, String)> = [c"session_preload_libraries", c"local_preload_libraries"]
        .iter()
        .map(|setting| {
            // SAFETY: GetConfigOption with missing_ok returns NULL or the
            // setting's NUL-terminated current value, copied at once.
            let value = unsafe { cstr(pg_sys::GetConfigOption(setting.as_ptr(), true, false)) };
            (setting.to_string_lossy().into_owned(), value)
        })
        .filter(|(_, value)| !value.trim().is_empty())
        .collect();
    // Most logins preload nothing: the policy is not even read for them.
    if lists.is_empty() {
        return;
    }
    let Some(policy) = policy() else {
        return;
    };
    let mut details = Vec::new();
    for (setting, value) in &lists {
        details.extend(preload_details(&policy, setting, value));
    }
    if details.is_empty() {
        return;
    }
    // an exempt login is recorded, never refused
    let may_block = !super::exempt_user(&session.session_user);
    let mut blocked = None;
    for detail in details {
        let b = super::record_for(
            session.clone(),
            Vector::UnvettedCode,
            "authentication",
            detail.clone(),
            String::new(),
            may_block,
        );
        if b {
            blocked.get_or_insert(detail);
        }
    }
    if let Some(d) = blocked {
        refuse(Vector::UnvettedCode, &d);
    }
}

/// In the postmaster's `_PG_init`, while `shared_preload_libraries` load:
/// the libraries listed after extguard are not loaded yet. With
/// `unvetted_code` blocked, an unvetted one stops the server from starting
/// (FATAL naming the file and digests; shared memory does not exist yet,
/// so the server log holds the record). Not blocked: they are recorded
/// once shared memory is up, by [`record_preload_at_start`].
pub(crate) fn refuse_unvetted_preload() {
    if !crate::settings::AUDIT.get()
        || !crate::vectors::is_blocked(&crate::settings::block_list(), Vector::UnvettedCode)
    {
        return;
    }
    // SAFETY: GetConfigOption with missing_ok returns NULL or the
    // setting's NUL-terminated current value, copied at once.
    let value = unsafe {
        cstr(pg_sys::GetConfigOption(
            c"shared_preload_libraries".as_ptr(),
            true,
            false,
        ))
    };
    let libs = gate::split_library_list(&value);
    let not_loaded = gate::after_extguard(&libs);
    if not_loaded.is_empty() {
        return;
    }
    let Some(policy) = policy() else {
        return;
    };
    let details: Vec<String> = not_loaded
        .iter()
        .filter_map(|lib| library_detail(&policy, lib))
        .map(|d| format!("shared_preload_libraries: {d}"))
        .collect();
    if !details.is_empty() {
        pgrx::ereport!(
            pgrx::PgLogLevel::FATAL,
            pgrx::PgSqlErrorCode::ERRCODE_INSUFFICIENT_PRIVILEGE,
            format!(
                "extguard: {} is blocked on this server",
                Vector::UnvettedCode.id()
            ),
            format!(
                "The vector id is listed in extguard.block; the server does not start. Detail: {}",
                details.join("; ")
            )
        );
    }
}

/// At server start (postmaster, after shared memory is set up): record the
/// unvetted libraries of the configuration's `*_preload_libraries`.
/// `shared_preload_libraries` are already loaded then, extguard among
/// them: they can only be recorded (outcome `observed`).
pub(crate) fn record_preload_at_start() {
    if !crate::settings::AUDIT.get() {
        return;
    }
    let Some(policy) = policy() else {
        return;
    };
    for setting in [
        c"shared_preload_libraries",
        c"session_preload_libraries",
        c"local_preload_libraries",
    ] {
        // SAFETY: GetConfigOption with missing_ok returns NULL or the
        // setting's NUL-terminated current value, copied at once.
        let value = unsafe { cstr(pg_sys::GetConfigOption(setting.as_ptr(), true, false)) };
        let setting = setting.to_string_lossy();
        for lib in gate::split_library_list(&value) {
            let name = gate::as_loaded_by(&setting, &lib);
            if let Some(d) = library_detail(&policy, &name) {
                let record = Record {
                    vector: Vector::UnvettedCode,
                    outcome: Outcome::Observed,
                    hook: "startup",
                    detail: format!("{setting}: {d}"),
                    statement: String::new(),
                    top_query: String::new(),
                    session: Session {
                        // SAFETY: plain read of a process global.
                        pid: unsafe { pg_sys::MyProcPid },
                        ..Session::default()
                    },
                };
                super::emit(&record);
            }
        }
    }
}
