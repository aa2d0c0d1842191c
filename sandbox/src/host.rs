//! Host functions a module may import: the only capability beyond its own
//! memory. The sandbox offers them only when the embedder gives a [`Host`]
//! (PostgreSQL: SPI); otherwise every import is refused at load.
//!
//! `extguard.spi_query(sql_ptr, sql_len, params_ptr, params_len) -> i64`
//! (ABI.md, "SPI"): the query text (UTF-8) and its parameters (the flat
//! encoding of a `text[]`) are read from guest memory; the rows come back
//! as JSON text placed with the guest's `alloc`, packed like a text
//! result; a failure comes back the same way with the top bit set, the
//! text then being `SQLSTATE: message`.
//!
//! `extguard.spi_exec(sql_ptr, sql_len, params_ptr, params_len) -> i64`
//! (ABI.md, "Typed SPI"): the same, with the parameters as a JSON array
//! whose values give their types, and rows whose values keep theirs
//! (numbers, booleans, JSON; other types as text).
//!
//! `extguard.raise(level, msg_ptr, msg_len, state_ptr, state_len) -> i32`
//! (ABI.md, "Messages"): a message from the guest. Below ERROR it goes to
//! [`Host::message`], sanitised and counted against per-call caps; ERROR
//! stops the call with [`crate::SandboxError::Raised`], which the embedder
//! raises as its own error once wasm has returned.

/// The import module name.
pub const HOST_MODULE: &str = "extguard";

/// The functions offered (module, name, wasm type).
pub const HOST_IMPORTS: &[(&str, &str, &str)] = &[
    (HOST_MODULE, "spi_query", "(i32, i32, i32, i32) -> i64"),
    (HOST_MODULE, "spi_exec", "(i32, i32, i32, i32) -> i64"),
    (HOST_MODULE, "raise", "(i32, i32, i32, i32, i32) -> i32"),
];

/// Severity of a guest message below ERROR (`extguard.raise`'s `level`:
/// 0 to 4; 5 is ERROR, which ends the call instead).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageLevel {
    /// 0: PostgreSQL's DEBUG1.
    Debug,
    /// 1: LOG (the server log).
    Log,
    /// 2: INFO (always sent to the client).
    Info,
    /// 3: NOTICE.
    Notice,
    /// 4: WARNING.
    Warning,
}

/// `extguard.raise`'s level for ERROR.
pub const RAISE_ERROR: i32 = 5;

impl MessageLevel {
    /// The level of a `raise` call below ERROR, if `level` is one.
    pub fn from_raise(level: i32) -> Option<MessageLevel> {
        Some(match level {
            0 => MessageLevel::Debug,
            1 => MessageLevel::Log,
            2 => MessageLevel::Info,
            3 => MessageLevel::Notice,
            4 => MessageLevel::Warning,
            _ => return None,
        })
    }
}

/// Messages one call may raise below ERROR; one more ends the call
/// ([`crate::SandboxError::MessageLimitExceeded`]).
pub const MAX_MESSAGES_PER_CALL: u32 = 100;
/// Bytes of message text (as the guest passed it) one call may raise, all
/// levels together; past it the call ends the same way.
pub const MAX_MESSAGE_BYTES_PER_CALL: u64 = 64 << 10;
/// Characters of one message kept (then `...`), after sanitising.
pub const MESSAGE_TEXT_CHARS: usize = 2000;

/// Default SQLSTATE of a guest's ERROR, PL/pgSQL's `RAISE EXCEPTION`.
pub const RAISE_DEFAULT_SQLSTATE: &str = "P0001";

/// SQLSTATE classes a guest may raise: data exceptions (22), integrity
/// constraint violations (23) and PL/pgSQL's (P0). Nothing that could pass
/// for a limit, a cancel, a permission refusal or an internal error.
pub const RAISE_SQLSTATE_CLASSES: &[&str] = &["22", "23", "P0"];

/// Checks a guest-chosen SQLSTATE: five characters `0-9A-Z` in one of
/// [`RAISE_SQLSTATE_CLASSES`].
pub fn check_raise_sqlstate(code: &str) -> Result<(), String> {
    let shaped = code.len() == 5
        && code
            .bytes()
            .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase());
    if !shaped {
        return Err("a SQLSTATE is five characters 0-9 or A-Z".into());
    }
    if !RAISE_SQLSTATE_CLASSES.contains(&&code[..2]) {
        return Err(format!(
            "SQLSTATE {code} is not one a guest may raise (classes {})",
            RAISE_SQLSTATE_CLASSES.join(", ")
        ));
    }
    Ok(())
}

/// Bit set in a host call's packed result when it failed.
pub const HOST_ERROR_BIT: i64 = i64::MIN;

/// Why a host call did not give rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostError {
    /// The query failed; the guest gets `SQLSTATE: message` and goes on.
    Failed(String),
    /// The call must end (cancel, statement timeout, terminate): the
    /// guest is stopped with [`crate::SandboxError::HostAborted`] and the
    /// embedder raises its own error afterwards.
    Abort,
}

/// What the embedder provides behind the imports. Called on the thread
/// running the wasm call, between wasm frames: an implementation must
/// never unwind or longjmp out (errors are values).
pub trait Host: Send + Sync {
    /// Runs `sql` with text `params` (`$1`, `$2`, ...) and returns its
    /// rows as a JSON array of objects.
    fn spi_query(&self, sql: &str, params: &[String]) -> Result<String, HostError>;

    /// Runs `sql` with typed parameters (`params_json`, a JSON array) and
    /// returns its rows as a JSON array of objects with typed values.
    fn spi_exec(&self, sql: &str, params_json: &str) -> Result<String, HostError> {
        let _ = (sql, params_json);
        Err(HostError::Failed(
            "0A000: spi_exec is not offered by this host".into(),
        ))
    }

    /// Delivers a guest message below ERROR, already sanitised (no control
    /// characters, no audit prefix) and within the per-call caps. Must not
    /// raise: an embedder whose error reporting can unwind queues it and
    /// emits it after the call. Dropped by default.
    fn message(&self, level: MessageLevel, text: &str) {
        let _ = (level, text);
    }
}
