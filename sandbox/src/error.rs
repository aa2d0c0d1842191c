//! Typed errors. Every way a module can be rejected or a call can fail has
//! its own variant, so callers (the PostgreSQL handler, the analyzer) can map
//! them to their own error codes without parsing messages.

use std::fmt;
use std::time::Duration;

/// Why a wasm instruction trapped, for traps that are not one of the limits
/// (those have their own [`SandboxError`] variants).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrapKind {
    /// `unreachable` was executed.
    Unreachable,
    /// Integer division or remainder by zero.
    DivisionByZero,
    /// Integer overflow (e.g. `i32.div_s` of `i32::MIN` by -1).
    IntegerOverflow,
    /// A float-to-integer conversion of NaN or an out-of-range value.
    BadConversion,
    /// A load or store outside linear memory.
    MemoryOutOfBounds,
    /// A table access outside the table.
    TableOutOfBounds,
    /// `call_indirect` of a null table entry.
    IndirectCallToNull,
    /// `call_indirect` with a mismatched function type.
    BadSignature,
    /// Any other trap wasmtime reports.
    Other,
}

impl TrapKind {
    fn describe(self) -> &'static str {
        match self {
            TrapKind::Unreachable => "unreachable instruction executed",
            TrapKind::DivisionByZero => "integer division by zero",
            TrapKind::IntegerOverflow => "integer overflow",
            TrapKind::BadConversion => "invalid conversion to integer",
            TrapKind::MemoryOutOfBounds => "out of bounds memory access",
            TrapKind::TableOutOfBounds => "out of bounds table access",
            TrapKind::IndirectCallToNull => "indirect call to a null table entry",
            TrapKind::BadSignature => "indirect call type mismatch",
            TrapKind::Other => "trap",
        }
    }
}

/// Everything that can go wrong when loading a module or calling into it.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum SandboxError {
    /// The module (or its source text) is larger than the configured limit.
    ModuleTooLarge {
        /// Size of what was given, in bytes.
        size: usize,
        /// The limit, in bytes.
        limit: usize,
    },
    /// The source is neither a wasm binary, WAT text, nor base64 of a binary.
    BadEncoding(String),
    /// The source looked like WAT text but does not parse.
    InvalidWat(String),
    /// The binary is not a valid WebAssembly module.
    Malformed(String),
    /// The module imports something the runtime does not offer (it offers
    /// nothing: no WASI, no host functions).
    ForbiddenImport {
        /// Import module name, e.g. `wasi_snapshot_preview1`.
        module: String,
        /// Import field name, e.g. `fd_write`.
        name: String,
        /// `function`, `memory`, `table`, `global` or `tag`.
        kind: &'static str,
    },
    /// The module uses a feature this runtime refuses (memory64, shared
    /// memory, several memories).
    Unsupported(String),
    /// The export the caller asked for does not exist or is not a function
    /// (or a memory, for `memory`).
    MissingExport {
        /// Export name.
        name: String,
        /// Why it is needed.
        reason: String,
    },
    /// The module declares an ABI version this host does not run, declares
    /// two, or the SQL signature needs a newer version than it declares.
    AbiVersion(String),
    /// A host function ended the call (the embedder raises its own error,
    /// e.g. a cancel that arrived during a query).
    HostAborted,
    /// The guest raised an ERROR (`extguard.raise` at level 5): the call
    /// ended and the embedder raises it with this SQLSTATE and message.
    Raised {
        /// Five characters, in a class a guest may raise (P0001 unless the
        /// guest chose one).
        sqlstate: String,
        /// The guest's message, sanitised.
        message: String,
    },
    /// The guest raised more messages, or more bytes of them, in one call
    /// than the caps allow.
    MessageLimitExceeded {
        /// Messages raised so far, the one over the cap included.
        messages: u32,
        /// Their bytes.
        bytes: u64,
    },
    /// The export exists but its wasm type does not match the ABI.
    WrongSignature {
        /// Export name.
        name: String,
        /// The wasm type the ABI requires, e.g. `(i32, i32) -> i32`.
        expected: String,
        /// The wasm type the module declares.
        found: String,
    },
    /// The arguments passed by the host do not match the function signature.
    BadArguments(String),
    /// The guest returned something the ABI does not allow: a (ptr, len)
    /// outside its memory, invalid UTF-8 for text, an int2 out of range.
    BadResult(String),
    /// Linear memory would grow past the limit (or is declared larger).
    MemoryLimitExceeded {
        /// Bytes requested.
        requested: u64,
        /// Limit in bytes.
        limit: u64,
    },
    /// A table would grow past the limit (or is declared larger).
    TableLimitExceeded {
        /// Elements requested.
        requested: u64,
        /// Limit in elements.
        limit: u64,
    },
    /// The module would create more instances, tables or memories than allowed.
    ResourceCountExceeded(String),
    /// The module's shape is past a [`crate::CompileLimits`] cap (functions,
    /// body size, locals, nesting, globals, ...): refused before compiling.
    ModuleLimitExceeded(String),
    /// Compiling took longer than the compile time limit.
    CompileTimeLimitExceeded {
        /// The limit.
        limit: Duration,
    },
    /// Compiled code or wasm state would not fit in the memory budget.
    MemoryBudgetExceeded {
        /// Bytes needed.
        needed: u64,
        /// The budget in bytes.
        budget: u64,
    },
    /// A text, bytea or jsonb result is larger than the host accepts.
    ResultTooLarge {
        /// Length the guest returned.
        len: u64,
        /// The largest accepted length.
        limit: u64,
    },
    /// The call ran longer than its time slice.
    TimeLimitExceeded {
        /// The time slice.
        limit: Duration,
    },
    /// The call used up its instruction budget (fuel).
    InstructionLimitExceeded {
        /// The budget.
        limit: u64,
    },
    /// The caller's interrupt check (e.g. PostgreSQL's query cancel) asked
    /// the call to stop.
    Interrupted,
    /// Wasm call stack exhausted (deep or infinite recursion).
    StackOverflow,
    /// Any other trap.
    Trap {
        /// What kind of trap.
        kind: TrapKind,
        /// wasmtime's message with the wasm backtrace, for logs.
        message: String,
    },
    /// The engine could not be created or an internal step failed.
    Engine(String),
}

impl fmt::Display for SandboxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use SandboxError::*;
        match self {
            ModuleTooLarge { size, limit } => write!(
                f,
                "wasm module too large: {size} bytes, the limit is {limit} bytes"
            ),
            BadEncoding(m) => write!(f, "not a wasm module: {}", sanitize(m, MESSAGE_CHARS)),
            InvalidWat(m) => write!(f, "invalid WAT text: {}", sanitize(m, MESSAGE_CHARS)),
            Malformed(m) => write!(f, "invalid wasm binary: {}", sanitize(m, MESSAGE_CHARS)),
            ForbiddenImport { module, name, kind } => write!(
                f,
                "forbidden import: {kind} \"{}\".\"{}\" (only extguard.spi_query, extguard.spi_exec and extguard.raise may be imported, where offered)",
                sanitize(module, NAME_CHARS),
                sanitize(name, NAME_CHARS)
            ),
            Unsupported(m) => write!(f, "unsupported wasm feature: {}", sanitize(m, MESSAGE_CHARS)),
            MissingExport { name, reason } => write!(
                f,
                "wasm module has no export \"{}\" ({reason})",
                sanitize(name, NAME_CHARS)
            ),
            WrongSignature {
                name,
                expected,
                found,
            } => write!(
                f,
                "wasm export \"{}\" has type {}, expected {expected}",
                sanitize(name, NAME_CHARS),
                sanitize(found, MESSAGE_CHARS)
            ),
            HostAborted => write!(f, "wasm function stopped by a host call"),
            Raised { message, .. } => write!(f, "{message}"),
            MessageLimitExceeded { messages, bytes } => write!(
                f,
                "wasm function raised too many messages: {messages} messages of {bytes} bytes \
                 (at most {} messages and {} bytes per call)",
                crate::host::MAX_MESSAGES_PER_CALL,
                crate::host::MAX_MESSAGE_BYTES_PER_CALL
            ),
            AbiVersion(m) => write!(f, "wasm ABI version: {}", sanitize(m, MESSAGE_CHARS)),
            BadArguments(m) => write!(f, "bad arguments for wasm function: {}", sanitize(m, MESSAGE_CHARS)),
            BadResult(m) => write!(f, "wasm function returned an invalid result: {}", sanitize(m, MESSAGE_CHARS)),
            MemoryLimitExceeded { requested, limit } => write!(
                f,
                "wasm memory limit exceeded: {requested} bytes requested, the limit is {limit} bytes"
            ),
            TableLimitExceeded { requested, limit } => write!(
                f,
                "wasm table limit exceeded: {requested} elements requested, the limit is {limit}"
            ),
            ResourceCountExceeded(m) => write!(f, "wasm resource limit exceeded: {m}"),
            ModuleLimitExceeded(m) => write!(f, "wasm module too complex to compile: {m}"),
            CompileTimeLimitExceeded { limit } => write!(
                f,
                "compiling the wasm module exceeded the compile time limit of {limit:?}"
            ),
            MemoryBudgetExceeded { needed, budget } => write!(
                f,
                "wasm memory budget exceeded: {needed} bytes needed, the budget is {budget} bytes"
            ),
            ResultTooLarge { len, limit } => write!(
                f,
                "wasm function returned a {len} byte value, the limit is {limit} bytes"
            ),
            TimeLimitExceeded { limit } => {
                write!(f, "wasm function exceeded its time limit of {limit:?}")
            }
            InstructionLimitExceeded { limit } => {
                write!(f, "wasm function exceeded its instruction limit of {limit}")
            }
            Interrupted => write!(f, "wasm function interrupted"),
            StackOverflow => write!(f, "wasm call stack exhausted (recursion too deep)"),
            Trap { kind, .. } => write!(f, "wasm function trapped: {}", kind.describe()),
            Engine(m) => write!(f, "wasm engine error: {}", sanitize(m, MESSAGE_CHARS)),
        }
    }
}

impl std::error::Error for SandboxError {}

/// Longest guest-chosen name (export, import, function name) in a message.
pub const NAME_CHARS: usize = 64;
/// Longest free-form part of a message (parser and engine messages, which
/// may quote module content).
pub const MESSAGE_CHARS: usize = 512;

/// Makes text that a module or its author chose safe to put in an error
/// message, its DETAIL and the server log: at most `max` characters (then
/// `...`), every control or format character (line breaks included) written
/// as `\u{..}`, so nothing can start a log line of its own, and the audit
/// log's prefix defused so no copy of it can pass for a record.
pub fn sanitize(text: &str, max: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max) + 8);
    for (n, c) in text.chars().enumerate() {
        if n == max {
            out.push_str("...");
            break;
        }
        if c.is_control() || is_format_char(c) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    if out.to_ascii_uppercase().contains(AUDIT_PREFIX) {
        out = defuse(&out);
    }
    out
}

/// The prefix of extguard's audit lines in the server log.
const AUDIT_PREFIX: &str = "EXTGUARD_AUDIT";

fn defuse(text: &str) -> String {
    let upper = text.to_ascii_uppercase();
    let mut out = String::with_capacity(text.len());
    let mut rest = 0;
    while let Some(at) = upper[rest..].find(AUDIT_PREFIX) {
        let start = rest + at;
        out.push_str(&text[rest..start]);
        // EXTGUARD_AUDIT -> EXTGUARD-AUDIT(guest): no longer the prefix.
        out.push_str(&text[start..start + 8]);
        out.push('-');
        out.push_str(&text[start + 9..start + AUDIT_PREFIX.len()]);
        out.push_str("(guest)");
        rest = start + AUDIT_PREFIX.len();
    }
    out.push_str(&text[rest..]);
    out
}

/// Unicode format characters that reorder or hide text (bidi controls,
/// zero-width marks, line and paragraph separators).
fn is_format_char(c: char) -> bool {
    matches!(c as u32,
        0x00ad | 0x061c | 0x180e | 0x200b..=0x200f | 0x2028..=0x202e | 0x2060..=0x206f | 0xfeff)
}
