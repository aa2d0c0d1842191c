//! The PostgreSQL side of `LANGUAGE wasm`: every `unsafe` call lives here
//! (fmgr entry points, catalog reads, datums, encoding conversion, the
//! syscache callback and the utility hook). The wasm call itself happens in
//! [`super::Backend`]'s pool, in safe Rust, with no PostgreSQL call inside.

use std::ffi::{c_char, c_int, CStr, CString};
use std::path::PathBuf;
use std::sync::Once;
use std::time::{Duration, Instant};

use extguard_sandbox::{Arg, SandboxError, Signature, Value, ValueType};
use pgrx::pg_sys::{self, NodeTag};
use pgrx::prelude::*;
use pgrx::{direct_function_call, direct_function_call_as_datum, fcinfo};

use super::{
    abi_type, call_error_code, call_error_detail, current_limits, define_settings, display_name,
    load_error_code, note_invalidation, sandbox, with_backend, Compiled, InstanceKey,
};

/// Sets up `LANGUAGE wasm` in `_PG_init`: settings, the utility hook that
/// drops wasm state on DISCARD ALL / RESET ALL (`_PG_init` turns host
/// backtraces in error details off for the whole library).
pub fn init() {
    define_settings();
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        // SAFETY: _PG_init, single-threaded; the previous hook is saved and
        // chained.
        unsafe {
            PREV_UTILITY = pg_sys::ProcessUtility_hook;
            pg_sys::ProcessUtility_hook = Some(process_utility);
        }
    });
}

/// Raises a PostgreSQL ERROR (as a Rust panic that `#[pg_guard]` turns
/// into the ERROR at the function boundary). Only ever called outside
/// wasmtime frames.
pub(super) fn fail(code: PgSqlErrorCode, message: String, detail: Option<&str>) -> ! {
    match detail {
        Some(detail) => ereport!(PgLogLevel::ERROR, code, message, detail),
        None => ereport!(PgLogLevel::ERROR, code, message),
    }
    unreachable!("ereport(ERROR) does not return")
}

/// True when PostgreSQL wants the running statement to stop. Only reads
/// flags set by signal handlers: safe to run from wasmtime's epoch callback
/// and while waiting for the compile thread.
pub(super) fn cancel_requested() -> bool {
    // SAFETY: plain volatile reads of sig_atomic_t globals of this backend.
    unsafe {
        std::ptr::read_volatile(&raw const pg_sys::InterruptPending) != 0
            && (std::ptr::read_volatile(&raw const pg_sys::QueryCancelPending) != 0
                || std::ptr::read_volatile(&raw const pg_sys::ProcDiePending) != 0)
    }
}

/// True when `CHECK_FOR_INTERRUPTS()` would do something now: any pending
/// interrupt (cancel, terminate, timeout, client connection check, ...)
/// that may be processed. Only reads globals: safe from any thread.
fn interrupts_pending() -> bool {
    // SAFETY: plain volatile reads of this backend's interrupt globals.
    unsafe {
        std::ptr::read_volatile(&raw const pg_sys::InterruptPending) != 0
            && std::ptr::read_volatile(&raw const pg_sys::InterruptHoldoffCount) == 0
            && std::ptr::read_volatile(&raw const pg_sys::CritSectionCount) == 0
    }
}

extern "C-unwind" {
    /// pqcomm.c (PostgreSQL 14 and later): false once the client's socket
    /// is closed. Not in pgrx's bindings.
    fn pq_check_connection() -> bool;
}

/// How often a compile wait looks at the client's socket.
const CONNECTION_CHECK_EVERY: Duration = Duration::from_millis(100);

/// Whether the client of this backend has gone away (a client backend
/// talking to a remote client; other processes have no socket to check).
/// On a lost client it marks the connection lost, as PostgreSQL's own
/// connection check does, so the next `CHECK_FOR_INTERRUPTS()` ends the
/// backend with "connection to client lost".
fn client_gone() -> bool {
    // SAFETY: plain reads of backend globals.
    let remote = unsafe {
        !pg_sys::MyProcPort.is_null()
            && pg_sys::whereToSendOutput == pg_sys::CommandDest::DestRemote
    };
    if !remote {
        return false;
    }
    // SAFETY: polls the backend's own client socket through its wait event
    // set, with no timeout, from the backend's thread; an ERROR inside
    // becomes a Rust panic at the guard, never a longjmp through Rust.
    let connected = unsafe { pg_sys::ffi::pg_guard_ffi_boundary(|| pq_check_connection()) };
    if !connected {
        // SAFETY: the flags PostgreSQL's connection check sets, read by
        // ProcessInterrupts in this thread.
        unsafe {
            std::ptr::write_volatile(&raw mut pg_sys::ClientConnectionLost, 1);
            std::ptr::write_volatile(&raw mut pg_sys::InterruptPending, 1);
        }
    }
    !connected
}

/// `$PGDATA/extguard_wasm_cache`: compiled code shared by the server's
/// backends. The data directory is only writable by the server's OS user.
pub(super) fn cache_dir() -> Option<PathBuf> {
    // SAFETY: DataDir is set before any backend runs and never freed.
    let dir = unsafe { pg_sys::DataDir };
    if dir.is_null() {
        return None;
    }
    // SAFETY: a NUL-terminated path owned by PostgreSQL.
    let dir = unsafe { CStr::from_ptr(dir) }.to_str().ok()?;
    Some(PathBuf::from(dir).join("extguard_wasm_cache"))
}

/// Registers the pg_proc syscache callback once per backend.
fn watch_pg_proc() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // SAFETY: registering a callback is allowed at any time in a
        // backend; the callback only records the hash value.
        unsafe {
            pg_sys::CacheRegisterSyscacheCallback(
                pg_sys::SysCacheIdentifier::PROCOID as c_int,
                Some(proc_changed),
                pg_sys::Datum::from(0),
            )
        };
    });
}

#[pg_guard]
unsafe extern "C-unwind" fn proc_changed(_arg: pg_sys::Datum, _cache: c_int, hash: u32) {
    note_invalidation(hash);
}

static mut PREV_UTILITY: pg_sys::ProcessUtility_hook_type = None;

/// True for DISCARD ALL and RESET ALL.
///
/// # Safety
/// `node` must be NULL or a valid parse node.
unsafe fn resets_session(node: *mut pg_sys::Node) -> bool {
    // SAFETY: the caller passes a valid node; the tag says which struct.
    unsafe {
        match node.as_ref().map(|n| n.type_) {
            Some(NodeTag::T_DiscardStmt) => {
                (*(node as *mut pg_sys::DiscardStmt)).target == pg_sys::DiscardMode::DISCARD_ALL
            }
            Some(NodeTag::T_VariableSetStmt) => {
                (*(node as *mut pg_sys::VariableSetStmt)).kind
                    == pg_sys::VariableSetKind::VAR_RESET_ALL
            }
            _ => false,
        }
    }
}

#[pg_guard]
#[allow(clippy::too_many_arguments)]
unsafe extern "C-unwind" fn process_utility(
    pstmt: *mut pg_sys::PlannedStmt,
    query_string: *const c_char,
    read_only_tree: bool,
    context: pg_sys::ProcessUtilityContext::Type,
    params: pg_sys::ParamListInfo,
    query_env: *mut pg_sys::QueryEnvironment,
    dest: *mut pg_sys::DestReceiver,
    qc: *mut pg_sys::QueryCompletion,
) {
    // SAFETY: PostgreSQL passes a valid PlannedStmt.
    if unsafe { resets_session((*pstmt).utilityStmt) } {
        super::discard_all();
    }
    // SAFETY: PREV_UTILITY is the hook installed before ours; the
    // arguments are PostgreSQL's, passed on unchanged.
    unsafe {
        crate::hooks::chain_process_utility(
            PREV_UTILITY,
            pstmt,
            query_string,
            read_only_tree,
            context,
            params,
            query_env,
            dest,
            qc,
        )
    }
}

/// What the handler needs from a function's pg_proc row.
struct ProcInfo {
    name: String,
    arg_types: Vec<pg_sys::Oid>,
    ret_type: pg_sys::Oid,
    ret_set: bool,
    xmin: u32,
    tid: (u32, u16),
    proc_hash: u32,
    source: Option<Vec<u8>>,
}

/// Reads a function's pg_proc row. The source is read only when the row
/// differs from `known` (xmin, tid).
fn read_proc(fn_oid: pg_sys::Oid, known: Option<(u32, (u32, u16))>) -> ProcInfo {
    // SAFETY: syscache lookups of a valid cache id; the tuple is released
    // before returning and everything read is copied out first.
    unsafe {
        let tuple = pg_sys::SearchSysCache1(
            pg_sys::SysCacheIdentifier::PROCOID as i32,
            pg_sys::Datum::from(fn_oid),
        );
        if tuple.is_null() {
            fail(
                PgSqlErrorCode::ERRCODE_INTERNAL_ERROR,
                format!("cache lookup failed for function {}", fn_oid.to_u32()),
                None,
            );
        }
        let xmin = crate::compat::heap_tuple_raw_xmin((*tuple).t_data);
        let t = (*tuple).t_self;
        let tid = (
            ((t.ip_blkid.bi_hi as u32) << 16) | t.ip_blkid.bi_lo as u32,
            t.ip_posid,
        );
        let unchanged = known == Some((xmin.into_inner(), tid));
        let form = pg_sys::heap_tuple_get_struct::<pg_sys::FormData_pg_proc>(tuple);
        let name = CStr::from_ptr((*form).proname.data.as_ptr())
            .to_string_lossy()
            .into_owned();
        let nargs = (*form).pronargs.max(0) as usize;
        let arg_types = (*form).proargtypes.values.as_slice(nargs).to_vec();
        let ret_type = (*form).prorettype;
        let ret_set = (*form).proretset;
        let source = if unchanged {
            None
        } else {
            let mut is_null = false;
            let datum = pg_sys::SysCacheGetAttr(
                pg_sys::SysCacheIdentifier::PROCOID as i32,
                tuple,
                pg_sys::Anum_pg_proc_prosrc as pg_sys::AttrNumber,
                &mut is_null,
            );
            <&[u8]>::from_datum(datum, is_null).map(|b| b.to_vec())
        };
        pg_sys::ReleaseSysCache(tuple);
        let proc_hash = pg_sys::GetSysCacheHashValue(
            pg_sys::SysCacheIdentifier::PROCOID as c_int,
            pg_sys::Datum::from(fn_oid),
            pg_sys::Datum::from(0),
            pg_sys::Datum::from(0),
            pg_sys::Datum::from(0),
        );
        ProcInfo {
            name,
            arg_types,
            ret_type,
            ret_set,
            xmin: xmin.into_inner(),
            tid,
            proc_hash,
            source,
        }
    }
}

/// Maps a PostgreSQL type to the ABI, or raises a clear error.
fn value_type(oid: pg_sys::Oid, what: &str, function: &str) -> ValueType {
    abi_type(oid.to_u32()).unwrap_or_else(|| {
        // SAFETY: format_type_be only reads the catalogs.
        let name = unsafe { CStr::from_ptr(pg_sys::format_type_be(oid)) }
            .to_string_lossy()
            .into_owned();
        fail(
            PgSqlErrorCode::ERRCODE_FEATURE_NOT_SUPPORTED,
            format!(
                "LANGUAGE wasm functions cannot use type {name} ({what} of {})",
                display_name(function)
            ),
            Some("Supported types: smallint, integer, bigint, real, double precision, boolean, text, bytea, jsonb."),
        )
    })
}

fn signature_of(proc: &ProcInfo) -> Signature {
    if proc.ret_set {
        fail(
            PgSqlErrorCode::ERRCODE_FEATURE_NOT_SUPPORTED,
            format!(
                "LANGUAGE wasm function {} cannot return a set",
                display_name(&proc.name)
            ),
            None,
        );
    }
    let params = proc
        .arg_types
        .iter()
        .enumerate()
        .map(|(i, t)| value_type(*t, &format!("argument {}", i + 1), &proc.name))
        .collect::<Vec<_>>();
    let result = value_type(proc.ret_type, "result", &proc.name);
    Signature::new(params, result)
}

/// Raises the error for a module that cannot be loaded. A cancel or
/// terminate that stopped the compile raises PostgreSQL's own error.
fn raise_load(name: &str, err: SandboxError) -> ! {
    if err == SandboxError::Interrupted {
        pgrx::check_for_interrupts!();
    }
    fail(
        load_error_code(&err),
        format!(
            "invalid LANGUAGE wasm function {}: {err}",
            display_name(name)
        ),
        None,
    )
}

/// Loads (compiles, or takes from a cache) the module of `proc` and binds
/// its export; raises on any problem. Waits for the compile interruptibly.
fn compile(proc: &ProcInfo) -> extguard_sandbox::Function {
    let signature = signature_of(proc);
    let source = proc.source.as_deref().unwrap_or_default();
    // Whatever client_connection_check_interval says, a client that leaves
    // during a compile ends the wait (and the backend).
    let last_check = std::cell::Cell::new(Instant::now());
    let stop = || {
        if interrupts_pending() {
            return true;
        }
        if last_check.get().elapsed() < CONNECTION_CHECK_EVERY {
            return false;
        }
        last_check.set(Instant::now());
        client_gone()
    };
    let module = loop {
        match sandbox().load_interruptible(source, &stop) {
            // PostgreSQL raises its own error here for a cancel, terminate,
            // statement timeout or lost client; any other interrupt is
            // served and the wait goes on (the compile never stopped).
            Err(SandboxError::Interrupted) => {
                pgrx::check_for_interrupts!();
            }
            other => break other.unwrap_or_else(|e| raise_load(&proc.name, e)),
        }
    };
    let budget = super::backend_budget();
    if module.code_bytes() > budget {
        raise_load(
            &proc.name,
            SandboxError::MemoryBudgetExceeded {
                needed: module.code_bytes(),
                budget,
            },
        );
    }
    module
        .function(&proc.name, &signature)
        .unwrap_or_else(|e| raise_load(&proc.name, e))
}

/// Raises the PostgreSQL error for a failed call. Runs after wasmtime has
/// returned, so raising (a longjmp in C terms) is safe here.
fn raise_call(function: &str, err: SandboxError) -> ! {
    if err == SandboxError::Interrupted {
        // Let PostgreSQL raise its own error ("canceling statement due to
        // user request / statement timeout", or terminate the backend).
        pgrx::check_for_interrupts!();
    }
    let detail = call_error_detail(&err);
    fail(
        call_error_code(&err),
        format!("wasm function {function}: {err}"),
        detail.as_deref(),
    )
}

fn database_is_utf8() -> bool {
    // SAFETY: reads the backend's database encoding.
    unsafe { pg_sys::GetDatabaseEncoding() == pg_sys::pg_enc::PG_UTF8 as c_int }
}

/// Text in the database encoding as UTF-8 (PostgreSQL raises if a
/// character has no UTF-8 form). Borrowed when no conversion is needed.
fn server_to_utf8(bytes: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    if database_is_utf8() || bytes.is_ascii() {
        return std::borrow::Cow::Borrowed(bytes);
    }
    let len = c_int::try_from(bytes.len()).unwrap_or(c_int::MAX);
    // SAFETY: `bytes` is valid for `len` bytes; the result is either the
    // input pointer (no conversion) or a palloc'd NUL-terminated string.
    unsafe {
        let ptr = bytes.as_ptr() as *const c_char;
        let out = pg_sys::pg_server_to_any(ptr, len, pg_sys::pg_enc::PG_UTF8 as c_int);
        if std::ptr::eq(out, ptr) {
            std::borrow::Cow::Borrowed(bytes)
        } else {
            std::borrow::Cow::Owned(CStr::from_ptr(out).to_bytes().to_vec())
        }
    }
}

/// UTF-8 text in the database encoding (PostgreSQL raises if a character
/// has no form there).
fn utf8_to_server(text: String) -> Vec<u8> {
    if database_is_utf8() || text.is_ascii() {
        return text.into_bytes();
    }
    let len = c_int::try_from(text.len()).unwrap_or(c_int::MAX);
    // SAFETY: as in server_to_utf8, in the other direction.
    unsafe {
        let ptr = text.as_ptr() as *const c_char;
        let out = pg_sys::pg_any_to_server(ptr, len, pg_sys::pg_enc::PG_UTF8 as c_int);
        if std::ptr::eq(out, ptr) {
            text.into_bytes()
        } else {
            CStr::from_ptr(out).to_bytes().to_vec()
        }
    }
}

/// Owned storage for arguments while the call runs.
enum Held<'a> {
    Scalar(Arg<'static>),
    Text(std::borrow::Cow<'a, [u8]>),
    Bytea(&'a [u8]),
    Json(Vec<u8>),
}

/// Reads argument `i` of type `ty` from `fcinfo`.
///
/// # Safety
/// `fcinfo` must be the valid call info of this call, with at least `i + 1`
/// arguments, argument `i` of type `ty` and not NULL.
unsafe fn read_arg<'a>(fcinfo: pg_sys::FunctionCallInfo, i: usize, ty: ValueType) -> Held<'a> {
    // SAFETY: the caller guarantees a valid fcinfo and a non-NULL argument.
    let datum = unsafe { fcinfo::pg_getarg_datum_raw(fcinfo, i) };
    match ty {
        ValueType::Int2 => Held::Scalar(Arg::Int2(datum.value() as i16)),
        ValueType::Int4 => Held::Scalar(Arg::Int4(datum.value() as i32)),
        ValueType::Int8 => Held::Scalar(Arg::Int8(datum.value() as i64)),
        ValueType::Float4 => Held::Scalar(Arg::Float4(f32::from_bits(datum.value() as u32))),
        ValueType::Float8 => Held::Scalar(Arg::Float8(f64::from_bits(datum.value() as u64))),
        ValueType::Bool => Held::Scalar(Arg::Bool(datum.value() != 0)),
        // SAFETY: a non-NULL text/bytea datum; detoasted into the current
        // memory context, which outlives this call.
        ValueType::Text => Held::Text(server_to_utf8(unsafe {
            <&[u8]>::from_datum(datum, false).unwrap_or_default()
        })),
        // SAFETY: as above.
        ValueType::Bytea => {
            Held::Bytea(unsafe { <&[u8]>::from_datum(datum, false).unwrap_or_default() })
        }
        ValueType::Jsonb => {
            // SAFETY: jsonb_out takes one jsonb datum and returns a cstring.
            let text =
                unsafe { direct_function_call::<CString>(pg_sys::jsonb_out, &[Some(datum)]) }
                    .unwrap_or_default();
            Held::Json(server_to_utf8(text.as_bytes()).into_owned())
        }
    }
}

fn as_arg<'a>(held: &'a Held<'_>, i: usize, name: &str) -> Arg<'a> {
    let utf8 = |b: &'a [u8], what: &str| {
        std::str::from_utf8(b).unwrap_or_else(|_| {
            fail(
                PgSqlErrorCode::ERRCODE_CHARACTER_NOT_IN_REPERTOIRE,
                format!(
                    "wasm function {name}: {what} argument {} is not valid UTF-8",
                    i + 1
                ),
                None,
            )
        })
    };
    match held {
        Held::Scalar(a) => *a,
        Held::Text(b) => Arg::Text(utf8(b, "text")),
        Held::Bytea(b) => Arg::Bytea(b),
        Held::Json(b) => Arg::Jsonb(utf8(b, "jsonb")),
    }
}

/// The handler: find or make this caller's instance, marshal, call.
///
/// # Safety
/// `fcinfo` must be the valid call info PostgreSQL passed to the handler.
unsafe fn call(fcinfo: pg_sys::FunctionCallInfo) -> pg_sys::Datum {
    define_settings();
    watch_pg_proc();
    // SAFETY: a valid fcinfo has a valid flinfo.
    let fn_oid = unsafe { (*(*fcinfo).flinfo).fn_oid };
    // SAFETY: plain reads of this backend's role ids.
    let key = unsafe {
        InstanceKey {
            function: fn_oid.to_u32(),
            current_user: pg_sys::GetUserId().to_u32(),
            outer_user: pg_sys::GetOuterUserId().to_u32(),
            session_user: pg_sys::GetSessionUserId().to_u32(),
        }
    };
    let known = with_backend(|b| b.pool().data(&key).map(|c| (c.xmin, c.tid)));
    let proc = read_proc(fn_oid, known);
    if proc.source.is_some() {
        let function = compile(&proc);
        let compiled = Compiled {
            xmin: proc.xmin,
            tid: proc.tid,
            proc_hash: proc.proc_hash,
            name: display_name(&proc.name),
            params: function.signature().params.clone(),
        };
        with_backend(|b| b.pool().insert(key, &function, compiled));
    }
    let (name, params) = with_backend(|b| {
        b.pool()
            .data(&key)
            .map(|c| (c.name.clone(), c.params.clone()))
    })
    .unwrap_or_else(|| {
        fail(
            PgSqlErrorCode::ERRCODE_INTERNAL_ERROR,
            "wasm function instance vanished".into(),
            None,
        )
    });

    let mut held = Vec::with_capacity(params.len());
    for (i, ty) in params.iter().enumerate() {
        // SAFETY: fcinfo is valid and has the function's arguments.
        if unsafe { fcinfo::pg_arg_is_null(fcinfo, i) } {
            fail(
                PgSqlErrorCode::ERRCODE_NULL_VALUE_NOT_ALLOWED,
                format!("wasm function {name} got NULL for argument {}", i + 1),
                Some("The wasm ABI has no NULL. Declare the function STRICT to return NULL on NULL input."),
            );
        }
        // SAFETY: argument i exists, is not NULL and has type `ty`.
        held.push(unsafe { read_arg(fcinfo, i, *ty) });
    }
    let args: Vec<Arg<'_>> = held
        .iter()
        .enumerate()
        .map(|(i, h)| as_arg(h, i, &name))
        .collect();
    let limits = current_limits();
    // The only place wasm runs. Nothing in here calls PostgreSQL.
    let result = with_backend(|b| b.pool().call(&key, &args, limits));
    match result {
        Ok(value) => to_datum(value),
        Err(e) => raise_call(&name, e),
    }
}

fn to_datum(value: Value) -> pg_sys::Datum {
    let datum = match value {
        Value::Int2(v) => v.into_datum(),
        Value::Int4(v) => v.into_datum(),
        Value::Int8(v) => v.into_datum(),
        Value::Float4(v) => v.into_datum(),
        Value::Float8(v) => v.into_datum(),
        Value::Bool(v) => v.into_datum(),
        Value::Text(v) => {
            let bytes = utf8_to_server(v);
            // SAFETY: cstring_to_text_with_len copies `len` bytes.
            Some(unsafe {
                pg_sys::Datum::from(pg_sys::cstring_to_text_with_len(
                    bytes.as_ptr() as *const c_char,
                    c_int::try_from(bytes.len()).unwrap_or(c_int::MAX),
                ))
            })
        }
        Value::Bytea(v) => v.into_datum(),
        Value::Jsonb(v) => {
            let text = CString::new(utf8_to_server(v)).unwrap_or_else(|_| {
                fail(
                    PgSqlErrorCode::ERRCODE_INVALID_TEXT_REPRESENTATION,
                    "wasm function returned jsonb text containing NUL".into(),
                    None,
                )
            });
            // SAFETY: jsonb_in takes one cstring argument.
            unsafe {
                direct_function_call_as_datum(pg_sys::jsonb_in, &[text.as_c_str().into_datum()])
            }
        }
    };
    datum.unwrap_or(pg_sys::Datum::from(0))
}

/// The validator.
///
/// # Safety
/// `fcinfo` must be the valid call info PostgreSQL passed to the validator.
unsafe fn validate(fcinfo: pg_sys::FunctionCallInfo) -> pg_sys::Datum {
    define_settings();
    // SAFETY: the validator's one argument is the function's OID.
    let fn_oid = unsafe {
        pg_sys::Oid::from_datum(fcinfo::pg_getarg_datum_raw(fcinfo, 0), false).unwrap_or_default()
    };
    // SAFETY: valid fcinfo; CheckFunctionValidatorAccess reads catalogs.
    if !unsafe { pg_sys::CheckFunctionValidatorAccess((*(*fcinfo).flinfo).fn_oid, fn_oid) } {
        return pg_sys::Datum::from(0);
    }
    let proc = read_proc(fn_oid, None);
    // Types are checked even when bodies are not (pg_restore).
    signature_of(&proc);
    // SAFETY: plain read of a backend global.
    if unsafe { pg_sys::check_function_bodies } {
        compile(&proc);
    }
    pg_sys::Datum::from(0)
}

/// Version-1 call info for the handler.
#[unsafe(no_mangle)]
#[doc(hidden)]
pub extern "C" fn pg_finfo_extguard_wasm_call_handler() -> &'static pg_sys::Pg_finfo_record {
    const V1: pg_sys::Pg_finfo_record = pg_sys::Pg_finfo_record { api_version: 1 };
    &V1
}

/// Call handler of `LANGUAGE wasm` (`RETURNS language_handler`).
///
/// # Safety
/// Called by PostgreSQL's fmgr with a valid `fcinfo`.
#[pg_guard]
#[unsafe(no_mangle)]
pub unsafe extern "C-unwind" fn extguard_wasm_call_handler(
    fcinfo: pg_sys::FunctionCallInfo,
) -> pg_sys::Datum {
    // SAFETY: fmgr passes a valid fcinfo.
    unsafe { call(fcinfo) }
}

/// Version-1 call info for the validator.
#[unsafe(no_mangle)]
#[doc(hidden)]
pub extern "C" fn pg_finfo_extguard_wasm_validator() -> &'static pg_sys::Pg_finfo_record {
    const V1: pg_sys::Pg_finfo_record = pg_sys::Pg_finfo_record { api_version: 1 };
    &V1
}

/// Validator of `LANGUAGE wasm`, run by `CREATE FUNCTION`.
///
/// # Safety
/// Called by PostgreSQL's fmgr with a valid `fcinfo`.
#[pg_guard]
#[unsafe(no_mangle)]
pub unsafe extern "C-unwind" fn extguard_wasm_validator(
    fcinfo: pg_sys::FunctionCallInfo,
) -> pg_sys::Datum {
    // SAFETY: fmgr passes a valid fcinfo.
    unsafe { validate(fcinfo) }
}

extension_sql!(
    r#"
CREATE FUNCTION wasm_call_handler() RETURNS language_handler
    LANGUAGE c AS 'MODULE_PATHNAME', 'extguard_wasm_call_handler';
CREATE FUNCTION wasm_validator(oid) RETURNS void
    LANGUAGE c STRICT AS 'MODULE_PATHNAME', 'extguard_wasm_validator';
CREATE TRUSTED LANGUAGE wasm
    HANDLER wasm_call_handler
    VALIDATOR wasm_validator;
COMMENT ON LANGUAGE wasm IS
    'WebAssembly functions in the extguard sandbox (no imports, memory and time limits)';
"#,
    name = "wasm_language"
);
