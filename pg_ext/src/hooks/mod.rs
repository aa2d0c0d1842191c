//! The thin FFI layer: hook installation, session facts, the three sinks.
//!
//! All `unsafe` of the extension lives under this module. Hook entry points
//! are `#[pg_guard] extern "C-unwind"`; every call to a previous hook or a
//! `standard_*` function goes through `pg_guard_ffi_boundary`, so a
//! PostgreSQL ERROR (longjmp) never crosses Rust frames.

pub mod errors;
pub mod executor;
pub mod fdw;
pub mod fmgr;
pub mod gate;
pub mod guc_wrap;
pub mod isolation;
pub mod object_access;
pub mod replication;
pub mod settings_check;
pub mod shmem;
pub mod utility;

use crate::audit_mac;
use crate::record::{Outcome, Record, Session, Stamps, LOG_PREFIX};
use crate::redact::redact;
use crate::vectors::{self, ProcessKind, Vector};
use crate::{settings, sinks};
use pgrx::pg_sys;
use pgrx::prelude::*;
use std::cell::Cell;
use std::ffi::{c_char, c_int, CStr};

/// Per-statement state of this backend's hooks, in plain statics.
///
/// PostgreSQL calls a backend's hooks on its one main thread, so the state
/// needs no thread-local lookup (in a shared library every access to a
/// `thread_local!` is a call into the dynamic loader, on every statement).
pub(crate) struct BackendLocal<T>(T);

// SAFETY: only the backend's main thread reads or writes these values: the
// hooks and SQL functions that use them are called by PostgreSQL on that
// thread, and no other thread of the process (wasmtime's epoch ticker)
// touches them. pgrx refuses calls into PostgreSQL from other threads.
unsafe impl<T> Sync for BackendLocal<T> {}

impl<T> BackendLocal<T> {
    pub(crate) const fn new(value: T) -> Self {
        BackendLocal(value)
    }
}

impl<T> std::ops::Deref for BackendLocal<T> {
    type Target = T;
    #[inline(always)]
    fn deref(&self) -> &T {
        &self.0
    }
}

/// Depth of ProcessUtility + ExecutorRun frames of this backend.
static DEPTH: BackendLocal<Cell<i32>> = BackendLocal::new(Cell::new(0));
/// Above zero while a statement already recorded by the utility hook
/// changes a setting: the setting check hooks must not record it again.
static SETTING_RECORDED: BackendLocal<Cell<u32>> = BackendLocal::new(Cell::new(0));
/// Source text of the innermost executing statement (ExecutorStart).
static SOURCE_TEXT: BackendLocal<Cell<*const c_char>> =
    BackendLocal::new(Cell::new(std::ptr::null()));
/// `extguard_tamper` in the running utility statement: 0 outside one,
/// 1 none recorded yet, 2 recorded (one record per statement, however
/// many of extguard's objects it touches), 3 inside CREATE EXTENSION
/// extguard (its own script: nothing to record).
static TAMPER_SCOPE: BackendLocal<Cell<u8>> = BackendLocal::new(Cell::new(0));
/// The running utility statement and its source text (valid while it
/// runs), for records made below it.
#[allow(clippy::type_complexity)]
static UTILITY_STMT: BackendLocal<Cell<(*mut pg_sys::PlannedStmt, *const c_char)>> =
    BackendLocal::new(Cell::new((std::ptr::null_mut(), std::ptr::null())));

/// Nesting depth at which the statements of the running CREATE / ALTER
/// EXTENSION script run (-1 outside one).
static EXTENSION_SCRIPT_DEPTH: BackendLocal<Cell<i32>> = BackendLocal::new(Cell::new(-1));

/// Enter CREATE / ALTER EXTENSION (before its depth is entered): its
/// script's statements run one level deeper than the statement itself.
pub(crate) fn extension_script_scope() -> Restore<i32> {
    Restore::set(&EXTENSION_SCRIPT_DEPTH, DEPTH.get() + 1)
}

/// Whether the utility statement being classified is a statement of the
/// extension script itself, not one run by an event trigger or a function
/// while the script runs.
pub(crate) fn is_extension_script_statement() -> bool {
    DEPTH.get() == EXTENSION_SCRIPT_DEPTH.get()
}

/// Enter a utility statement; `recorded`: it was already recorded as
/// `extguard_tamper` by the utility hook; `own_script`: it is CREATE
/// EXTENSION extguard.
pub(crate) fn tamper_scope(recorded: bool, own_script: bool) -> Restore<u8> {
    let now = TAMPER_SCOPE.get();
    // Statements run by a statement already recorded (the update script of
    // ALTER EXTENSION extguard) or by extguard's own script inherit that.
    let new = if now == 3 || own_script {
        3
    } else if recorded || now == 2 {
        2
    } else {
        1
    };
    Restore::set(&TAMPER_SCOPE, new)
}

/// True while CREATE EXTENSION extguard runs its script.
pub(crate) fn in_own_script() -> bool {
    TAMPER_SCOPE.get() == 3
}

/// Whether an `extguard_tamper` record is to be made now; inside a utility
/// statement, marks it made.
pub(crate) fn claim_tamper_record() -> bool {
    match TAMPER_SCOPE.get() {
        2 | 3 => false,
        1 => {
            TAMPER_SCOPE.set(2);
            true
        }
        _ => true,
    }
}

/// Remember the running utility statement (restored on drop).
pub(crate) fn set_utility_stmt(
    pstmt: *mut pg_sys::PlannedStmt,
    query_string: *const c_char,
) -> Restore<(*mut pg_sys::PlannedStmt, *const c_char)> {
    Restore::set(&UTILITY_STMT, (pstmt, query_string))
}

/// Text of the running utility statement, if any.
pub(crate) fn utility_text() -> Option<String> {
    let (pstmt, query_string) = UTILITY_STMT.get();
    // SAFETY: set only while ProcessUtility runs with these pointers.
    (!pstmt.is_null()).then(|| unsafe { utility::statement_text(pstmt, query_string) })
}

/// Install every hook. Called from `_PG_init` only when preloaded.
pub fn install() {
    shmem::install();
    utility::install();
    object_access::install();
    executor::install();
    guc_wrap::install();
    errors::install();
    fmgr::install();
    replication::install();
    // last: everything is in place if the start goes on
    gate::refuse_unvetted_preload();
}

/// Run the ProcessUtility hook installed before ours (a raw C pointer:
/// called inside the FFI boundary), or the standard implementation when
/// there is none (a pgrx binding, already guarded; wrapping it again would
/// let the panic it raises cross the sigsetjmp trampoline).
///
/// # Safety
/// The arguments are those PostgreSQL passed to a ProcessUtility hook.
#[allow(clippy::too_many_arguments)]
pub(crate) unsafe fn chain_process_utility(
    prev: pg_sys::ProcessUtility_hook_type,
    pstmt: *mut pg_sys::PlannedStmt,
    query_string: *const std::ffi::c_char,
    read_only_tree: bool,
    context: pg_sys::ProcessUtilityContext::Type,
    params: pg_sys::ParamListInfo,
    query_env: *mut pg_sys::QueryEnvironment,
    dest: *mut pg_sys::DestReceiver,
    qc: *mut pg_sys::QueryCompletion,
) {
    // SAFETY: per caller.
    unsafe {
        match prev {
            Some(prev) => pg_sys::ffi::pg_guard_ffi_boundary(|| {
                prev(
                    pstmt,
                    query_string,
                    read_only_tree,
                    context,
                    params,
                    query_env,
                    dest,
                    qc,
                )
            }),
            None => pg_sys::standard_ProcessUtility(
                pstmt,
                query_string,
                read_only_tree,
                context,
                params,
                query_env,
                dest,
                qc,
            ),
        }
    }
}

/// Drop guard that restores a backend-local cell; runs on unwind too.
pub(crate) struct Restore<T: Copy + 'static> {
    cell: &'static Cell<T>,
    old: T,
}

impl<T: Copy + 'static> Restore<T> {
    #[inline(always)]
    pub(crate) fn set(cell: &'static BackendLocal<Cell<T>>, new: T) -> Self {
        let cell: &'static Cell<T> = cell;
        Restore {
            cell,
            old: cell.replace(new),
        }
    }
}

impl<T: Copy + 'static> Drop for Restore<T> {
    #[inline(always)]
    fn drop(&mut self) {
        self.cell.set(self.old);
    }
}

pub(crate) fn enter_depth() -> Restore<i32> {
    Restore::set(&DEPTH, DEPTH.get() + 1)
}

pub(crate) fn suppress_setting_checks() -> Restore<u32> {
    Restore::set(&SETTING_RECORDED, SETTING_RECORDED.get() + 1)
}

pub(crate) fn setting_checks_suppressed() -> bool {
    SETTING_RECORDED.get() > 0
}

pub(crate) fn set_source_text(p: *const c_char) -> Restore<*const c_char> {
    Restore::set(&SOURCE_TEXT, p)
}

/// Copy a C string in the server encoding (NULL gives ""), as UTF-8:
/// converted once from the database encoding (LATIN1, EUC_JP, ...), so a
/// record shows what the server executes; UTF-8 and SQL_ASCII bytes are
/// taken as they are (invalid UTF-8 replaced).
///
/// # Safety
/// `p` must be NULL or point to a NUL-terminated string.
pub(crate) unsafe fn cstr(p: *const c_char) -> String {
    if p.is_null() {
        return String::new();
    }
    // SAFETY: caller guarantees a NUL-terminated string.
    let bytes = unsafe { CStr::from_ptr(p) }.to_bytes();
    if bytes.is_ascii() {
        // SAFETY: ASCII is valid UTF-8.
        return unsafe { String::from_utf8_unchecked(bytes.to_vec()) };
    }
    // SAFETY: GetDatabaseEncoding reads a backend global.
    let encoding = unsafe { pg_sys::GetDatabaseEncoding() } as u32;
    if encoding == pg_sys::pg_enc::PG_UTF8 || encoding == pg_sys::pg_enc::PG_SQL_ASCII {
        return String::from_utf8_lossy(bytes).into_owned();
    }
    // SAFETY: `p` holds `bytes.len()` bytes of validly encoded server text
    // (the server checks text on input); the result is NUL-terminated,
    // either `p` itself or a palloc'd copy in UTF-8.
    unsafe {
        let utf8 =
            pg_sys::pg_server_to_any(p, bytes.len() as c_int, pg_sys::pg_enc::PG_UTF8 as c_int);
        CStr::from_ptr(utf8).to_string_lossy().into_owned()
    }
}

fn role_name(oid: pg_sys::Oid) -> String {
    // SAFETY: GetUserNameFromId with noerr=true returns NULL or a palloc'd string.
    unsafe { cstr(pg_sys::GetUserNameFromId(oid, true)) }
}

/// What kind of process runs the hook (see `vectors::ProcessKind`).
pub(crate) fn process_kind() -> ProcessKind {
    // SAFETY: MyBackendType and ParallelWorkerNumber are process globals,
    // set before any hook can run.
    let (backend, parallel) = unsafe { (pg_sys::MyBackendType, pg_sys::ParallelWorkerNumber >= 0) };
    if backend == pg_sys::BackendType::B_BACKEND {
        ProcessKind::Client
    } else if backend == pg_sys::BackendType::B_WAL_SENDER {
        ProcessKind::WalSender
    } else if backend == pg_sys::BackendType::B_BG_WORKER && parallel {
        ProcessKind::ParallelWorker
    } else {
        ProcessKind::Background
    }
}

/// Process type and, in a parallel worker, the leader's pid. A background
/// worker is named by its own type ("parallel worker", "logical
/// replication worker", an extension's worker), not the generic
/// "background worker".
fn process_facts() -> (String, Option<i32>) {
    // SAFETY: MyBackendType and MyProc are set for every process that runs
    // hooks; lockGroupLeader points into the shared PGPROC array;
    // MyBgworkerEntry is NULL or this worker's registration, whose
    // bgw_type is a NUL-terminated fixed-size array.
    unsafe {
        let mut backend_type = cstr(pg_sys::GetBackendTypeDesc(pg_sys::MyBackendType));
        if pg_sys::MyBackendType == pg_sys::BackendType::B_BG_WORKER {
            if let Some(entry) = pg_sys::MyBgworkerEntry.as_ref() {
                let own = cstr(entry.bgw_type.as_ptr());
                if !own.is_empty() {
                    backend_type = own;
                }
            }
        }
        let leader = if pg_sys::ParallelWorkerNumber >= 0 && !pg_sys::MyProc.is_null() {
            (*pg_sys::MyProc).lockGroupLeader.as_ref().map(|l| l.pid)
        } else {
            None
        };
        (backend_type, leader)
    }
}

fn session() -> Session {
    let (backend_type, leader_pid) = process_facts();
    // SAFETY: reads backend globals that are valid in a normal backend
    // inside a transaction (every hook that records runs in one).
    unsafe {
        let client_addr =
            crate::compat::port_strings(pg_sys::MyProcPort.cast()).map(|p| cstr(p.remote_host));
        let user = pg_sys::GetUserId();
        Session {
            database: cstr(pg_sys::get_database_name(pg_sys::MyDatabaseId)),
            session_user: role_name(pg_sys::GetSessionUserId()),
            current_user: role_name(user),
            superuser: pg_sys::superuser_arg(user),
            application_name: cstr(pg_sys::application_name),
            client_addr,
            pid: pg_sys::MyProcPid,
            nesting_level: DEPTH.get(),
            in_extension_script: pg_sys::creating_extension,
            backend_type,
            leader_pid,
        }
    }
}

/// Text of the innermost statement known (utility hooks pass their own).
fn current_statement() -> String {
    let p = SOURCE_TEXT.get();
    // SAFETY: SOURCE_TEXT is set only while the QueryDesc it came from is
    // alive (restored when ExecutorStart returns/unwinds), else NULL.
    let s = unsafe { cstr(p) };
    if s.is_empty() {
        top_query()
    } else {
        s
    }
}

/// The client's query; in a process without one (autovacuum, background
/// workers), what the process reports as its activity
/// (`autovacuum: ANALYZE public.t`), so a record says what was running.
fn top_query() -> String {
    // SAFETY: debug_query_string is NULL or the current client query.
    let query = unsafe { cstr(pg_sys::debug_query_string) };
    if !query.is_empty() {
        return query;
    }
    // SAFETY: MyBEEntry is NULL or this process's own status entry, which
    // only this process writes; st_activity_raw is NUL-terminated there.
    unsafe {
        pg_sys::MyBEEntry
            .as_ref()
            .map(|e| cstr(e.st_activity_raw))
            .unwrap_or_default()
    }
}

fn timestamp(t: pg_sys::TimestampTz) -> String {
    // SAFETY: timestamptz_to_str returns a static buffer; copied at once.
    unsafe { cstr(pg_sys::timestamptz_to_str(t)) }
}

/// Whether the auditor is active for this session and vector. Every
/// process that executes a vector records it: parallel workers (with
/// `leader_pid`), autovacuum and background workers too.
fn should_record(vector: Vector) -> bool {
    if vector == Vector::ExtguardSetting {
        return true;
    }
    if !settings::AUDIT.get() {
        return false;
    }
    // Unvetted code is recorded for exempt roles too (it stays in the
    // server after them); they are only not refused.
    vector == Vector::UnvettedCode || !is_exempt()
}

/// Whether the acting identity is exempt: the authenticated login role,
/// the session user and the current user must all be listed. Taking over
/// an exempt role (SET SESSION AUTHORIZATION, SET ROLE, a SECURITY DEFINER
/// function it owns) does not make a session exempt, and an exempt
/// session running someone else's SECURITY DEFINER code is recorded.
///
/// Only a client session (and its parallel workers and walsender) can be
/// exempt: autovacuum and background workers run code someone else may
/// have planted (an index expression, a replica trigger, a job) under the
/// table's or subscription's owner, so they always record.
fn is_exempt() -> bool {
    if !process_kind().may_be_exempt() {
        return false;
    }
    let list = settings::exempt_roles();
    if list.is_empty() {
        return false;
    }
    let listed = vectors::parse_list(&list);
    // SAFETY: the user ids are valid in any backend after login.
    let ids = unsafe {
        [
            pg_sys::GetAuthenticatedUserId(),
            pg_sys::GetSessionUserId(),
            pg_sys::GetUserId(),
        ]
    };
    ids.iter().all(|id| listed.contains(&role_name(*id)))
}

/// Whether a superuser is the current, session or authenticated user:
/// such records go to the privileged ring partition.
fn privileged_session() -> bool {
    // SAFETY: plain read of a global. The postmaster (start-up records) has
    // no user and no catalog access: its records are the administrator's.
    if !unsafe { pg_sys::IsUnderPostmaster } {
        return true;
    }
    // SAFETY: the user ids are valid after login; superuser_arg looks up
    // the catalog cache.
    unsafe {
        [
            pg_sys::GetUserId(),
            pg_sys::GetSessionUserId(),
            pg_sys::GetAuthenticatedUserId(),
        ]
        .iter()
        .any(|id| pg_sys::superuser_arg(*id))
    }
}

/// The names listed in `extguard.exempt_roles`.
pub(crate) fn exempt_role_names() -> Vec<String> {
    vectors::parse_list(&settings::exempt_roles())
}

/// Record one vector occurrence, then refuse it if blocked. Cold: it runs
/// only when a hook found something, and keeping it out of line keeps the
/// hooks' common path short.
///
/// `statement`: the statement text if the hook knows it (utility), else the
/// innermost executing statement is used.
#[cold]
#[inline(never)]
pub(crate) fn report(
    vector: Vector,
    hook: &'static str,
    detail: String,
    statement: Option<String>,
) {
    if let Some(detail) = record(vector, hook, detail, statement) {
        refuse(vector, &detail);
    }
}

/// Record one vector occurrence like [`report`] without refusing it:
/// returns the recorded detail when the vector is blocked, for the caller
/// to [`refuse`] once it has recorded everything it found.
#[cold]
#[inline(never)]
pub(crate) fn record(
    vector: Vector,
    hook: &'static str,
    detail: String,
    statement: Option<String>,
) -> Option<String> {
    if !should_record(vector) {
        return None;
    }
    let blocked = vector != Vector::ExtguardSetting
        && vectors::is_blocked(&settings::block_list(), vector)
        && !(vector == Vector::UnvettedCode && is_exempt());
    let outcome = if blocked {
        Outcome::Blocked
    } else {
        Outcome::Attempted
    };
    // Secrets are hidden before the record exists: no sink sees them.
    let record = Record {
        vector,
        outcome,
        hook,
        detail: redact(&detail),
        statement: redact(&statement.unwrap_or_else(current_statement)),
        top_query: redact(&top_query()),
        session: session(),
    };
    emit(&record);
    blocked.then_some(record.detail)
}

/// Refuse a blocked vector with an ERROR.
/// Is `user` listed in `extguard.exempt_roles`?
pub(crate) fn exempt_user(user: &str) -> bool {
    exempt_role_names().iter().any(|r| r == user)
}

/// Emit one record of a session known from its connection rather than
/// from the backend's state (at authentication, in a walsender); true if
/// it is to be refused (`may_block` and `vector` listed in `extguard.block`).
pub(crate) fn record_for(
    session: Session,
    vector: Vector,
    hook: &'static str,
    detail: String,
    statement: String,
    may_block: bool,
) -> bool {
    let blocked = may_block && vectors::is_blocked(&settings::block_list(), vector);
    emit(&Record {
        vector,
        outcome: if blocked {
            Outcome::Blocked
        } else {
            Outcome::Attempted
        },
        hook,
        detail,
        top_query: statement.clone(),
        statement,
        session,
    });
    blocked
}

pub(crate) fn refuse(vector: Vector, detail: &str) {
    ereport!(
        PgLogLevel::ERROR,
        PgSqlErrorCode::ERRCODE_INSUFFICIENT_PRIVILEGE,
        format!("extguard: {} is blocked on this server", vector.id()),
        format!("The vector id is listed in extguard.block. Detail: {detail}")
    );
}

/// `HOLD_INTERRUPTS()` until dropped (`RESUME_INTERRUPTS()`). If an ERROR
/// reset the count meanwhile (errfinish does), the drop leaves it alone.
struct HoldInterrupts(u32);

impl HoldInterrupts {
    fn new() -> Self {
        // SAFETY: the backend's own interrupt holdoff counter.
        unsafe {
            let before = pg_sys::InterruptHoldoffCount;
            pg_sys::InterruptHoldoffCount = before + 1;
            HoldInterrupts(before)
        }
    }
}

impl Drop for HoldInterrupts {
    fn drop(&mut self) {
        // SAFETY: as above.
        unsafe {
            if pg_sys::InterruptHoldoffCount == self.0 + 1 {
                pg_sys::InterruptHoldoffCount = self.0;
            }
        }
    }
}

/// Stamp a record and write it to the three sinks, with interrupts held:
/// a query cancel or `pg_terminate_backend` arriving meanwhile (the
/// server-log `ereport` checks for interrupts when it ends) takes effect
/// only once every sink has the record. The file line is written first,
/// then the log line and the ring slot, then the file is flushed to disk
/// (`fdatasync`), all before the action.
pub(crate) fn emit(record: &Record) {
    let _hold = HoldInterrupts::new();
    let seq = shmem::next_seq();
    let stamps = Stamps {
        seq,
        seq_epoch: shmem::epoch().map(timestamp).unwrap_or_default(),
        // SAFETY: PgStartTime is set by the postmaster before any backend forks.
        postmaster_start: timestamp(unsafe { pg_sys::PgStartTime }),
        // SAFETY: GetCurrentTimestamp has no preconditions.
        time: timestamp(unsafe { pg_sys::GetCurrentTimestamp() }),
    };
    let json = record.to_json_bounded(&stamps, shmem::SLOT_BYTES - audit_mac::MAC_SUFFIX_LEN);
    let json = match shmem::key() {
        Some(key) => audit_mac::seal(key, &json),
        None => json,
    };
    let path = settings::audit_file();
    let file = (!path.is_empty()).then(|| sinks::append_line(&path, &json));
    log_server_only(&format!("{LOG_PREFIX}{json}"));
    shmem::push(seq, &json, privileged_session());
    if let Some(Err(e)) = file.map(|f| f.and_then(|f| f.sync_data())) {
        pgrx::warning!("extguard: could not write audit file \"{path}\": {e}");
    }
}

// errstart/errfinish are excluded from pgrx's bindings; the others are
// declared here unguarded on purpose: the whole sequence runs inside one
// pg_guard_ffi_boundary, and a guarded binding raising a Rust panic inside
// that closure would abort the backend.
unsafe extern "C-unwind" {
    fn errstart(elevel: c_int, domain: *const c_char) -> bool;
    fn errfinish(filename: *const c_char, lineno: c_int, funcname: *const c_char);
    fn errmsg_internal(fmt: *const c_char, ...) -> c_int;
    fn errhidestmt(hide_stmt: bool) -> c_int;
    fn errhidecontext(hide_ctx: bool) -> c_int;
}

/// Restores `log_min_messages` on drop (also on unwind).
struct LogLevelGuard(c_int);

impl Drop for LogLevelGuard {
    fn drop(&mut self) {
        // SAFETY: plain write of a backend-local GUC variable.
        unsafe { pg_sys::log_min_messages = self.0 };
    }
}

/// `ereport(LOG_SERVER_ONLY, errmsg_internal("%s", msg), errhidestmt(true))`.
///
/// A session that raised `log_min_messages` above LOG (`SET
/// log_min_messages = panic`, recorded first) would silence the line:
/// for this one report the level is lowered to LOG, then restored.
fn log_server_only(msg: &str) {
    let Ok(msg) = std::ffi::CString::new(msg.replace('\0', " ")) else {
        return;
    };
    // SAFETY: plain read/write of a backend-local GUC variable.
    let _level = unsafe {
        let guard = LogLevelGuard(pg_sys::log_min_messages);
        if pg_sys::log_min_messages > pg_sys::PGERROR as c_int {
            pg_sys::log_min_messages = pg_sys::LOG as c_int;
        }
        guard
    };
    // Error context callbacks are not run for the record's line: they would
    // add to it (the parser's callback appends " at character N" to any
    // message raised while it calls a type input function), and the line
    // must be the record exactly. Restored on every exit.
    struct ContextGuard(*mut pg_sys::ErrorContextCallback);
    impl Drop for ContextGuard {
        fn drop(&mut self) {
            // SAFETY: restores the backend-local stack saved below.
            unsafe { pg_sys::error_context_stack = self.0 }
        }
    }
    // SAFETY: plain read/write of a backend-local global.
    let _context = unsafe {
        let guard = ContextGuard(pg_sys::error_context_stack);
        pg_sys::error_context_stack = std::ptr::null_mut();
        guard
    };
    // SAFETY: the closure only calls elog.c functions with valid C strings
    // and holds no Rust values with destructors (msg lives outside).
    unsafe {
        pg_sys::ffi::pg_guard_ffi_boundary(|| {
            if errstart(pg_sys::LOG_SERVER_ONLY as c_int, std::ptr::null()) {
                errmsg_internal(c"%s".as_ptr(), msg.as_ptr());
                errhidestmt(true);
                errhidecontext(true);
                errfinish(c"extguard".as_ptr(), 0, c"extguard_report".as_ptr());
            }
        })
    }
}

/// Superuser, or has the privileges of `reader_role`.
pub(crate) fn may_read_audit(reader_role: &str) -> bool {
    let Ok(name) = std::ffi::CString::new(reader_role) else {
        return false;
    };
    // SAFETY: catalog lookups with missing_ok; valid in a transaction.
    unsafe {
        let me = pg_sys::GetUserId();
        if pg_sys::superuser_arg(me) {
            return true;
        }
        let role = pg_sys::get_role_oid(name.as_ptr(), true);
        role != pg_sys::InvalidOid && pg_sys::has_privs_of_role(me, role)
    }
}
