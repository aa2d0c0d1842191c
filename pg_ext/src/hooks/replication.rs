//! Replication connections (walsenders). Replication commands
//! (`CREATE_REPLICATION_SLOT`, `BASE_BACKUP`, `START_REPLICATION`, ...)
//! bypass the utility and executor hooks, so:
//!
//! - `ClientAuthentication_hook`: every authenticated replication
//!   connection is recorded before it can send a command (and refused
//!   there when `replication` is blocked);
//! - the walsender then logs each command before running it, at LOG:
//!   `log_replication_commands` is forced on for walsenders and
//!   `log_min_messages` kept at `log` or below (override source: neither
//!   connection options, per-role settings nor SET can silence it), and
//!   `emit_log_hook` records the command from that message.
//!
//! A walsender for physical replication has no database and runs commands
//! outside a transaction: the records carry the facts of the connection
//! (user and database from the startup packet), gathered at
//! authentication.

use super::{cstr, exempt_user, record_for, refuse, BackendLocal};
use crate::record::Session;
use crate::settings;
use crate::vectors::{self, Vector};
use pgrx::pg_sys;
use pgrx::pg_sys::libpq::be::Port;
use std::cell::RefCell;
use std::ffi::{c_int, CStr};

static mut PREV_AUTH: pg_sys::libpq::ClientAuthentication_hook_type = None;
static mut PREV_EMIT: pg_sys::emit_log_hook_type = None;

/// The walsender's connection facts (set at authentication).
static CONNECTION: BackendLocal<RefCell<Option<Session>>> = BackendLocal::new(RefCell::new(None));

const COMMAND_MESSAGE: &CStr = c"received replication command: %s";

pub fn install() {
    // SAFETY: _PG_init, single-threaded; hooks saved and chained.
    unsafe {
        PREV_AUTH = pg_sys::libpq::ClientAuthentication_hook;
        pg_sys::libpq::ClientAuthentication_hook = Some(client_authentication);
        PREV_EMIT = pg_sys::emit_log_hook;
        pg_sys::emit_log_hook = Some(emit_log);
    }
}

/// Whether `user` is audited (audit on, not an exempt role).
fn audited(user: &str) -> bool {
    settings::AUDIT.get() && !exempt_user(user)
}

/// The facts of a login at authentication, from its startup packet.
fn login_session(port: &crate::compat::PortStrings, backend_type: &str) -> Session {
    // SAFETY: the startup packet's strings; InitPostgres runs the
    // authentication hook in a transaction, so pg_authid (a shared catalog)
    // can be read.
    unsafe {
        let user = cstr(port.user_name);
        let superuser = std::ffi::CString::new(user.clone()).is_ok_and(|c| {
            let oid = pg_sys::get_role_oid(c.as_ptr(), true);
            oid != pg_sys::InvalidOid && pg_sys::superuser_arg(oid)
        });
        Session {
            database: cstr(port.database_name),
            session_user: user.clone(),
            current_user: user,
            superuser,
            application_name: String::new(),
            client_addr: Some(cstr(port.remote_host)),
            pid: pg_sys::MyProcPid,
            nesting_level: 0,
            in_extension_script: false,
            backend_type: backend_type.into(),
            leader_pid: None,
        }
    }
}

#[pgrx::pg_guard]
unsafe extern "C-unwind" fn client_authentication(port: *mut Port, status: c_int) {
    // SAFETY: chain first: a previous hook may still refuse the login.
    unsafe {
        if let Some(prev) = PREV_AUTH {
            pg_sys::ffi::pg_guard_ffi_boundary(|| prev(port, status));
        }
    }
    // SAFETY: plain reads of walsender globals; the port is valid during
    // authentication.
    let (walsender, db_walsender) = unsafe { (pg_sys::am_walsender, pg_sys::am_db_walsender) };
    if status != pg_sys::STATUS_OK as c_int {
        return;
    }
    // SAFETY: the Port ClientAuthentication_hook receives.
    let Some(port) = (unsafe { crate::compat::port_strings(port.cast()) }) else {
        return;
    };
    if !walsender {
        if settings::AUDIT.get() && super::gate::enabled() {
            let session = login_session(&port, "client backend");
            super::gate::check_preload_at_login(session);
        }
        return;
    }
    // SAFETY: GetConfigOption returns the setting's current text (from
    // the configuration file here: connection options and per-role
    // settings are applied after authentication); SetConfigOption with
    // NUL-terminated strings. An override source outranks the connection
    // options, per-role/database settings and SET that come later.
    unsafe {
        pg_sys::SetConfigOption(
            c"log_replication_commands".as_ptr(),
            c"on".as_ptr(),
            pg_sys::GucContext::PGC_SUSET,
            pg_sys::GucSource::PGC_S_OVERRIDE,
        );
        let level = cstr(pg_sys::GetConfigOption(
            c"log_min_messages".as_ptr(),
            true,
            false,
        ));
        if let Ok(level) = std::ffi::CString::new(vectors::walsender_log_level(&level)) {
            pg_sys::SetConfigOption(
                c"log_min_messages".as_ptr(),
                level.as_ptr(),
                pg_sys::GucContext::PGC_SUSET,
                pg_sys::GucSource::PGC_S_OVERRIDE,
            );
        }
    }
    let session = login_session(&port, "walsender");
    let kind = if db_walsender {
        format!("logical, database {}", session.database)
    } else {
        "physical".to_string()
    };
    let user = session.session_user.clone();
    *CONNECTION.borrow_mut() = Some(session.clone());
    if !audited(&user) {
        return;
    }
    let detail = format!("replication connection ({kind}) as {user}");
    if record_for(
        session,
        Vector::Replication,
        "authentication",
        detail.clone(),
        String::new(),
        true,
    ) {
        refuse(Vector::Replication, &detail);
    }
}

#[pgrx::pg_guard]
unsafe extern "C-unwind" fn emit_log(edata: *mut pg_sys::ErrorData) {
    // SAFETY: cheap global read first: this runs for every message.
    if unsafe { pg_sys::am_walsender } {
        // SAFETY: elog.c passes the ErrorData being reported.
        if let Some(e) = unsafe { edata.as_ref() } {
            // SAFETY: message_id is NULL or a static format string.
            let is_command = !e.message_id.is_null()
                && unsafe { CStr::from_ptr(e.message_id) } == COMMAND_MESSAGE;
            if is_command {
                record_command();
            }
        }
    }
    // SAFETY: chain inside the FFI boundary.
    unsafe {
        if let Some(prev) = PREV_EMIT {
            pg_sys::ffi::pg_guard_ffi_boundary(|| prev(edata));
        }
    }
}

/// Record the replication command being logged (never refused here: the
/// connection was refused at authentication when blocked).
fn record_command() {
    let Some(session) = CONNECTION.borrow().clone() else {
        return;
    };
    if !audited(&session.session_user) {
        return;
    }
    // SAFETY: the walsender sets debug_query_string to the command just
    // before logging it.
    let command = unsafe { cstr(pg_sys::debug_query_string) };
    let verb = command.split_whitespace().next().unwrap_or("").to_string();
    record_for(
        session,
        Vector::Replication,
        "replication_command",
        format!("command {verb}"),
        command,
        false,
    );
}
