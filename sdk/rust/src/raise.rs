//! Messages and errors: the `extguard.raise` import (ABI.md, "Messages").
//! A module that never calls these has no import.
//!
//! Messages below ERROR are reported by PostgreSQL once the call returns
//! (filtered by `client_min_messages` and `log_min_messages`, control
//! characters escaped); [`error`] and [`error_code`] end the call with a
//! PostgreSQL ERROR carrying the message, like PL/pgSQL's `RAISE
//! EXCEPTION`. At most 100 messages and 64 KiB of them per call; more
//! ends the call with 54000.

#[link(wasm_import_module = "extguard")]
extern "C" {
    #[link_name = "raise"]
    fn raise_raw(level: i32, msg_ptr: i32, msg_len: i32, state_ptr: i32, state_len: i32) -> i32;
}

/// Severity of a message that does not end the call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// DEBUG1: the server log, when `log_min_messages` asks for it.
    Debug = 0,
    /// LOG: the server log.
    Log = 1,
    /// INFO: always sent to the client.
    Info = 2,
    /// NOTICE.
    Notice = 3,
    /// WARNING.
    Warning = 4,
}

/// The level of an ERROR.
const ERROR: i32 = 5;

fn raise(level: i32, text: &str, sqlstate: &str) {
    // SAFETY: the host only reads the two ranges, inside our memory.
    unsafe {
        raise_raw(
            level,
            text.as_ptr() as usize as i32,
            text.len() as i32,
            sqlstate.as_ptr() as usize as i32,
            sqlstate.len() as i32,
        );
    }
}

/// Sends `text` at `level`.
pub fn message(level: Level, text: &str) {
    raise(level as i32, text, "");
}

/// Sends `text` as a NOTICE.
pub fn notice(text: &str) {
    message(Level::Notice, text);
}

/// Sends `text` as a WARNING.
pub fn warning(text: &str) {
    message(Level::Warning, text);
}

/// Sends `text` as INFO.
pub fn info(text: &str) {
    message(Level::Info, text);
}

/// Ends the call with an ERROR, SQLSTATE P0001, and `text` as its message.
pub fn error(text: &str) -> ! {
    error_code("", text)
}

/// Ends the call with an ERROR of SQLSTATE `sqlstate` (five characters of
/// class 22, 23 or P0; any other code ends the call as a trap, 38000).
pub fn error_code(sqlstate: &str, text: &str) -> ! {
    raise(ERROR, text, sqlstate);
    // The host never returns from an ERROR.
    #[cfg(target_arch = "wasm32")]
    core::arch::wasm32::unreachable();
    #[cfg(not(target_arch = "wasm32"))]
    unreachable!("extguard.raise returned from an ERROR")
}
