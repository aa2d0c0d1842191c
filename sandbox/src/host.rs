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

/// The import module name.
pub const HOST_MODULE: &str = "extguard";

/// The functions offered (module, name, wasm type).
pub const HOST_IMPORTS: &[(&str, &str, &str)] = &[
    (HOST_MODULE, "spi_query", "(i32, i32, i32, i32) -> i64"),
    (HOST_MODULE, "spi_exec", "(i32, i32, i32, i32) -> i64"),
];

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
}
