//! `LANGUAGE wasm`: a trusted procedural language whose function bodies are
//! WebAssembly modules (WAT text or base64 of a binary), run in the
//! `extguard-sandbox` runtime.
//!
//! Two layers: this module is safe Rust (settings, the per-backend state,
//! type and error mapping, what is kept for whom and for how long), and
//! [`ffi`] holds every `unsafe` PostgreSQL call (the handler, the validator,
//! catalog reads, datums, encodings, hooks).
//!
//! * The validator runs at `CREATE FUNCTION`: argument and result types
//!   must be in the ABI (`sandbox/ABI.md`), the module must pass the
//!   sandbox's shape caps, compile within the compile time limit (on a
//!   helper thread, while this backend honours cancel and terminate), and
//!   export a function named like the SQL function with the matching type.
//! * Compiled code is shared by every backend through a cache directory in
//!   the data directory that only the server's OS user can write.
//! * Per backend: one [`Sandbox`] (created on first use, never in the
//!   postmaster) and a [`Pool`] of instances keyed by [`InstanceKey`]
//!   (function and the three role ids), under one memory budget.
//! * Interrupts: the sandbox's epoch callback and the compile wait only read
//!   `InterruptPending` / `QueryCancelPending` / `ProcDiePending`; wasmtime
//!   returns, and only then, back in plain Rust, does `CHECK_FOR_INTERRUPTS()`
//!   raise PostgreSQL's usual error. No PostgreSQL error (longjmp) ever
//!   crosses wasmtime frames.

mod ffi;
#[cfg(any(test, feature = "pg_test"))]
mod pg_tests;

use std::cell::RefCell;
use std::sync::{Arc, Once, OnceLock};
use std::time::Duration;

use extguard_sandbox::{
    sanitize, CallLimits, CompileLimits, MessageLevel, Pool, RowKind, Sandbox, SandboxConfig,
    SandboxError, TrapKind, ValueType, NAME_CHARS,
};
use pgrx::guc::{GucContext, GucFlags, GucRegistry, GucSetting};
use pgrx::{PgLogLevel, PgSqlErrorCode};

pub use ffi::init;

/// `extguard.wasm_max_memory`, in kB: largest linear memory of one wasm
/// function instance.
static MAX_MEMORY_KB: GucSetting<i32> = GucSetting::<i32>::new(16 * 1024);
/// `extguard.wasm_max_time`, in ms: time slice of one wasm call (0: none
/// besides statement_timeout and cancel).
static MAX_TIME_MS: GucSetting<i32> = GucSetting::<i32>::new(5000);
/// `extguard.wasm_max_backend_memory`, in kB: everything wasm holds in one
/// backend (compiled code, instances, linear memories).
static MAX_BACKEND_MEMORY_KB: GucSetting<i32> = GucSetting::<i32>::new(256 * 1024);
/// `extguard.wasm_max_compile_time`, in ms.
static MAX_COMPILE_TIME_MS: GucSetting<i32> = GucSetting::<i32>::new(10_000);
/// `extguard.wasm_spi_max_rows`: rows one `spi_query` may return.
static SPI_MAX_ROWS: GucSetting<i32> = GucSetting::<i32>::new(10_000);

/// Registers the `extguard.wasm_*` settings. Idempotent; `_PG_init` calls
/// it (through [`init`]) before the `extguard` prefix is reserved. The
/// handler and validator also call it.
pub fn define_settings() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        GucRegistry::define_int_guc(
            c"extguard.wasm_max_memory",
            c"Largest linear memory of a LANGUAGE wasm function instance.",
            c"Growing past it stops the call with an error. Checked per call.",
            &MAX_MEMORY_KB,
            64,
            1024 * 1024,
            GucContext::Suset,
            GucFlags::UNIT_KB,
        );
        GucRegistry::define_int_guc(
            c"extguard.wasm_max_time",
            c"Time slice of one LANGUAGE wasm function call.",
            c"0 means no limit besides statement_timeout and query cancel.",
            &MAX_TIME_MS,
            0,
            i32::MAX,
            GucContext::Suset,
            GucFlags::UNIT_MS,
        );
        GucRegistry::define_int_guc(
            c"extguard.wasm_max_backend_memory",
            c"Memory all LANGUAGE wasm state of one backend may hold.",
            c"Compiled code, instances and linear memories; least recently used \
              instances and modules are dropped to stay under it.",
            &MAX_BACKEND_MEMORY_KB,
            4 * 1024,
            i32::MAX,
            GucContext::Suset,
            GucFlags::UNIT_KB,
        );
        GucRegistry::define_int_guc(
            c"extguard.wasm_max_compile_time",
            c"Longest time compiling one LANGUAGE wasm module may take.",
            c"0 means no limit besides statement_timeout and query cancel.",
            &MAX_COMPILE_TIME_MS,
            0,
            i32::MAX,
            GucContext::Suset,
            GucFlags::UNIT_MS,
        );
        GucRegistry::define_int_guc(
            c"extguard.wasm_spi_max_rows",
            c"Rows one spi_query call of a LANGUAGE wasm function may return.",
            c"A query returning more fails with 54000 (the guest gets the error).",
            &SPI_MAX_ROWS,
            0,
            i32::MAX,
            GucContext::Suset,
            GucFlags::default(),
        );
    });
}

fn current_limits() -> CallLimits {
    let time = MAX_TIME_MS.get();
    CallLimits {
        max_memory_bytes: MAX_MEMORY_KB.get().max(64) as u64 * 1024,
        max_time: (time > 0).then(|| Duration::from_millis(time as u64)),
        ..CallLimits::default()
    }
}

fn spi_max_rows() -> u64 {
    SPI_MAX_ROWS.get().max(0) as u64
}

fn backend_budget() -> u64 {
    MAX_BACKEND_MEMORY_KB.get().max(1024) as u64 * 1024
}

/// Whose instance: a function, the role it runs as (the owner under
/// SECURITY DEFINER), the role that called it (SET ROLE) and the session
/// role. State is never shared between two different keys, so no role sees
/// what another role's call left in linear memory or globals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct InstanceKey {
    /// pg_proc OID.
    pub function: u32,
    /// `GetUserId()`: the current (effective) user.
    pub current_user: u32,
    /// `GetOuterUserId()`: the user outside SECURITY DEFINER functions.
    pub outer_user: u32,
    /// `GetSessionUserId()`.
    pub session_user: u32,
}

/// What the handler keeps with an instance: enough to notice that the
/// function changed and to marshal its arguments.
pub struct Compiled {
    /// pg_proc row version the instance was made from.
    pub xmin: u32,
    /// (block, offset) of that row.
    pub tid: (u32, u16),
    /// Syscache hash of the function's pg_proc entry.
    pub proc_hash: u32,
    /// SQL name, sanitised for messages.
    pub name: String,
    /// Argument types.
    pub params: Vec<SqlType>,
    /// Result type (of each row, for a set).
    pub result: SqlType,
    /// `RETURNS SETOF` / `RETURNS TABLE` of one column.
    pub returns_set: bool,
    /// The export takes the NULL mask (ABI version 2).
    pub accepts_nulls: bool,
    /// A composite result or a trigger function (ABI version 3).
    pub row: Option<RowKind>,
    /// The ABI version the module declares.
    pub abi_version: u32,
}

/// A SQL type as the ABI sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SqlType {
    /// How values cross the boundary.
    pub abi: ValueType,
    /// The declared type: a domain's constraints are checked on results.
    pub declared: u32,
    /// True when `declared` is a domain.
    pub domain: bool,
    /// For arrays: the element type of the (base) array type, else 0.
    pub elem: u32,
}

/// Wasm state of this backend.
pub struct Backend {
    pool: Pool<InstanceKey, Compiled>,
}

/// Invalidations noted by the syscache callback, applied at the next call.
#[derive(Default)]
struct Pending {
    all: bool,
    hashes: Vec<u32>,
}

/// Set while a wasm call runs (see [`in_call`]); only the backend's thread
/// touches it.
static IN_CALL: crate::hooks::BackendLocal<std::cell::Cell<bool>> =
    crate::hooks::BackendLocal::new(std::cell::Cell::new(false));

thread_local! {
    static BACKEND: RefCell<Option<Backend>> = const { RefCell::new(None) };
    static PENDING: RefCell<Pending> = RefCell::new(Pending::default());
}

/// True while a wasm call runs in this backend (its queries through
/// `spi_query` cannot call wasm functions: the backend's wasm state is in
/// use).
pub fn in_call() -> bool {
    IN_CALL.get()
}

/// Runs `f` (a wasm call) marked as [`in_call`], unmarked afterwards
/// whether it returns or unwinds.
pub fn calling<R>(f: impl FnOnce() -> R) -> R {
    struct Unmark;
    impl Drop for Unmark {
        fn drop(&mut self) {
            IN_CALL.set(false);
        }
    }
    IN_CALL.set(true);
    let _unmark = Unmark;
    f()
}

/// Notes a pg_proc invalidation (0: everything). Only records it: the
/// callback may fire while the backend state is in use.
pub fn note_invalidation(hash: u32) {
    PENDING.with(|p| {
        let mut p = p.borrow_mut();
        if hash == 0 || p.hashes.len() >= 1024 {
            p.all = true;
            p.hashes.clear();
        } else {
            p.hashes.push(hash);
        }
    });
}

/// Runs `f` on this backend's wasm state, after applying pending
/// invalidations (instances of changed or dropped functions are freed)
/// and the current budget.
pub fn with_backend<R>(f: impl FnOnce(&mut Backend) -> R) -> R {
    BACKEND.with(|cell| {
        let mut slot = cell.borrow_mut();
        let backend = slot.get_or_insert_with(|| Backend {
            pool: Pool::new(sandbox().clone(), backend_budget()),
        });
        let pending = PENDING.with(|p| std::mem::take(&mut *p.borrow_mut()));
        if pending.all {
            backend.pool.retain(|_, _| false);
        } else if !pending.hashes.is_empty() {
            backend
                .pool
                .retain(|_, c| !pending.hashes.contains(&c.proc_hash));
        }
        backend.pool.set_budget(backend_budget());
        f(backend)
    })
}

/// Drops all wasm state of this backend: every instance, every module in
/// memory (DISCARD ALL, RESET ALL). Compiled code stays on disk.
pub fn discard_all() {
    BACKEND.with(|cell| {
        if let Ok(mut slot) = cell.try_borrow_mut() {
            if let Some(backend) = slot.as_mut() {
                backend.pool.clear();
            }
        } else {
            note_invalidation(0);
        }
    });
}

impl Backend {
    /// The instance pool.
    pub fn pool(&mut self) -> &mut Pool<InstanceKey, Compiled> {
        &mut self.pool
    }
}

/// The backend's sandbox, created on first use (never in the postmaster).
fn sandbox() -> &'static Sandbox {
    static SANDBOX: OnceLock<Sandbox> = OnceLock::new();
    SANDBOX.get_or_init(|| {
        let compile_time = MAX_COMPILE_TIME_MS.get();
        let config = SandboxConfig {
            limits: current_limits(),
            interrupt_check: Some(Arc::new(ffi::cancel_requested)),
            max_cached_code_bytes: backend_budget(),
            compile: CompileLimits::default(),
            max_compile_time: (compile_time > 0)
                .then(|| Duration::from_millis(compile_time as u64)),
            cache_dir: ffi::cache_dir(),
            host: Some(Arc::new(ffi::PgHost)),
            ..SandboxConfig::default()
        };
        Sandbox::new(config).unwrap_or_else(|e| {
            ffi::fail(
                PgSqlErrorCode::ERRCODE_INTERNAL_ERROR,
                format!("cannot create the wasm engine: {e}"),
                None,
            )
        })
    })
}

/// A SQL name as it may appear in a message.
pub fn display_name(name: &str) -> String {
    sanitize(name, NAME_CHARS)
}

/// SQLSTATE for a failure to load or check a module at CREATE FUNCTION or
/// at the first call.
pub fn load_error_code(err: &SandboxError) -> PgSqlErrorCode {
    use PgSqlErrorCode::*;
    match err {
        SandboxError::Interrupted => ERRCODE_QUERY_CANCELED,
        SandboxError::ModuleTooLarge { .. }
        | SandboxError::ModuleLimitExceeded(_)
        | SandboxError::CompileTimeLimitExceeded { .. }
        | SandboxError::MemoryBudgetExceeded { .. }
        | SandboxError::MemoryLimitExceeded { .. }
        | SandboxError::TableLimitExceeded { .. }
        | SandboxError::ResourceCountExceeded(_) => ERRCODE_PROGRAM_LIMIT_EXCEEDED,
        _ => ERRCODE_INVALID_FUNCTION_DEFINITION,
    }
}

/// SQLSTATE for a failed call.
pub fn call_error_code(err: &SandboxError) -> PgSqlErrorCode {
    use PgSqlErrorCode::*;
    match err {
        SandboxError::Interrupted => ERRCODE_QUERY_CANCELED,
        SandboxError::TimeLimitExceeded { .. }
        | SandboxError::InstructionLimitExceeded { .. }
        | SandboxError::MemoryLimitExceeded { .. }
        | SandboxError::MemoryBudgetExceeded { .. }
        | SandboxError::TableLimitExceeded { .. }
        | SandboxError::ResultTooLarge { .. }
        | SandboxError::ModuleLimitExceeded(_)
        | SandboxError::CompileTimeLimitExceeded { .. }
        | SandboxError::MessageLimitExceeded { .. }
        | SandboxError::ResourceCountExceeded(_) => ERRCODE_PROGRAM_LIMIT_EXCEEDED,
        SandboxError::Raised { sqlstate, .. } => raised_error_code(sqlstate),
        SandboxError::StackOverflow => ERRCODE_STATEMENT_TOO_COMPLEX,
        SandboxError::Trap {
            kind: TrapKind::DivisionByZero,
            ..
        } => ERRCODE_DIVISION_BY_ZERO,
        SandboxError::Trap {
            kind: TrapKind::IntegerOverflow,
            ..
        } => ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE,
        SandboxError::BadResult(m) if m.contains("out of range") => {
            ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE
        }
        _ => ERRCODE_EXTERNAL_ROUTINE_EXCEPTION,
    }
}

/// SQLSTATE of an ERROR a guest raised (`extguard.raise`): its code
/// when PostgreSQL defines it (the sandbox has already restricted the
/// class), otherwise P0001 (PL/pgSQL's `RAISE EXCEPTION`).
pub fn raised_error_code(sqlstate: &str) -> PgSqlErrorCode {
    let b = sqlstate.as_bytes();
    if b.len() != 5 {
        return PgSqlErrorCode::ERRCODE_RAISE_EXCEPTION;
    }
    // PostgreSQL's MAKE_SQLSTATE: six bits per character.
    let code = b.iter().enumerate().fold(0i32, |acc, (i, c)| {
        acc + ((((*c as i32) - '0' as i32) & 0x3f) << (6 * i))
    });
    match PgSqlErrorCode::from(code) {
        known if known as isize == code as isize => known,
        _ => PgSqlErrorCode::ERRCODE_RAISE_EXCEPTION,
    }
}

/// How a guest message below ERROR is reported: its PostgreSQL level and
/// the SQLSTATE PostgreSQL gives a message of that level by default.
pub fn message_report(level: MessageLevel) -> (PgLogLevel, PgSqlErrorCode) {
    use PgSqlErrorCode::*;
    match level {
        MessageLevel::Debug => (PgLogLevel::DEBUG1, ERRCODE_SUCCESSFUL_COMPLETION),
        MessageLevel::Log => (PgLogLevel::LOG, ERRCODE_SUCCESSFUL_COMPLETION),
        MessageLevel::Info => (PgLogLevel::INFO, ERRCODE_SUCCESSFUL_COMPLETION),
        MessageLevel::Notice => (PgLogLevel::NOTICE, ERRCODE_SUCCESSFUL_COMPLETION),
        MessageLevel::Warning => (PgLogLevel::WARNING, ERRCODE_WARNING),
    }
}

/// A guest message for a database whose encoding is not UTF-8: reports
/// take text in the database encoding, so characters outside ASCII are
/// written `\u{..}` (as control characters already are), which every
/// server encoding holds and which never fails.
pub fn ascii_message(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        }
    }
    out
}

/// DETAIL of a failed call: the sanitised wasm backtrace of a trap.
pub fn call_error_detail(err: &SandboxError) -> Option<String> {
    match err {
        SandboxError::Trap { message, .. } if !message.is_empty() => Some(message.clone()),
        _ => None,
    }
}

/// ABI type of a built-in scalar type OID, if it has one (domains and
/// arrays are resolved by the caller to their base and element types).
pub fn abi_type(oid: u32) -> Option<ValueType> {
    use pgrx::pg_sys::*;
    let oid = Oid::from(oid);
    Some(match oid {
        INT2OID => ValueType::Int2,
        INT4OID => ValueType::Int4,
        INT8OID => ValueType::Int8,
        FLOAT4OID => ValueType::Float4,
        FLOAT8OID => ValueType::Float8,
        BOOLOID => ValueType::Bool,
        TEXTOID => ValueType::Text,
        BYTEAOID => ValueType::Bytea,
        JSONBOID => ValueType::Jsonb,
        NUMERICOID => ValueType::Numeric,
        // Binary-compatible with text: the same bytes cross the boundary.
        VARCHAROID | BPCHAROID => ValueType::Text,
        _ => return None,
    })
}

/// Why a row a wasm function returned cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// SQLSTATE to raise.
    pub code: PgSqlErrorCode,
    /// What is wrong, naming the column where there is one.
    pub message: String,
}

/// Reads a row a wasm function returned (ABI version 3): a JSON object of
/// column name to value. `columns` are the row type's column names by
/// position (`None` for a dropped column). Gives the position and the
/// text input of each column the object names: a string is used as it
/// is, `null` is SQL NULL, a number, boolean, array or object as its JSON
/// text. A name that is not a column is an error (42703).
pub fn parse_row(
    json: &str,
    columns: &[Option<String>],
) -> Result<Vec<(usize, Option<String>)>, RowError> {
    use serde_json::Value as J;
    let object = match serde_json::from_str::<J>(json) {
        Ok(J::Object(o)) => o,
        Ok(other) => {
            return Err(RowError {
                code: PgSqlErrorCode::ERRCODE_DATATYPE_MISMATCH,
                message: format!(
                    "a row must be a JSON object, not {}",
                    match other {
                        J::Null => "null",
                        J::Bool(_) => "a boolean",
                        J::Number(_) => "a number",
                        J::String(_) => "a string",
                        J::Array(_) => "an array",
                        J::Object(_) => "an object",
                    }
                ),
            })
        }
        Err(e) => {
            return Err(RowError {
                code: PgSqlErrorCode::ERRCODE_INVALID_TEXT_REPRESENTATION,
                message: format!("a row is not valid JSON ({e})"),
            })
        }
    };
    object
        .into_iter()
        .map(|(name, value)| {
            let position = columns
                .iter()
                .position(|c| c.as_deref() == Some(name.as_str()))
                .ok_or_else(|| RowError {
                    code: PgSqlErrorCode::ERRCODE_UNDEFINED_COLUMN,
                    message: format!("the row has no column {:?}", display_name(&name)),
                })?;
            let text = match value {
                J::Null => None,
                J::String(s) => Some(s),
                other => Some(other.to_string()),
            };
            Ok((position, text))
        })
        .collect()
}

/// A parameter of `spi_exec`, typed by its JSON value.
#[derive(Debug, Clone, PartialEq)]
pub enum TypedParam {
    /// `null`: SQL NULL (as text: cast it in the query if needed).
    Null,
    /// `true` / `false`: boolean.
    Bool(bool),
    /// An integral number that fits: bigint.
    Int8(i64),
    /// Any other number: numeric, from its JSON text.
    Numeric(String),
    /// A string: text.
    Text(String),
    /// An array or object: jsonb, from its JSON text.
    Jsonb(String),
}

/// Reads `spi_exec`'s parameters: a JSON array, at most 100 values.
pub fn typed_params(json: &str) -> Result<Vec<TypedParam>, String> {
    use serde_json::Value as J;
    let values = match serde_json::from_str::<J>(json) {
        Ok(J::Array(values)) => values,
        Ok(_) => return Err("the parameters must be a JSON array".into()),
        Err(e) => return Err(format!("the parameters are not valid JSON ({e})")),
    };
    if values.len() > 100 {
        return Err(format!("{} parameters (at most 100)", values.len()));
    }
    Ok(values
        .into_iter()
        .map(|v| match v {
            J::Null => TypedParam::Null,
            J::Bool(b) => TypedParam::Bool(b),
            J::Number(n) => match n.as_i64() {
                Some(i) => TypedParam::Int8(i),
                None => TypedParam::Numeric(n.to_string()),
            },
            J::String(s) => TypedParam::Text(s),
            other => TypedParam::Jsonb(other.to_string()),
        })
        .collect())
}

/// A value of type `type_oid` (its text output `text`) as JSON in
/// `spi_exec`'s rows, when it has a JSON form: integers, floats and
/// numerics that are finite numbers, booleans, json and jsonb. `None`:
/// the caller writes the text as a JSON string.
pub fn typed_value(type_oid: u32, text: &str) -> Option<&str> {
    use pgrx::pg_sys::*;
    let oid = Oid::from(type_oid);
    match oid {
        INT2OID | INT4OID | INT8OID | OIDOID => Some(text),
        FLOAT4OID | FLOAT8OID | NUMERICOID => {
            let finite = !text.is_empty()
                && text
                    .bytes()
                    .all(|b| b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.' | b'e' | b'E'));
            finite.then_some(text)
        }
        BOOLOID => Some(if text == "t" { "true" } else { "false" }),
        JSONOID | JSONBOID => Some(text),
        _ => None,
    }
}

#[cfg(test)]
mod unit_tests {
    use super::*;

    #[test]
    fn ascii_messages() {
        assert_eq!(ascii_message("naïve ok"), "na\\u{ef}ve ok");
        assert_eq!(ascii_message("plain"), "plain");
    }

    #[test]
    fn raised_codes() {
        use PgSqlErrorCode::*;
        assert_eq!(raised_error_code("P0001"), ERRCODE_RAISE_EXCEPTION);
        assert_eq!(raised_error_code("P0004"), ERRCODE_ASSERT_FAILURE);
        assert_eq!(raised_error_code("22012"), ERRCODE_DIVISION_BY_ZERO);
        assert_eq!(raised_error_code("23505"), ERRCODE_UNIQUE_VIOLATION);
        // Codes PostgreSQL does not define become P0001.
        assert_eq!(raised_error_code("22ZZZ"), ERRCODE_RAISE_EXCEPTION);
        assert_eq!(raised_error_code("P0"), ERRCODE_RAISE_EXCEPTION);
        let raised = SandboxError::Raised {
            sqlstate: "23514".into(),
            message: "m".into(),
        };
        assert_eq!(call_error_code(&raised), ERRCODE_CHECK_VIOLATION);
        assert_eq!(
            call_error_code(&SandboxError::MessageLimitExceeded {
                messages: 101,
                bytes: 505
            }),
            ERRCODE_PROGRAM_LIMIT_EXCEEDED
        );
        assert_eq!(
            message_report(MessageLevel::Warning),
            (PgLogLevel::WARNING, ERRCODE_WARNING)
        );
    }

    #[test]
    fn limits_and_budget_map_to_54000() {
        for e in [
            SandboxError::ModuleLimitExceeded("x".into()),
            SandboxError::CompileTimeLimitExceeded {
                limit: Duration::from_secs(1),
            },
            SandboxError::MemoryBudgetExceeded {
                needed: 2,
                budget: 1,
            },
        ] {
            assert_eq!(
                load_error_code(&e),
                PgSqlErrorCode::ERRCODE_PROGRAM_LIMIT_EXCEEDED
            );
            assert_eq!(
                call_error_code(&e),
                PgSqlErrorCode::ERRCODE_PROGRAM_LIMIT_EXCEEDED
            );
        }
        assert_eq!(
            call_error_code(&SandboxError::ResultTooLarge { len: 2, limit: 1 }),
            PgSqlErrorCode::ERRCODE_PROGRAM_LIMIT_EXCEEDED
        );
    }

    #[test]
    fn rows_map_names_to_column_text() {
        let cols = vec![Some("a".to_string()), None, Some("b c".to_string())];
        let mut row = parse_row(r#"{"b c": 1.5, "a": "x"}"#, &cols).unwrap();
        row.sort();
        assert_eq!(row, vec![(0, Some("x".into())), (2, Some("1.5".into()))]);
        assert_eq!(
            parse_row(r#"{"a": null, "b c": [1, {"k": true}]}"#, &cols).unwrap(),
            vec![(0, None), (2, Some(r#"[1,{"k":true}]"#.into()))]
        );
        assert_eq!(parse_row("{}", &cols).unwrap(), vec![]);
        let err = |json: &str| parse_row(json, &cols).unwrap_err().code;
        assert_eq!(
            err(r#"{"zz": 1}"#),
            PgSqlErrorCode::ERRCODE_UNDEFINED_COLUMN
        );
        assert_eq!(err("[1]"), PgSqlErrorCode::ERRCODE_DATATYPE_MISMATCH);
        assert_eq!(
            err("{"),
            PgSqlErrorCode::ERRCODE_INVALID_TEXT_REPRESENTATION
        );
        // A dropped column's slot never matches.
        assert_eq!(err(r#"{"": 1}"#), PgSqlErrorCode::ERRCODE_UNDEFINED_COLUMN);
    }

    #[test]
    fn typed_params_and_values() {
        assert_eq!(
            typed_params(r#"[1, -2.5, 12345678901234567890, "x", true, null, {"k": [1]}]"#)
                .unwrap(),
            vec![
                TypedParam::Int8(1),
                TypedParam::Numeric("-2.5".into()),
                TypedParam::Numeric("12345678901234567890".into()),
                TypedParam::Text("x".into()),
                TypedParam::Bool(true),
                TypedParam::Null,
                TypedParam::Jsonb(r#"{"k":[1]}"#.into()),
            ]
        );
        assert!(typed_params("{}").is_err());
        assert!(typed_params(&format!("[{}1]", "1,".repeat(100))).is_err());
        use pgrx::pg_sys::*;
        assert_eq!(typed_value(INT4OID.to_u32(), "-3"), Some("-3"));
        assert_eq!(typed_value(FLOAT8OID.to_u32(), "1e+100"), Some("1e+100"));
        assert_eq!(typed_value(FLOAT8OID.to_u32(), "Infinity"), None);
        assert_eq!(typed_value(NUMERICOID.to_u32(), "NaN"), None);
        assert_eq!(typed_value(BOOLOID.to_u32(), "f"), Some("false"));
        assert_eq!(typed_value(TEXTOID.to_u32(), "1"), None);
    }

    #[test]
    fn names_are_bounded_and_single_line() {
        let name = format!("a\nEXTGUARD_AUDIT {{}}{}", "x".repeat(1000));
        let shown = display_name(&name);
        assert!(!shown.contains('\n'));
        assert!(!shown.contains("EXTGUARD_AUDIT"));
        assert!(shown.len() < 120, "{shown}");
    }
}
