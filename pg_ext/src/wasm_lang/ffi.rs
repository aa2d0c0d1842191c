//! The PostgreSQL side of `LANGUAGE wasm`: every `unsafe` call lives here
//! (fmgr entry points, catalog reads, datums, encoding conversion, the
//! syscache callback and the utility hook). The wasm call itself happens in
//! [`super::Backend`]'s pool, in safe Rust, with no PostgreSQL call inside.

use std::ffi::{c_char, c_int, CStr, CString};
use std::path::PathBuf;
use std::sync::Once;
use std::time::{Duration, Instant};

use extguard_sandbox::{
    Arg, ArrayValue, ElemType, Host, HostError, MessageLevel, RowKind, SandboxError, Signature,
    Value, ValueType, NULL_ELEMENTS_VERSION,
};
use pgrx::pg_sys::{self, NodeTag};
use pgrx::prelude::*;
use pgrx::{direct_function_call, direct_function_call_as_datum, fcinfo};

use super::{
    abi_type, call_error_code, call_error_detail, current_limits, define_settings, display_name,
    load_error_code, message_report, note_invalidation, parse_row, sandbox, with_backend, Compiled,
    InstanceKey, SqlType,
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

/// How a SQL type crosses the boundary: domains are taken down to their
/// base type (their constraints are checked on results), arrays to their
/// element type. `None` for a type outside the ABI.
fn resolve_type(oid: pg_sys::Oid) -> Option<SqlType> {
    // SAFETY: catalog lookups by OID; an unknown OID gives itself back
    // (getBaseType) or InvalidOid (get_element_type).
    let (base, elem) = unsafe {
        let base = pg_sys::getBaseType(oid);
        (base, pg_sys::get_element_type(base))
    };
    let domain = base != oid;
    if let Some(abi) = abi_type(base.to_u32()) {
        return Some(SqlType {
            abi,
            declared: oid.to_u32(),
            domain,
            elem: 0,
        });
    }
    let elem_abi = abi_type(elem.to_u32()).and_then(ValueType::as_elem)?;
    Some(SqlType {
        abi: ValueType::Array(elem_abi),
        declared: oid.to_u32(),
        domain,
        elem: elem.to_u32(),
    })
}

/// Maps a PostgreSQL type to the ABI, or raises a clear error.
fn value_type(oid: pg_sys::Oid, what: &str, function: &str) -> SqlType {
    resolve_type(oid).unwrap_or_else(|| {
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
            Some(
                "Supported types: smallint, integer, bigint, real, double precision, boolean, \
                 text, varchar, char, bytea, jsonb, numeric, one-dimensional arrays of these, \
                 and domains over any of them.",
            ),
        )
    })
}

/// Whether a function returns a row: a trigger, or a composite type
/// (`RETURNS TABLE` of several columns and OUT parameters are `record`).
fn row_kind(proc: &ProcInfo) -> Option<RowKind> {
    if proc.ret_type == pg_sys::TRIGGEROID {
        return Some(RowKind::Trigger);
    }
    // SAFETY: a catalog lookup by OID.
    let typtype = unsafe { pg_sys::get_typtype(proc.ret_type) } as u8;
    (proc.ret_type == pg_sys::RECORDOID || typtype == pg_sys::TYPTYPE_COMPOSITE)
        .then_some(RowKind::Composite)
}

/// The SQL types of a function's arguments and result, and its ABI
/// signature.
fn signature_of(proc: &ProcInfo) -> (Vec<SqlType>, SqlType, Signature) {
    let row = row_kind(proc);
    // A row crosses as JSON text; its columns are read at the call.
    let row_result = SqlType {
        abi: ValueType::Text,
        declared: proc.ret_type.to_u32(),
        domain: false,
        elem: 0,
    };
    if row == Some(RowKind::Trigger) {
        if !proc.arg_types.is_empty() {
            fail(
                PgSqlErrorCode::ERRCODE_INVALID_FUNCTION_DEFINITION,
                format!(
                    "LANGUAGE wasm trigger function {} cannot have declared arguments",
                    display_name(&proc.name)
                ),
                Some("Trigger arguments (CREATE TRIGGER ... EXECUTE FUNCTION f('a')) reach the module in the event's \"args\"."),
            );
        }
        return (Vec::new(), row_result, Signature::trigger());
    }
    let params = proc
        .arg_types
        .iter()
        .enumerate()
        .map(|(i, t)| value_type(*t, &format!("argument {}", i + 1), &proc.name))
        .collect::<Vec<_>>();
    let abi_params = params.iter().map(|p| p.abi).collect::<Vec<_>>();
    if row == Some(RowKind::Composite) {
        let mut signature = Signature::composite(abi_params);
        if proc.ret_set {
            signature = signature.returning_set();
        }
        return (params, row_result, signature);
    }
    let result = value_type(proc.ret_type, "result", &proc.name);
    if proc.ret_set && result.abi.as_elem().is_none() {
        fail(
            PgSqlErrorCode::ERRCODE_FEATURE_NOT_SUPPORTED,
            format!(
                "LANGUAGE wasm function {} cannot return a set of arrays",
                display_name(&proc.name)
            ),
            Some("A set-returning wasm function returns rows of one scalar type."),
        );
    }
    let mut signature = Signature::new(abi_params, result.abi);
    if proc.ret_set {
        signature = signature.returning_set();
    }
    (params, result, signature)
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
    let (_, _, signature) = signature_of(proc);
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
    if let Some((code, message)) = ABORTED.borrow_mut().take() {
        // A cancel, timeout or terminate that arrived during a query of
        // the guest: PostgreSQL's own error, raised again now that wasm
        // has returned.
        pgrx::check_for_interrupts!();
        fail(code, message, None);
    }
    if err == SandboxError::Interrupted {
        // Let PostgreSQL raise its own error ("canceling statement due to
        // user request / statement timeout", or terminate the backend).
        pgrx::check_for_interrupts!();
    }
    if let SandboxError::Raised { message, .. } = &err {
        // The guest's own error, like PL/pgSQL's RAISE: its message alone.
        fail(call_error_code(&err), message_text(message), None);
    }
    let detail = call_error_detail(&err);
    fail(
        call_error_code(&err),
        format!("wasm function {function}: {err}"),
        detail.as_deref(),
    )
}

/// Messages below ERROR a guest raised during the current call, emitted
/// once it has returned. Only the backend's thread touches it.
static MESSAGES: crate::hooks::BackendLocal<std::cell::RefCell<Vec<(MessageLevel, String)>>> =
    crate::hooks::BackendLocal::new(std::cell::RefCell::new(Vec::new()));

/// Runs one wasm call, then reports the messages the guest raised, in
/// order, before the caller looks at the result (so they come before the
/// call's error, as PL/pgSQL's would). They are not reported during the
/// call: `ereport` runs `emit_log_hook` and client output, either of which
/// may raise an error, and no longjmp may cross wasm frames.
fn run_wasm<R>(call: impl FnOnce() -> R) -> R {
    MESSAGES.borrow_mut().clear();
    let result = super::calling(call);
    let messages = std::mem::take(&mut *MESSAGES.borrow_mut());
    for (level, text) in messages {
        let (level, code) = message_report(level);
        ereport!(level, code, message_text(&text));
    }
    result
}

/// A guest's (UTF-8) message as text for a report in this database.
fn message_text(text: &str) -> String {
    if database_is_utf8() || text.is_ascii() {
        text.to_string()
    } else {
        super::ascii_message(text)
    }
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
    Numeric(String),
    Array(ArrayValue),
    Null(ValueType),
}

/// Calls a type output function (`jsonb_out`, `numeric_out`) on a datum.
///
/// # Safety
/// `datum` must be a non-NULL value of the output function's type.
unsafe fn output_text(
    out: unsafe fn(pg_sys::FunctionCallInfo) -> pg_sys::Datum,
    datum: pg_sys::Datum,
) -> Vec<u8> {
    // SAFETY: per the caller; the function returns a palloc'd cstring.
    unsafe { direct_function_call::<CString>(out, &[Some(datum)]) }
        .map(CString::into_bytes)
        .unwrap_or_default()
}

/// Reads argument `i` of type `ty` from `fcinfo`.
///
/// # Safety
/// `fcinfo` must be the valid call info of this call, with at least `i + 1`
/// arguments, argument `i` of type `ty` and not NULL.
unsafe fn read_arg<'a>(
    fcinfo: pg_sys::FunctionCallInfo,
    i: usize,
    ty: &SqlType,
    nullable: bool,
    name: &str,
) -> Held<'a> {
    // SAFETY: the caller guarantees a valid fcinfo and a non-NULL argument.
    let datum = unsafe { fcinfo::pg_getarg_datum_raw(fcinfo, i) };
    let what = || format!("argument {}", i + 1);
    // SAFETY: the datum is a non-NULL value of `ty`.
    unsafe { read_datum(datum, ty.abi, nullable, &what, name) }
}

/// Converts one non-NULL datum of ABI type `ty`; an array may hold NULL
/// elements when `nullable` (the module targets ABI version 4).
///
/// # Safety
/// `datum` must be a valid non-NULL datum of a type that maps to `ty`.
unsafe fn read_datum<'a>(
    datum: pg_sys::Datum,
    ty: ValueType,
    nullable: bool,
    what: &dyn Fn() -> String,
    name: &str,
) -> Held<'a> {
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
            // SAFETY: a jsonb datum for jsonb_out.
            let text = unsafe { output_text(pg_sys::jsonb_out, datum) };
            Held::Json(server_to_utf8(&text).into_owned())
        }
        ValueType::Numeric => {
            // SAFETY: a numeric datum for numeric_out (ASCII output).
            let text = unsafe { output_text(pg_sys::numeric_out, datum) };
            Held::Numeric(String::from_utf8_lossy(&text).into_owned())
        }
        // SAFETY: an array datum whose elements map to `elem`.
        ValueType::Array(elem) => {
            Held::Array(unsafe { read_array(datum, elem, nullable, what, name) })
        }
    }
}

/// Reads a one-dimensional array; NULL elements are an error unless
/// `nullable`.
///
/// # Safety
/// `datum` must be a valid non-NULL array whose element type maps to `elem`.
unsafe fn read_array(
    datum: pg_sys::Datum,
    elem: ElemType,
    nullable: bool,
    what: &dyn Fn() -> String,
    name: &str,
) -> ArrayValue {
    // SAFETY: detoasting a valid array datum gives a readable ArrayType
    // in the current memory context; deconstruct_array fills palloc'd
    // arrays of `n` datums and flags for the array's own element type.
    let (datums, nulls, n) = unsafe {
        let arr = pg_sys::pg_detoast_datum(datum.cast_mut_ptr()) as *mut pg_sys::ArrayType;
        if (*arr).ndim > 1 {
            fail(
                PgSqlErrorCode::ERRCODE_FEATURE_NOT_SUPPORTED,
                format!(
                    "wasm function {name}: {} is a {}-dimensional array",
                    what(),
                    (*arr).ndim
                ),
                Some("The wasm ABI passes one-dimensional arrays."),
            );
        }
        let elemtype = (*arr).elemtype;
        let (mut len, mut byval, mut align) = (0i16, false, 0 as c_char);
        pg_sys::get_typlenbyvalalign(elemtype, &mut len, &mut byval, &mut align);
        let mut datums: *mut pg_sys::Datum = std::ptr::null_mut();
        let mut nulls: *mut bool = std::ptr::null_mut();
        let mut n: c_int = 0;
        pg_sys::deconstruct_array(
            arr,
            elemtype,
            len as c_int,
            byval,
            align,
            &mut datums,
            &mut nulls,
            &mut n,
        );
        let n = n.max(0) as usize;
        if n == 0 {
            (&[][..], &[][..], 0)
        } else {
            (
                std::slice::from_raw_parts(datums, n),
                std::slice::from_raw_parts(nulls, n),
                n,
            )
        }
    };
    let first_null = nulls.iter().position(|&null| null);
    if let (Some(k), false) = (first_null, nullable) {
        fail(
            PgSqlErrorCode::ERRCODE_NULL_VALUE_NOT_ALLOWED,
            format!(
                "wasm function {name}: element {} of {} is NULL",
                k + 1,
                what()
            ),
            Some("NULL array elements need a module of ABI version 4 (an extguard_abi_4 export)."),
        );
    }
    let item = |k: usize| -> Held<'static> {
        // SAFETY: element k is a non-NULL datum of the element type.
        unsafe {
            read_datum(
                datums[k],
                elem.value_type(),
                false,
                &|| format!("element {} of {}", k + 1, what()),
                name,
            )
        }
    };
    if first_null.is_some() {
        let items = (0..n)
            .map(|k| {
                (!nulls[k]).then(|| {
                    let held = item(k);
                    as_arg(&held, &|| format!("element {} of {}", k + 1, what()), name).to_value()
                })
            })
            .collect();
        return ArrayValue::Nullable(elem, items);
    }
    let strings = |k: usize| -> String {
        let held = item(k);
        match as_arg(&held, &|| format!("element {} of {}", k + 1, what()), name) {
            Arg::Text(s) | Arg::Jsonb(s) | Arg::Numeric(s) => s.to_string(),
            _ => String::new(),
        }
    };
    let scalar = |k: usize| match item(k) {
        Held::Scalar(a) => a,
        _ => Arg::Bool(false),
    };
    match elem {
        ElemType::Int2 => ArrayValue::Int2(
            (0..n)
                .map(|k| match scalar(k) {
                    Arg::Int2(v) => v,
                    _ => 0,
                })
                .collect(),
        ),
        ElemType::Int4 => ArrayValue::Int4(
            (0..n)
                .map(|k| match scalar(k) {
                    Arg::Int4(v) => v,
                    _ => 0,
                })
                .collect(),
        ),
        ElemType::Int8 => ArrayValue::Int8(
            (0..n)
                .map(|k| match scalar(k) {
                    Arg::Int8(v) => v,
                    _ => 0,
                })
                .collect(),
        ),
        ElemType::Float4 => ArrayValue::Float4(
            (0..n)
                .map(|k| match scalar(k) {
                    Arg::Float4(v) => v,
                    _ => 0.0,
                })
                .collect(),
        ),
        ElemType::Float8 => ArrayValue::Float8(
            (0..n)
                .map(|k| match scalar(k) {
                    Arg::Float8(v) => v,
                    _ => 0.0,
                })
                .collect(),
        ),
        ElemType::Bool => ArrayValue::Bool(
            (0..n)
                .map(|k| matches!(scalar(k), Arg::Bool(true)))
                .collect(),
        ),
        ElemType::Bytea => ArrayValue::Bytea(
            (0..n)
                .map(|k| match item(k) {
                    Held::Bytea(b) => b.to_vec(),
                    _ => Vec::new(),
                })
                .collect(),
        ),
        ElemType::Text => ArrayValue::Text((0..n).map(strings).collect()),
        ElemType::Jsonb => ArrayValue::Jsonb((0..n).map(strings).collect()),
        ElemType::Numeric => ArrayValue::Numeric((0..n).map(strings).collect()),
    }
}

fn as_arg<'a>(held: &'a Held<'_>, what: &dyn Fn() -> String, name: &str) -> Arg<'a> {
    let utf8 = |b: &'a [u8], ty: &str| {
        std::str::from_utf8(b).unwrap_or_else(|_| {
            fail(
                PgSqlErrorCode::ERRCODE_CHARACTER_NOT_IN_REPERTOIRE,
                format!("wasm function {name}: {ty} {} is not valid UTF-8", what()),
                None,
            )
        })
    };
    match held {
        Held::Scalar(a) => *a,
        Held::Text(b) => Arg::Text(utf8(b, "text")),
        Held::Bytea(b) => Arg::Bytea(b),
        Held::Json(b) => Arg::Jsonb(utf8(b, "jsonb")),
        Held::Numeric(s) => Arg::Numeric(s),
        Held::Array(a) => Arg::Array(a),
        Held::Null(t) => Arg::Null(*t),
    }
}

/// The handler: find or make this caller's instance, marshal, call.
///
/// # Safety
/// `fcinfo` must be the valid call info PostgreSQL passed to the handler.
unsafe fn call(fcinfo: pg_sys::FunctionCallInfo) -> pg_sys::Datum {
    define_settings();
    if super::in_call() {
        fail(
            PgSqlErrorCode::ERRCODE_OBJECT_IN_USE,
            "a LANGUAGE wasm function cannot be called from a query of another wasm function"
                .into(),
            None,
        );
    }
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
        let (params, result, signature) = signature_of(&proc);
        let compiled = Compiled {
            xmin: proc.xmin,
            tid: proc.tid,
            proc_hash: proc.proc_hash,
            name: display_name(&proc.name),
            params,
            result,
            returns_set: proc.ret_set,
            accepts_nulls: function.accepts_nulls(),
            row: signature.row,
            abi_version: function.module().abi_version(),
        };
        with_backend(|b| b.pool().insert(key, &function, compiled));
    }
    let (name, params, result, returns_set, accepts_nulls, row, abi_version) = with_backend(|b| {
        b.pool().data(&key).map(|c| {
            (
                c.name.clone(),
                c.params.clone(),
                c.result,
                c.returns_set,
                c.accepts_nulls,
                c.row,
                c.abi_version,
            )
        })
    })
    .unwrap_or_else(|| {
        fail(
            PgSqlErrorCode::ERRCODE_INTERNAL_ERROR,
            "wasm function instance vanished".into(),
            None,
        )
    });

    if row == Some(RowKind::Trigger) {
        // SAFETY: fcinfo is valid; its context says whether the trigger
        // manager called.
        return unsafe { call_trigger(fcinfo, &key, &name) };
    }
    let nullable_elements = abi_version >= NULL_ELEMENTS_VERSION;
    let mut held = Vec::with_capacity(params.len());
    for (i, ty) in params.iter().enumerate() {
        // SAFETY: fcinfo is valid and has the function's arguments.
        if unsafe { fcinfo::pg_arg_is_null(fcinfo, i) } {
            if !accepts_nulls {
                fail(
                    PgSqlErrorCode::ERRCODE_NULL_VALUE_NOT_ALLOWED,
                    format!("wasm function {name} got NULL for argument {}", i + 1),
                    Some(
                        "Declare the function STRICT to return NULL on NULL input, or give its \
                         export the trailing i64 NULL mask parameter (ABI version 2).",
                    ),
                );
            }
            held.push(Held::Null(ty.abi));
            continue;
        }
        // SAFETY: argument i exists, is not NULL and has type `ty`.
        held.push(unsafe { read_arg(fcinfo, i, ty, nullable_elements, &name) });
    }
    let args: Vec<Arg<'_>> = held
        .iter()
        .enumerate()
        .map(|(i, h)| as_arg(h, &|| format!("argument {}", i + 1), &name))
        .collect();
    let limits = current_limits();
    // The only place wasm runs. Nothing in here calls PostgreSQL.
    let value = run_wasm(|| with_backend(|b| b.pool().call(&key, &args, limits)))
        .unwrap_or_else(|e| raise_call(&name, e));
    drop(args);
    drop(held);
    if returns_set {
        // SAFETY: fcinfo is the valid call info of a set-returning call.
        unsafe { return_set(fcinfo, value, &result, row.is_some(), &name) };
        return pg_sys::Datum::from(0);
    }
    if row.is_some() {
        // SAFETY: fcinfo is the valid call info of a function returning a
        // composite type.
        return unsafe { composite_result(fcinfo, value, &name) };
    }
    // SAFETY: fcinfo is valid; the value has the result's ABI type.
    let (datum, is_null) = unsafe { result_datum(fcinfo, value, &result) };
    // SAFETY: setting the result's null flag of a valid fcinfo.
    unsafe { (*fcinfo).isnull = is_null };
    datum
}

/// Checks a domain's constraints on a result (PostgreSQL raises if one is
/// broken), caching the domain's data in the call's `fn_extra`.
///
/// # Safety
/// `fcinfo` must be valid; `datum` a value of the domain's base type.
unsafe fn check_domain(
    fcinfo: pg_sys::FunctionCallInfo,
    datum: pg_sys::Datum,
    is_null: bool,
    ty: &SqlType,
) {
    if !ty.domain {
        return;
    }
    // SAFETY: fn_extra belongs to this function's handler (nothing else
    // uses it) and lives in fn_mcxt, where domain_check keeps its cache.
    unsafe {
        let flinfo = (*fcinfo).flinfo;
        pg_sys::domain_check(
            datum,
            is_null,
            pg_sys::Oid::from(ty.declared),
            &mut (*flinfo).fn_extra,
            (*flinfo).fn_mcxt,
        );
    }
}

/// The datum of a (non-set) result, domain constraints checked.
///
/// # Safety
/// `fcinfo` must be the valid call info of this call.
unsafe fn result_datum(
    fcinfo: pg_sys::FunctionCallInfo,
    value: Value,
    ty: &SqlType,
) -> (pg_sys::Datum, bool) {
    let (datum, is_null) = match value {
        Value::Null(_) => (pg_sys::Datum::from(0), true),
        Value::Array(a) => (array_datum(a, ty), false),
        v => (to_datum(v), false),
    };
    // SAFETY: per the caller; the datum has the domain's base type.
    unsafe { check_domain(fcinfo, datum, is_null, ty) };
    (datum, is_null)
}

/// A one-dimensional array of the result's element type (lower bound 1),
/// NULL elements included.
fn array_datum(array: ArrayValue, ty: &SqlType) -> pg_sys::Datum {
    let elem = pg_sys::Oid::from(ty.elem);
    let values = array.into_values();
    let mut nulls: Vec<bool> = values.iter().map(|v| matches!(v, Value::Null(_))).collect();
    let mut datums: Vec<pg_sys::Datum> = values
        .into_iter()
        .map(|v| match v {
            Value::Null(_) => pg_sys::Datum::from(0),
            v => to_datum(v),
        })
        .collect();
    let n = c_int::try_from(datums.len()).unwrap_or_else(|_| {
        fail(
            PgSqlErrorCode::ERRCODE_PROGRAM_LIMIT_EXCEEDED,
            "wasm function returned too many array elements".into(),
            None,
        )
    });
    let (mut dims, mut lbs) = ([n], [1 as c_int]);
    // SAFETY: `datums` and `nulls` hold n entries of the element type,
    // whose length, by-value flag and alignment come from the catalog.
    unsafe {
        let (mut len, mut byval, mut align) = (0i16, false, 0 as c_char);
        pg_sys::get_typlenbyvalalign(elem, &mut len, &mut byval, &mut align);
        pg_sys::Datum::from(pg_sys::construct_md_array(
            datums.as_mut_ptr(),
            nulls.as_mut_ptr(),
            1,
            dims.as_mut_ptr(),
            lbs.as_mut_ptr(),
            elem,
            len as c_int,
            byval,
            align,
        ))
    }
}

/// Puts the rows of a set-returning call into a tuplestore (materialize
/// mode), checking interrupts and the rows' domain. With `composite`,
/// each row is a JSON object mapped onto the expected columns.
///
/// # Safety
/// `fcinfo` must be the valid call info of a set-returning call.
unsafe fn return_set(
    fcinfo: pg_sys::FunctionCallInfo,
    value: Value,
    ty: &SqlType,
    composite: bool,
    name: &str,
) {
    let rows = match value {
        Value::Array(a) => a.into_values(),
        Value::Null(_) => Vec::new(),
        other => fail(
            PgSqlErrorCode::ERRCODE_INTERNAL_ERROR,
            format!(
                "wasm function {name}: a set came back as {}",
                other.value_type()
            ),
            None,
        ),
    };
    // SAFETY: InitMaterializedSRF checks the caller accepts a tuplestore
    // (raising otherwise) and sets resultinfo's setResult and setDesc (one
    // column of the declared type, from the expected descriptor).
    let rsinfo = unsafe {
        pg_sys::InitMaterializedSRF(fcinfo, pg_sys::MAT_SRF_USE_EXPECTED_DESC as _);
        (*fcinfo).resultinfo as *mut pg_sys::ReturnSetInfo
    };
    for (k, row) in rows.into_iter().enumerate() {
        if k % 4096 == 4095 {
            pgrx::check_for_interrupts!();
        }
        if composite {
            let json = match row {
                Value::Text(json) => json,
                // A NULL element: a row of NULLs.
                _ => "{}".to_string(),
            };
            // SAFETY: setDesc is the expected row type, set up above.
            let (mut values, mut nulls) = unsafe {
                row_datums((*rsinfo).setDesc, &json, None, &|| {
                    format!("wasm function {name}: row {}", k + 1)
                })
            };
            // SAFETY: one datum and flag per column of setDesc; the
            // tuplestore copies them.
            unsafe {
                pg_sys::tuplestore_putvalues(
                    (*rsinfo).setResult,
                    (*rsinfo).setDesc,
                    values.as_mut_ptr(),
                    nulls.as_mut_ptr(),
                )
            };
            continue;
        }
        let (mut datum, mut is_null) = match row {
            Value::Null(_) => (pg_sys::Datum::from(0), true),
            row => (to_datum(row), false),
        };
        // SAFETY: per the caller; the tuplestore copies the value.
        unsafe {
            check_domain(fcinfo, datum, is_null, ty);
            // Raw pointers: the parameters are `Datum *` before
            // PostgreSQL 16 and `const Datum *` from it.
            pg_sys::tuplestore_putvalues(
                (*rsinfo).setResult,
                (*rsinfo).setDesc,
                std::ptr::addr_of_mut!(datum),
                std::ptr::addr_of_mut!(is_null),
            );
        }
    }
}

/// The columns of `desc` as `(name, attribute)`, `None` for dropped ones.
///
/// # Safety
/// `desc` must be a valid tuple descriptor.
unsafe fn columns<'a>(
    desc: pg_sys::TupleDesc,
) -> Vec<Option<(String, &'a pg_sys::FormData_pg_attribute)>> {
    // SAFETY: borrowed, not freed; attributes live as long as `desc`.
    let desc = unsafe { pgrx::PgTupleDesc::from_pg_unchecked(desc) };
    (0..desc.len())
        .map(|i| {
            let att = desc.get(i)?;
            if att.attisdropped {
                return None;
            }
            // SAFETY: attname is a NUL-terminated NameData.
            let name = unsafe { CStr::from_ptr(att.attname.data.as_ptr()) };
            let name = String::from_utf8_lossy(&server_to_utf8(name.to_bytes())).into_owned();
            // SAFETY: the attribute array outlives this borrow of `desc`.
            Some((name, unsafe {
                &*(att as *const pg_sys::FormData_pg_attribute)
            }))
        })
        .collect()
}

/// Appends a row as a JSON object: column name to the value's text
/// output (in UTF-8) or null; dropped columns are left out. With `typed`,
/// numbers, booleans and json / jsonb keep their JSON form
/// ([`super::typed_value`]).
///
/// # Safety
/// `tuple` must be a valid tuple of `desc`.
unsafe fn push_tuple_json(
    out: &mut String,
    tuple: pg_sys::HeapTuple,
    desc: pg_sys::TupleDesc,
    typed: bool,
) {
    out.push('{');
    let mut first = true;
    // SAFETY: per the caller.
    for (i, column) in unsafe { columns(desc) }.into_iter().enumerate() {
        let Some((name, att)) = column else { continue };
        if !first {
            out.push(',');
        }
        first = false;
        out.push_str(&serde_json::to_string(&name).unwrap_or_default());
        out.push(':');
        // SAFETY: attribute i + 1 of a tuple of `desc`; SPI_getvalue
        // returns a palloc'd cstring or NULL for SQL NULL.
        let value = unsafe { pg_sys::SPI_getvalue(tuple, desc, i as c_int + 1) };
        if value.is_null() {
            out.push_str("null");
        } else {
            // SAFETY: a NUL-terminated string from the output function.
            let text = server_to_utf8(unsafe { CStr::from_ptr(value) }.to_bytes()).into_owned();
            let text = String::from_utf8_lossy(&text);
            match typed
                .then(|| super::typed_value(att.atttypid.to_u32(), &text))
                .flatten()
            {
                Some(json) => out.push_str(json),
                None => out.push_str(&serde_json::to_string(&text).unwrap_or_default()),
            }
        }
    }
    out.push('}');
}

/// The datums of a row a wasm function returned (a JSON object, see
/// [`parse_row`]) for the columns of `desc`: each named column through
/// its type's input function (domains checked), the others from `base`
/// (a trigger's row) or NULL. Raises on a bad row.
///
/// # Safety
/// `desc` must be a valid tuple descriptor and `base`, if given, a valid
/// tuple of it.
unsafe fn row_datums(
    desc: pg_sys::TupleDesc,
    json: &str,
    base: Option<pg_sys::HeapTuple>,
    what: &dyn Fn() -> String,
) -> (Vec<pg_sys::Datum>, Vec<bool>) {
    // SAFETY: per the caller.
    let columns = unsafe { columns(desc) };
    let names: Vec<Option<String>> = columns
        .iter()
        .map(|c| c.as_ref().map(|(n, _)| n.clone()))
        .collect();
    let given = parse_row(json, &names)
        .unwrap_or_else(|e| fail(e.code, format!("{}: {}", what(), e.message), None));
    let n = columns.len();
    let (mut values, mut nulls) = (vec![pg_sys::Datum::from(0); n], vec![true; n]);
    if let Some(tuple) = base {
        // SAFETY: a valid tuple of `desc` with `n` attributes.
        unsafe { pg_sys::heap_deform_tuple(tuple, desc, values.as_mut_ptr(), nulls.as_mut_ptr()) };
    }
    for (i, text) in given {
        let Some((name, att)) = &columns[i] else {
            continue;
        };
        let text = text.map(|t| {
            CString::new(utf8_to_server(t)).unwrap_or_else(|_| {
                fail(
                    PgSqlErrorCode::ERRCODE_CHARACTER_NOT_IN_REPERTOIRE,
                    format!("{}: column {name:?} contains NUL", what()),
                    None,
                )
            })
        });
        // SAFETY: the column's type input function, its I/O parameter and
        // typmod; a NULL string gives NULL (after a domain's checks).
        values[i] = unsafe {
            let (mut input, mut ioparam) = (pg_sys::InvalidOid, pg_sys::InvalidOid);
            pg_sys::getTypeInputInfo(att.atttypid, &mut input, &mut ioparam);
            pg_sys::OidInputFunctionCall(
                input,
                text.as_ref()
                    .map_or(std::ptr::null_mut(), |t| t.as_ptr() as *mut c_char),
                ioparam,
                att.atttypmod,
            )
        };
        nulls[i] = text.is_none();
    }
    (values, nulls)
}

/// The result of a function returning one composite value.
///
/// # Safety
/// `fcinfo` must be the valid call info of this call.
unsafe fn composite_result(
    fcinfo: pg_sys::FunctionCallInfo,
    value: Value,
    name: &str,
) -> pg_sys::Datum {
    let json = match value {
        Value::Text(json) => json,
        _ => {
            // SAFETY: a valid fcinfo.
            unsafe { (*fcinfo).isnull = true };
            return pg_sys::Datum::from(0);
        }
    };
    // SAFETY: get_call_result_type resolves the row type from the
    // catalog or the call site (OUT parameters, a column definition list).
    let desc = unsafe {
        let mut desc: pg_sys::TupleDesc = std::ptr::null_mut();
        let class = pg_sys::get_call_result_type(fcinfo, std::ptr::null_mut(), &mut desc);
        if class != pg_sys::TypeFuncClass::TYPEFUNC_COMPOSITE || desc.is_null() {
            fail(
                PgSqlErrorCode::ERRCODE_FEATURE_NOT_SUPPORTED,
                format!(
                    "wasm function {name}: function returning record called in context that \
                     cannot accept type record"
                ),
                None,
            );
        }
        pg_sys::BlessTupleDesc(desc)
    };
    // SAFETY: `desc` is the blessed row type.
    let (mut values, mut nulls) =
        unsafe { row_datums(desc, &json, None, &|| format!("wasm function {name}")) };
    // SAFETY: one datum and flag per column; the tuple is palloc'd in the
    // call's memory context and returned as a composite datum.
    unsafe {
        let tuple = pg_sys::heap_form_tuple(desc, values.as_mut_ptr(), nulls.as_mut_ptr());
        pg_sys::HeapTupleHeaderGetDatum((*tuple).t_data)
    }
}

/// The event a trigger function gets (ABI.md, "Triggers") as JSON.
///
/// # Safety
/// `td` must be the valid trigger data of this call.
unsafe fn trigger_event(td: &pg_sys::TriggerData) -> String {
    let event = td.tg_event;
    let op = match event & pg_sys::TRIGGER_EVENT_OPMASK {
        pg_sys::TRIGGER_EVENT_INSERT => "INSERT",
        pg_sys::TRIGGER_EVENT_DELETE => "DELETE",
        pg_sys::TRIGGER_EVENT_UPDATE => "UPDATE",
        _ => "TRUNCATE",
    };
    let when = match event & pg_sys::TRIGGER_EVENT_TIMINGMASK {
        pg_sys::TRIGGER_EVENT_BEFORE => "BEFORE",
        pg_sys::TRIGGER_EVENT_INSTEAD => "INSTEAD OF",
        _ => "AFTER",
    };
    let row = event & pg_sys::TRIGGER_EVENT_ROW != 0;
    let string = |p: *const c_char| -> String {
        if p.is_null() {
            return String::new();
        }
        // SAFETY: a NUL-terminated string from the catalogs.
        let bytes = unsafe { CStr::from_ptr(p) }.to_bytes();
        String::from_utf8_lossy(&server_to_utf8(bytes)).into_owned()
    };
    let json = |s: &str| serde_json::to_string(s).unwrap_or_default();
    // SAFETY: the trigger data's relation and trigger are valid for the
    // call; tgargs holds tgnargs strings.
    let (table, schema, trigger, args, desc) = unsafe {
        let rel = td.tg_relation;
        let form = (*rel).rd_rel;
        let trig = td.tg_trigger;
        let nargs = (*trig).tgnargs.max(0) as usize;
        let args: Vec<String> = (0..nargs).map(|i| string(*(*trig).tgargs.add(i))).collect();
        (
            string((*form).relname.data.as_ptr()),
            string(pg_sys::get_namespace_name((*form).relnamespace)),
            string((*trig).tgname),
            args,
            (*rel).rd_att,
        )
    };
    let mut out = format!(
        "{{\"op\":\"{op}\",\"when\":\"{when}\",\"level\":\"{}\",\"name\":{},\"table\":{},\"schema\":{},\"args\":[{}]",
        if row { "ROW" } else { "STATEMENT" },
        json(&trigger),
        json(&table),
        json(&schema),
        args.iter().map(|a| json(a)).collect::<Vec<_>>().join(",")
    );
    let (old, new) = match (row, op) {
        (false, _) => (None, None),
        (_, "INSERT") => (None, Some(td.tg_trigtuple)),
        (_, "DELETE") => (Some(td.tg_trigtuple), None),
        _ => (Some(td.tg_trigtuple), Some(td.tg_newtuple)),
    };
    for (key, tuple) in [("old", old), ("new", new)] {
        out.push_str(&format!(",\"{key}\":"));
        match tuple.filter(|t| !t.is_null()) {
            // SAFETY: a row of the trigger's relation.
            Some(t) => unsafe { push_tuple_json(&mut out, t, desc, false) },
            None => out.push_str("null"),
        }
    }
    out.push('}');
    out
}

/// Calls a trigger function: the event in, the row to use out (ABI.md,
/// "Triggers").
///
/// # Safety
/// `fcinfo` must be the valid call info PostgreSQL passed to the handler.
unsafe fn call_trigger(
    fcinfo: pg_sys::FunctionCallInfo,
    key: &InstanceKey,
    name: &str,
) -> pg_sys::Datum {
    // SAFETY: a valid fcinfo; a TriggerData context is what the trigger
    // manager passes (CALLED_AS_TRIGGER).
    let td = unsafe {
        let context = (*fcinfo).context;
        if context.is_null() || (*context).type_ != NodeTag::T_TriggerData {
            fail(
                PgSqlErrorCode::ERRCODE_FEATURE_NOT_SUPPORTED,
                format!("wasm trigger function {name} can only be called as a trigger"),
                None,
            );
        }
        &*(context as *const pg_sys::TriggerData)
    };
    // SAFETY: the trigger data of this call.
    let event = unsafe { trigger_event(td) };
    let args = [Arg::Text(&event)];
    let limits = current_limits();
    let value = run_wasm(|| with_backend(|b| b.pool().call(key, &args, limits)))
        .unwrap_or_else(|e| raise_call(name, e));
    let e = td.tg_event;
    let row_level = e & pg_sys::TRIGGER_EVENT_ROW != 0;
    let after = e & pg_sys::TRIGGER_EVENT_TIMINGMASK == pg_sys::TRIGGER_EVENT_AFTER;
    if !row_level || after {
        // PostgreSQL ignores what AFTER and statement triggers return.
        return pg_sys::Datum::from(0);
    }
    let op = e & pg_sys::TRIGGER_EVENT_OPMASK;
    let row = if op == pg_sys::TRIGGER_EVENT_UPDATE {
        td.tg_newtuple
    } else {
        td.tg_trigtuple
    };
    match value {
        Value::Text(json) if !json.is_empty() && op != pg_sys::TRIGGER_EVENT_DELETE => {
            // SAFETY: the trigger's relation and a row of it; the new
            // tuple is palloc'd in the trigger call's memory context, as
            // the trigger manager expects.
            unsafe {
                let desc = (*td.tg_relation).rd_att;
                let (mut values, mut nulls) = row_datums(desc, &json, Some(row), &|| {
                    format!("wasm trigger function {name}")
                });
                pg_sys::Datum::from(pg_sys::heap_form_tuple(
                    desc,
                    values.as_mut_ptr(),
                    nulls.as_mut_ptr(),
                ))
            }
        }
        Value::Text(_) => pg_sys::Datum::from(row),
        // NULL: skip this row.
        _ => pg_sys::Datum::from(0),
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
        Value::Numeric(v) => {
            let text = CString::new(v).unwrap_or_default();
            // SAFETY: numeric_in takes a cstring, a type OID and a typmod.
            unsafe {
                direct_function_call_as_datum(
                    pg_sys::numeric_in,
                    &[
                        text.as_c_str().into_datum(),
                        pg_sys::InvalidOid.into_datum(),
                        (-1i32).into_datum(),
                    ],
                )
            }
        }
        Value::Array(_) | Value::Null(_) => fail(
            PgSqlErrorCode::ERRCODE_INTERNAL_ERROR,
            "wasm result: an array or NULL where a scalar was expected".into(),
            None,
        ),
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
    'WebAssembly functions in the extguard sandbox (read-only SPI only, memory and time limits)';
"#,
    name = "wasm_language"
);

/// The error that ended a wasm call from inside a host call (a cancel
/// during `spi_query`), raised again once wasm has returned. Only the
/// backend's thread (which runs wasm and its host calls) touches it.
static ABORTED: crate::hooks::BackendLocal<std::cell::RefCell<Option<(PgSqlErrorCode, String)>>> =
    crate::hooks::BackendLocal::new(std::cell::RefCell::new(None));

/// The host behind the sandbox's imports: SPI as the calling role.
pub(super) struct PgHost;

impl Host for PgHost {
    fn spi_query(&self, sql: &str, params: &[String]) -> Result<String, HostError> {
        // SAFETY: the sandbox calls this on the backend's thread, inside a
        // wasm call the handler made; spi_query catches every PostgreSQL
        // error and Rust panic, so nothing unwinds into wasmtime.
        unsafe { spi_query(sql, SpiParams::Text(params)) }
    }

    fn spi_exec(&self, sql: &str, params_json: &str) -> Result<String, HostError> {
        // SAFETY: as for spi_query.
        unsafe { spi_query(sql, SpiParams::Json(params_json)) }
    }

    fn message(&self, level: MessageLevel, text: &str) {
        // Queued, never reported here (see run_wasm); the sandbox caps how
        // many and how large.
        MESSAGES.borrow_mut().push((level, text.to_string()));
    }
}

/// The parameters of a guest's query: `spi_query` passes text, `spi_exec`
/// a JSON array whose values give their types (and gets typed rows back).
#[derive(Clone, Copy)]
enum SpiParams<'a> {
    Text(&'a [String]),
    Json(&'a str),
}

/// SQLSTATE and message of a caught PostgreSQL error (pgrx turns a
/// longjmp into a `CaughtError` panic, an ERROR raised from Rust into an
/// `ErrorReportWithLevel` one) or of a Rust panic.
fn describe_panic(payload: Box<dyn std::any::Any + Send>) -> (PgSqlErrorCode, String) {
    use pg_sys::panic::{CaughtError, ErrorReport, ErrorReportWithLevel};
    let payload = match payload.downcast::<CaughtError>() {
        Ok(caught) => {
            return match *caught {
                CaughtError::PostgresError(e)
                | CaughtError::ErrorReport(e)
                | CaughtError::RustPanic { ereport: e, .. } => {
                    (e.sql_error_code(), e.message().to_string())
                }
            }
        }
        Err(other) => other,
    };
    if let Some(e) = payload.downcast_ref::<ErrorReportWithLevel>() {
        return (e.sql_error_code(), e.message().to_string());
    }
    if let Some(e) = payload.downcast_ref::<ErrorReport>() {
        return (
            PgSqlErrorCode::ERRCODE_INTERNAL_ERROR,
            e.message().to_string(),
        );
    }
    let text = payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default();
    (
        PgSqlErrorCode::ERRCODE_INTERNAL_ERROR,
        format!("internal error in spi_query {text}")
            .trim_end()
            .to_string(),
    )
}

/// Errors that must end the wasm call instead of reaching the guest.
fn ends_the_call(code: PgSqlErrorCode) -> bool {
    use PgSqlErrorCode::*;
    matches!(
        code,
        ERRCODE_QUERY_CANCELED
            | ERRCODE_ADMIN_SHUTDOWN
            | ERRCODE_CRASH_SHUTDOWN
            | ERRCODE_CANNOT_CONNECT_NOW
            | ERRCODE_OUT_OF_MEMORY
    )
}

/// The SQLSTATE's five characters.
fn sqlstate_text(code: PgSqlErrorCode) -> String {
    let mut v = code as i32;
    (0..5)
        .map(|_| {
            let c = ((v & 0x3f) as u8 + b'0') as char;
            v >>= 6;
            c
        })
        .collect()
}

/// Runs a read-only query in a subtransaction, as PL/Python does: an
/// error rolls the subtransaction back (its SPI connection, snapshot,
/// locks, memory) and comes back as a value; a cancel or terminate is
/// kept to be raised again after wasm returns.
///
/// # Safety
/// Must run on the backend's thread inside a function call (a
/// transaction is open), with only Rust frames (and wasmtime's) between
/// here and the handler.
unsafe fn spi_query(sql: &str, params: SpiParams<'_>) -> Result<String, HostError> {
    let max_rows = super::spi_max_rows();
    let max_bytes = current_limits().max_memory_bytes;
    // SAFETY: plain reads of backend globals.
    let (old_cxt, old_owner, read_only) = unsafe {
        (
            pg_sys::CurrentMemoryContext,
            pg_sys::CurrentResourceOwner,
            pg_sys::XactReadOnly,
        )
    };
    let begun = std::cell::Cell::new(false);
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        // SAFETY: a subtransaction inside the running transaction; every
        // PostgreSQL error below becomes a Rust panic at pgrx's guard.
        unsafe {
            pg_sys::BeginInternalSubTransaction(std::ptr::null());
            begun.set(true);
            pg_sys::MemoryContextSwitchTo(old_cxt);
            // Writes fail as in a READ ONLY transaction, also inside
            // functions the query calls.
            pg_sys::XactReadOnly = true;
            let rows = run_query(sql, params, max_rows, max_bytes);
            pg_sys::XactReadOnly = read_only;
            pg_sys::ReleaseCurrentSubTransaction();
            begun.set(false);
            pg_sys::MemoryContextSwitchTo(old_cxt);
            pg_sys::CurrentResourceOwner = old_owner;
            rows
        }
    }));
    let payload = match outcome {
        Ok(rows) => return Ok(rows),
        Err(payload) => payload,
    };
    // SAFETY: undoes the subtransaction begun above (pgrx has already
    // copied and flushed the error), restoring memory context and
    // resource owner as they were.
    unsafe {
        pg_sys::XactReadOnly = read_only;
        pg_sys::MemoryContextSwitchTo(old_cxt);
        if begun.get() {
            pg_sys::RollbackAndReleaseCurrentSubTransaction();
        }
        pg_sys::MemoryContextSwitchTo(old_cxt);
        pg_sys::CurrentResourceOwner = old_owner;
    }
    let (code, message) = describe_panic(payload);
    if ends_the_call(code) || cancel_requested() {
        *ABORTED.borrow_mut() = Some((code, message));
        return Err(HostError::Abort);
    }
    Err(HostError::Failed(format!(
        "{}: {}",
        sqlstate_text(code),
        message
    )))
}

/// Executes `sql` through SPI (read-only, as the current user) and
/// returns its rows as a JSON array of objects, each column's value as
/// its text output or null. Raises (a Rust panic the caller catches) on
/// any problem.
///
/// # Safety
/// Inside the subtransaction [`spi_query`] opened.
unsafe fn run_query(sql: &str, params: SpiParams<'_>, max_rows: u64, max_bytes: u64) -> String {
    let limit =
        |what: String| -> ! { fail(PgSqlErrorCode::ERRCODE_PROGRAM_LIMIT_EXCEEDED, what, None) };
    let cstring = |text: &str| {
        CString::new(utf8_to_server(text.to_string())).unwrap_or_else(|_| {
            fail(
                PgSqlErrorCode::ERRCODE_CHARACTER_NOT_IN_REPERTOIRE,
                "spi_query: text contains NUL".into(),
                None,
            )
        })
    };
    let query = cstring(sql);
    let text_datum = |text: &str| {
        let c = cstring(text);
        // SAFETY: copies the bytes into a palloc'd text.
        unsafe {
            pg_sys::Datum::from(pg_sys::cstring_to_text_with_len(
                c.as_ptr(),
                c_int::try_from(c.as_bytes().len()).unwrap_or(c_int::MAX),
            ))
        }
    };
    let typed = matches!(params, SpiParams::Json(_));
    // (type, value, NULL) of each parameter.
    let params: Vec<(pg_sys::Oid, pg_sys::Datum, bool)> = match params {
        SpiParams::Text(p) => p
            .iter()
            .map(|p| (pg_sys::TEXTOID, text_datum(p), false))
            .collect(),
        SpiParams::Json(json) => super::typed_params(json)
            .unwrap_or_else(|m| {
                fail(
                    PgSqlErrorCode::ERRCODE_INVALID_PARAMETER_VALUE,
                    format!("spi_exec: {m}"),
                    None,
                )
            })
            .into_iter()
            .map(|p| {
                use super::TypedParam as P;
                let input = |f: unsafe fn(pg_sys::FunctionCallInfo) -> pg_sys::Datum,
                             text: &str| {
                    let c = cstring(text);
                    // SAFETY: a type input function taking a cstring (and
                    // for numeric an OID and a typmod, ignored by jsonb_in).
                    unsafe {
                        direct_function_call_as_datum(
                            f,
                            &[
                                c.as_c_str().into_datum(),
                                pg_sys::InvalidOid.into_datum(),
                                (-1i32).into_datum(),
                            ],
                        )
                    }
                    .unwrap_or(pg_sys::Datum::from(0))
                };
                match p {
                    P::Null => (pg_sys::TEXTOID, pg_sys::Datum::from(0), true),
                    P::Bool(b) => (pg_sys::BOOLOID, pg_sys::Datum::from(b), false),
                    P::Int8(v) => (pg_sys::INT8OID, pg_sys::Datum::from(v), false),
                    P::Numeric(t) => (pg_sys::NUMERICOID, input(pg_sys::numeric_in, &t), false),
                    P::Text(t) => (pg_sys::TEXTOID, text_datum(&t), false),
                    P::Jsonb(t) => (pg_sys::JSONBOID, input(pg_sys::jsonb_in, &t), false),
                }
            })
            .collect(),
    };
    let nargs = c_int::try_from(params.len())
        .ok()
        .filter(|n| *n <= 100)
        .unwrap_or_else(|| {
            limit(format!(
                "spi_query: {} parameters (at most 100)",
                params.len()
            ))
        });
    let mut types: Vec<pg_sys::Oid> = params.iter().map(|p| p.0).collect();
    let mut values: Vec<pg_sys::Datum> = params.iter().map(|p| p.1).collect();
    let nulls: Vec<c_char> = params
        .iter()
        .map(|p| if p.2 { b'n' } else { b' ' } as c_char)
        .collect();
    // SAFETY: SPI in the caller's subtransaction; `types`, `values` and
    // `nulls` hold `nargs` entries.
    unsafe {
        if pg_sys::SPI_connect() < 0 {
            fail(
                PgSqlErrorCode::ERRCODE_INTERNAL_ERROR,
                "SPI_connect failed".into(),
                None,
            );
        }
        let rc = pg_sys::SPI_execute_with_args(
            query.as_ptr(),
            nargs,
            types.as_mut_ptr(),
            values.as_mut_ptr(),
            nulls.as_ptr(),
            true,
            max_rows.saturating_add(1).min(i64::MAX as u64) as _,
        );
        if rc < 0 {
            fail(
                PgSqlErrorCode::ERRCODE_EXTERNAL_ROUTINE_INVOCATION_EXCEPTION,
                format!("spi_query: SPI_execute failed ({rc})"),
                None,
            );
        }
        let processed = pg_sys::SPI_processed;
        if processed > max_rows {
            limit(format!(
                "spi_query returned more than {max_rows} rows (extguard.wasm_spi_max_rows)"
            ));
        }
        let table = pg_sys::SPI_tuptable;
        let mut out = String::from("[");
        if !table.is_null() {
            let desc = (*table).tupdesc;
            for row in 0..processed as usize {
                let tuple = *(*table).vals.add(row);
                if row > 0 {
                    out.push(',');
                }
                push_tuple_json(&mut out, tuple, desc, typed);
                if out.len() as u64 > max_bytes {
                    limit(format!(
                        "spi_query rows exceed {max_bytes} bytes (extguard.wasm_max_memory)"
                    ));
                }
                if row % 1024 == 1023 {
                    pgrx::check_for_interrupts!();
                }
            }
        }
        out.push(']');
        pg_sys::SPI_finish();
        out
    }
}
