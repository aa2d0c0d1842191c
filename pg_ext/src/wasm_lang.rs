//! `LANGUAGE wasm`: a trusted procedural language whose function bodies are
//! WebAssembly modules (WAT text or base64 of a binary), run in the
//! `extguard-sandbox` runtime.
//!
//! * The validator runs at `CREATE FUNCTION`: argument and result types
//!   must be in the ABI (`sandbox/ABI.md`), the module must load (no
//!   imports, within the size and memory limits) and export a function
//!   named like the SQL function with the matching wasm type.
//! * The call handler keeps, per backend, one [`Sandbox`] (created on first
//!   use, never in the postmaster) and one instance per function, keyed by
//!   the function's OID and checked against its `pg_proc` row version
//!   (xmin and ctid), so `CREATE OR REPLACE FUNCTION` takes effect at once.
//! * Interrupts: the sandbox's epoch callback only reads
//!   `InterruptPending` / `QueryCancelPending` / `ProcDiePending`; the call
//!   traps, wasmtime unwinds, and only then, back in plain Rust, do we run
//!   `CHECK_FOR_INTERRUPTS()`, which raises PostgreSQL's usual error. No
//!   PostgreSQL error (longjmp) ever crosses wasmtime frames: every
//!   PostgreSQL call here happens before or after the wasm call.

use std::cell::RefCell;
use std::collections::HashMap;
use std::ffi::{CStr, CString};
use std::sync::{Arc, Once, OnceLock};
use std::time::Duration;

use extguard_sandbox::{
    Arg, CallLimits, Instance, Sandbox, SandboxConfig, SandboxError, Signature, TrapKind, Value,
    ValueType,
};
use pgrx::guc::{GucContext, GucFlags, GucRegistry, GucSetting};
use pgrx::prelude::*;
use pgrx::{direct_function_call, direct_function_call_as_datum, fcinfo};

/// `extguard.wasm_max_memory`, in kB: largest linear memory of one wasm
/// function instance.
static MAX_MEMORY_KB: GucSetting<i32> = GucSetting::<i32>::new(16 * 1024);
/// `extguard.wasm_max_time`, in ms: time slice of one wasm call (0: none
/// besides statement_timeout and cancel).
static MAX_TIME_MS: GucSetting<i32> = GucSetting::<i32>::new(5000);

/// Registers the `extguard.wasm_*` settings. Idempotent; call it from
/// `_PG_init` (before the `extguard` prefix is reserved). The handler and
/// validator also call it, so a library loaded without `_PG_init` calling
/// it still has the settings once wasm is used.
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
    });
}

/// Raises a PostgreSQL ERROR (as a Rust panic that `#[pg_guard]` turns
/// into the ERROR at the function boundary). Only ever called outside
/// wasmtime frames.
fn fail(code: PgSqlErrorCode, message: String, detail: Option<&str>) -> ! {
    match detail {
        Some(detail) => ereport!(PgLogLevel::ERROR, code, message, detail),
        None => ereport!(PgLogLevel::ERROR, code, message),
    }
    unreachable!("ereport(ERROR) does not return")
}

fn current_limits() -> CallLimits {
    let time = MAX_TIME_MS.get();
    CallLimits {
        max_memory_bytes: MAX_MEMORY_KB.get().max(64) as u64 * 1024,
        max_time: (time > 0).then(|| Duration::from_millis(time as u64)),
        ..CallLimits::default()
    }
}

/// True when PostgreSQL wants the running statement to stop. Only reads
/// flags set by signal handlers: safe to run from wasmtime's epoch callback.
fn cancel_requested() -> bool {
    // SAFETY: plain volatile reads of sig_atomic_t globals of this backend.
    unsafe {
        std::ptr::read_volatile(&raw const pg_sys::InterruptPending) != 0
            && (std::ptr::read_volatile(&raw const pg_sys::QueryCancelPending) != 0
                || std::ptr::read_volatile(&raw const pg_sys::ProcDiePending) != 0)
    }
}

/// The backend's sandbox, created on first use.
fn sandbox() -> &'static Sandbox {
    static SANDBOX: OnceLock<Sandbox> = OnceLock::new();
    SANDBOX.get_or_init(|| {
        let config = SandboxConfig {
            limits: current_limits(),
            interrupt_check: Some(Arc::new(cancel_requested)),
            ..SandboxConfig::default()
        };
        Sandbox::new(config).unwrap_or_else(|e| {
            fail(
                PgSqlErrorCode::ERRCODE_INTERNAL_ERROR,
                format!("cannot create the wasm engine: {e}"),
                None,
            )
        })
    })
}

/// A compiled function, valid while its pg_proc row is unchanged.
struct Compiled {
    xmin: pg_sys::TransactionId,
    tid: pg_sys::ItemPointerData,
    name: String,
    params: Vec<ValueType>,
    instance: Instance,
}

thread_local! {
    static FUNCTIONS: RefCell<HashMap<pg_sys::Oid, Compiled>> = RefCell::new(HashMap::new());
}

/// What the handler needs from a function's pg_proc row.
struct ProcInfo {
    name: String,
    arg_types: Vec<pg_sys::Oid>,
    ret_type: pg_sys::Oid,
    ret_set: bool,
    xmin: pg_sys::TransactionId,
    tid: pg_sys::ItemPointerData,
    source: Option<Vec<u8>>,
}

/// Reads a function's pg_proc row. The source is read only when
/// `with_source` is set or the row differs from `known`.
unsafe fn read_proc(
    fn_oid: pg_sys::Oid,
    known: Option<(pg_sys::TransactionId, pg_sys::ItemPointerData)>,
) -> ProcInfo {
    unsafe {
        let tuple = pg_sys::SearchSysCache1(
            pg_sys::SysCacheIdentifier::PROCOID as i32,
            pg_sys::Datum::from(fn_oid),
        );
        if tuple.is_null() {
            ereport!(
                PgLogLevel::ERROR,
                PgSqlErrorCode::ERRCODE_INTERNAL_ERROR,
                format!("cache lookup failed for function {}", fn_oid.to_u32())
            );
        }
        let xmin = crate::compat::heap_tuple_raw_xmin((*tuple).t_data);
        let tid = (*tuple).t_self;
        let unchanged =
            known.is_some_and(|(k_xmin, k_tid)| k_xmin == xmin && same_tid(&k_tid, &tid));
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
        ProcInfo {
            name,
            arg_types,
            ret_type,
            ret_set,
            xmin,
            tid,
            source,
        }
    }
}

fn same_tid(a: &pg_sys::ItemPointerData, b: &pg_sys::ItemPointerData) -> bool {
    a.ip_blkid.bi_hi == b.ip_blkid.bi_hi
        && a.ip_blkid.bi_lo == b.ip_blkid.bi_lo
        && a.ip_posid == b.ip_posid
}

/// Maps a PostgreSQL type to the ABI, or raises a clear error.
fn value_type(oid: pg_sys::Oid, what: &str, function: &str) -> ValueType {
    match oid {
        pg_sys::INT2OID => ValueType::Int2,
        pg_sys::INT4OID => ValueType::Int4,
        pg_sys::INT8OID => ValueType::Int8,
        pg_sys::FLOAT4OID => ValueType::Float4,
        pg_sys::FLOAT8OID => ValueType::Float8,
        pg_sys::BOOLOID => ValueType::Bool,
        pg_sys::TEXTOID => ValueType::Text,
        pg_sys::BYTEAOID => ValueType::Bytea,
        pg_sys::JSONBOID => ValueType::Jsonb,
        other => {
            // SAFETY: format_type_be only reads the catalogs.
            let name = unsafe { CStr::from_ptr(pg_sys::format_type_be(other)) }
                .to_string_lossy()
                .into_owned();
            fail(
                PgSqlErrorCode::ERRCODE_FEATURE_NOT_SUPPORTED,
                format!("LANGUAGE wasm functions cannot use type {name} ({what} of {function})"),
                Some("Supported types: smallint, integer, bigint, real, double precision, boolean, text, bytea, jsonb."),
            )
        }
    }
}

fn signature_of(proc: &ProcInfo) -> Signature {
    if proc.ret_set {
        ereport!(
            PgLogLevel::ERROR,
            PgSqlErrorCode::ERRCODE_FEATURE_NOT_SUPPORTED,
            format!("LANGUAGE wasm function {} cannot return a set", proc.name)
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

/// Loads the module of `proc` and binds its export; raises on any problem.
fn compile(proc: &ProcInfo) -> extguard_sandbox::Function {
    let signature = signature_of(proc);
    let source = proc.source.as_deref().unwrap_or_default();
    sandbox()
        .load_function(source, &proc.name, &signature)
        .unwrap_or_else(|e| {
            fail(
                PgSqlErrorCode::ERRCODE_INVALID_FUNCTION_DEFINITION,
                format!("invalid LANGUAGE wasm function {}: {e}", proc.name),
                None,
            )
        })
}

/// Raises the PostgreSQL error for a failed call. Runs after wasmtime has
/// returned, so raising (a longjmp in C terms) is safe here.
fn raise(function: &str, err: SandboxError) -> ! {
    use PgSqlErrorCode::*;
    if err == SandboxError::Interrupted {
        // Let PostgreSQL raise its own error ("canceling statement due to
        // user request / statement timeout", or terminate the backend).
        pgrx::check_for_interrupts!();
    }
    let code = match &err {
        SandboxError::Interrupted => ERRCODE_QUERY_CANCELED,
        SandboxError::TimeLimitExceeded { .. }
        | SandboxError::InstructionLimitExceeded { .. }
        | SandboxError::MemoryLimitExceeded { .. }
        | SandboxError::TableLimitExceeded { .. }
        | SandboxError::ResourceCountExceeded(_) => ERRCODE_PROGRAM_LIMIT_EXCEEDED,
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
    };
    let detail = match &err {
        SandboxError::Trap { message, .. } => message.clone(),
        _ => String::new(),
    };
    fail(
        code,
        format!("wasm function {function}: {err}"),
        (!detail.is_empty()).then_some(detail.as_str()),
    )
}

/// Owned storage for varlena arguments while the call runs.
enum Held<'a> {
    Scalar(Arg<'static>),
    Bytes(ValueType, &'a [u8]),
    Json(CString),
}

unsafe fn call(fcinfo: pg_sys::FunctionCallInfo) -> pg_sys::Datum {
    unsafe {
        define_settings();
        let fn_oid = (*(*fcinfo).flinfo).fn_oid;
        FUNCTIONS.with(|cell| {
            let mut functions = cell.borrow_mut();
            let known = functions.get(&fn_oid).map(|c| (c.xmin, c.tid));
            let proc = read_proc(fn_oid, known);
            if proc.source.is_some() {
                let function = compile(&proc);
                let params = function.signature().params.clone();
                functions.insert(
                    fn_oid,
                    Compiled {
                        xmin: proc.xmin,
                        tid: proc.tid,
                        name: proc.name.clone(),
                        params,
                        instance: sandbox().instantiate(&function),
                    },
                );
            }
            let compiled = functions.get_mut(&fn_oid).expect("compiled above");

            let mut held = Vec::with_capacity(compiled.params.len());
            for (i, ty) in compiled.params.iter().enumerate() {
                if fcinfo::pg_arg_is_null(fcinfo, i) {
                    ereport!(
                        PgLogLevel::ERROR,
                        PgSqlErrorCode::ERRCODE_NULL_VALUE_NOT_ALLOWED,
                        format!(
                            "wasm function {} got NULL for argument {}",
                            compiled.name,
                            i + 1
                        ),
                        "The wasm ABI has no NULL. Declare the function STRICT to return NULL on NULL input."
                    );
                }
                let datum = fcinfo::pg_getarg_datum_raw(fcinfo, i);
                held.push(match ty {
                    ValueType::Int2 => Held::Scalar(Arg::Int2(datum.value() as i16)),
                    ValueType::Int4 => Held::Scalar(Arg::Int4(datum.value() as i32)),
                    ValueType::Int8 => Held::Scalar(Arg::Int8(datum.value() as i64)),
                    ValueType::Float4 => {
                        Held::Scalar(Arg::Float4(f32::from_bits(datum.value() as u32)))
                    }
                    ValueType::Float8 => {
                        Held::Scalar(Arg::Float8(f64::from_bits(datum.value() as u64)))
                    }
                    ValueType::Bool => Held::Scalar(Arg::Bool(datum.value() != 0)),
                    ValueType::Text | ValueType::Bytea => Held::Bytes(
                        *ty,
                        <&[u8]>::from_datum(datum, false).unwrap_or_default(),
                    ),
                    ValueType::Jsonb => Held::Json(
                        direct_function_call::<CString>(pg_sys::jsonb_out, &[Some(datum)])
                            .unwrap_or_default(),
                    ),
                });
            }
            let mut args = Vec::with_capacity(held.len());
            for (i, h) in held.iter().enumerate() {
                args.push(match h {
                    Held::Scalar(a) => *a,
                    Held::Bytes(ValueType::Text, b) => match std::str::from_utf8(b) {
                        Ok(s) => Arg::Text(s),
                        Err(_) => fail(
                            PgSqlErrorCode::ERRCODE_CHARACTER_NOT_IN_REPERTOIRE,
                            format!(
                                "wasm function {}: text argument {} is not valid UTF-8",
                                compiled.name,
                                i + 1
                            ),
                            None,
                        ),
                    },
                    Held::Bytes(_, b) => Arg::Bytea(b),
                    Held::Json(c) => Arg::Jsonb(c.to_str().unwrap_or_default()),
                });
            }

            let limits = current_limits();
            if compiled.instance.limits() != limits {
                compiled.instance.set_limits(limits);
            }
            // The only place wasm runs. Nothing in here calls PostgreSQL.
            let result = compiled.instance.call(&args);
            let value = match result {
                Ok(v) => v,
                Err(e) => {
                    let name = compiled.name.clone();
                    drop(functions);
                    raise(&name, e)
                }
            };
            to_datum(value)
        })
    }
}

unsafe fn to_datum(value: Value) -> pg_sys::Datum {
    let datum = match value {
        Value::Int2(v) => v.into_datum(),
        Value::Int4(v) => v.into_datum(),
        Value::Int8(v) => v.into_datum(),
        Value::Float4(v) => v.into_datum(),
        Value::Float8(v) => v.into_datum(),
        Value::Bool(v) => v.into_datum(),
        Value::Text(v) => v.into_datum(),
        Value::Bytea(v) => v.into_datum(),
        Value::Jsonb(v) => {
            let text = CString::new(v).unwrap_or_else(|_| {
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

unsafe fn validate(fcinfo: pg_sys::FunctionCallInfo) -> pg_sys::Datum {
    unsafe {
        define_settings();
        let fn_oid = pg_sys::Oid::from_datum(fcinfo::pg_getarg_datum_raw(fcinfo, 0), false)
            .unwrap_or_default();
        if !pg_sys::CheckFunctionValidatorAccess((*(*fcinfo).flinfo).fn_oid, fn_oid) {
            return pg_sys::Datum::from(0);
        }
        let proc = read_proc(fn_oid, None);
        // Types are checked even when bodies are not (pg_restore).
        signature_of(&proc);
        if pg_sys::check_function_bodies {
            compile(&proc);
        }
        pg_sys::Datum::from(0)
    }
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

#[cfg(any(test, feature = "pg_test"))]
#[pg_schema]
mod tests {
    use pgrx::prelude::*;

    const ADD: &str = include_str!("../../corpus/wasm/add.wat");
    const TYPES: &str = include_str!("../../corpus/wasm/types.wat");
    const REVERSE: &str = include_str!("../../corpus/wasm/reverse.wat");
    const SUM: &str = include_str!("../../corpus/wasm/sum.wat");
    const HASH: &str = include_str!("../../corpus/wasm/hash.wat");
    const JSONB_COUNT: &str = include_str!("../../corpus/wasm/jsonb_field_count.wat");
    const SPIN: &str = include_str!("../../corpus/wasm/hostile_infinite_loop.wat");
    const GROW: &str = include_str!("../../corpus/wasm/hostile_memory_grow.wat");
    const RECURSE: &str = include_str!("../../corpus/wasm/hostile_recursion.wat");
    const DIV: &str = include_str!("../../corpus/wasm/hostile_div_zero.wat");
    const UNREACHABLE: &str = include_str!("../../corpus/wasm/hostile_unreachable.wat");
    const WASI: &str = include_str!("../../corpus/wasm/hostile_wasi_import.wat");
    const TABLE: &str = include_str!("../../corpus/wasm/hostile_table_declared.wat");
    const TABLE_GROW: &str = include_str!("../../corpus/wasm/hostile_table_grow.wat");

    /// `'...'` with quotes doubled.
    fn lit(s: &str) -> String {
        format!("'{}'", s.replace('\'', "''"))
    }

    fn create(signature: &str, body: &str) {
        Spi::run(&format!(
            "CREATE OR REPLACE FUNCTION {signature} LANGUAGE wasm AS {}",
            lit(body)
        ))
        .unwrap();
    }

    /// Runs `sql` in a subtransaction (a PL/pgSQL block) and returns the
    /// SQLSTATE and message it failed with, or None if it succeeded.
    fn error_of(sql: &str) -> Option<(String, String)> {
        Spi::run(
            "CREATE TEMP TABLE IF NOT EXISTS wasm_err(state text, message text); \
             TRUNCATE wasm_err",
        )
        .unwrap();
        Spi::run(&format!(
            "DO $do$ BEGIN EXECUTE {}; \
             EXCEPTION WHEN OTHERS OR query_canceled THEN \
               INSERT INTO wasm_err VALUES (SQLSTATE, SQLERRM); END $do$",
            lit(sql)
        ))
        .unwrap();
        Spi::connect(|c| {
            c.select("SELECT state, message FROM wasm_err", None, &[])
                .unwrap()
                .next()
                .map(|row| {
                    (
                        row.get::<String>(1).unwrap().unwrap(),
                        row.get::<String>(2).unwrap().unwrap(),
                    )
                })
        })
    }

    fn expect_error(sql: &str, state: &str, needle: &str) {
        match error_of(sql) {
            Some((s, m)) => {
                assert_eq!(s, state, "{sql}: {m}");
                assert!(m.contains(needle), "{sql}: {m:?} lacks {needle:?}");
            }
            None => panic!("{sql} succeeded, expected {state}"),
        }
    }

    fn one<T: pgrx::datum::FromDatum + pgrx::datum::IntoDatum>(sql: &str) -> Option<T> {
        Spi::get_one::<T>(sql).unwrap()
    }

    fn assert_add_works() {
        create(
            "wasm_probe_add(int, int) RETURNS int",
            &ADD.replace("\"add\"", "\"wasm_probe_add\""),
        );
        assert_eq!(one::<i32>("SELECT wasm_probe_add(20, 22)"), Some(42));
    }

    #[pg_test]
    fn add_is_called_by_name() {
        create("add(int, int) RETURNS int", ADD);
        assert_eq!(one::<i32>("SELECT add(2, 3)"), Some(5));
        assert_eq!(
            one::<i64>("SELECT sum(add(i, 1))::bigint FROM generate_series(1, 1000) i"),
            Some(501_500)
        );
    }

    #[pg_test]
    fn every_type_round_trips() {
        for (name, ty) in [
            ("id_int2", "smallint"),
            ("id_int4", "integer"),
            ("id_int8", "bigint"),
            ("id_float4", "real"),
            ("id_float8", "double precision"),
            ("id_bool", "boolean"),
            ("id_text", "text"),
            ("id_bytea", "bytea"),
            ("id_jsonb", "jsonb"),
        ] {
            create(&format!("{name}({ty}) RETURNS {ty} STRICT"), TYPES);
        }
        for (expr, expected) in [
            ("id_int2((-32768)::smallint)::text", "-32768"),
            ("id_int2(32767::smallint)::text", "32767"),
            ("id_int4(-2147483648)::text", "-2147483648"),
            ("id_int8(9223372036854775807)::text", "9223372036854775807"),
            ("id_float4(1.5::real)::text", "1.5"),
            ("id_float4('-Infinity'::real)::text", "-Infinity"),
            ("id_float8(pi())::text", "3.141592653589793"),
            ("id_float8('NaN')::text", "NaN"),
            ("id_bool(true)::text", "true"),
            ("id_bool(false)::text", "false"),
            ("id_text('')", ""),
            ("id_text('héllo wörld ✓')", "héllo wörld ✓"),
            (
                "id_text(repeat('ab', 100000)) = repeat('ab', 100000)",
                "true",
            ),
            ("id_bytea('\\x00ff10'::bytea)::text", "\\x00ff10"),
            (
                "id_jsonb('{\"b\": [1, 2.5, null], \"a\": \"ü\"}')::text",
                "{\"a\": \"ü\", \"b\": [1, 2.5, null]}",
            ),
        ] {
            let got = one::<String>(&format!("SELECT ({expr})::text"));
            assert_eq!(got.as_deref(), Some(expected), "{expr}");
        }
    }

    #[pg_test]
    fn strict_returns_null_and_non_strict_refuses_null() {
        create("id_int4(integer) RETURNS integer STRICT", TYPES);
        assert_eq!(one::<i32>("SELECT id_int4(NULL)"), None);
        create("id_text(text) RETURNS text CALLED ON NULL INPUT", TYPES);
        expect_error("SELECT id_text(NULL)", "22004", "got NULL for argument 1");
        assert_eq!(one::<String>("SELECT id_text('x')").as_deref(), Some("x"));
    }

    #[pg_test]
    fn varlena_functions_work_over_many_rows() {
        // Renamed exports: pg_catalog already has reverse(text).
        create(
            "wasm_reverse(text) RETURNS text STRICT",
            &REVERSE.replace("(export \"reverse\")", "(export \"wasm_reverse\")"),
        );
        create(
            "wasm_hash(bytea) RETURNS bigint STRICT",
            &HASH.replace("(export \"hash\")", "(export \"wasm_hash\")"),
        );
        create(
            "jsonb_field_count(jsonb) RETURNS integer STRICT",
            JSONB_COUNT,
        );
        assert_eq!(
            one::<String>("SELECT wasm_reverse('añb😀')").as_deref(),
            Some("😀bña")
        );
        assert_eq!(
            one::<i64>(
                "SELECT count(*) FROM generate_series(1, 5000) i \
                 WHERE wasm_reverse(wasm_reverse(repeat(i::text, 50))) = repeat(i::text, 50)"
            ),
            Some(5000)
        );
        // FNV-1a of "a" is 0xaf63dc4c8601ec8c.
        assert_eq!(
            one::<i64>("SELECT wasm_hash('a'::bytea)"),
            Some(0xaf63dc4c8601ec8cu64 as i64)
        );
        assert_eq!(
            one::<i32>("SELECT jsonb_field_count('{\"a\": 1, \"b\": {\"c\": 2}, \"d\": \"x:y\"}')"),
            Some(3)
        );
    }

    /// A small deterministic generator (xorshift64*) for the differential test.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
        fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
            &items[self.below(items.len() as u64) as usize]
        }
    }

    fn reference_sum(n: i64) -> i64 {
        if n <= 0 {
            0
        } else {
            n.wrapping_mul(n.wrapping_add(1)) / 2
        }
    }

    fn reference_fnv1a(bytes: &[u8]) -> i64 {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for &b in bytes {
            h ^= b as u64;
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        h as i64
    }

    fn reference_reverse(s: &str) -> String {
        s.chars().rev().collect()
    }

    /// Keys of a top-level object (jsonb keeps one of duplicate keys), else 0.
    fn reference_field_count(json: &str) -> i32 {
        match serde_json::from_str::<serde_json::Value>(json) {
            Ok(serde_json::Value::Object(m)) => m.len() as i32,
            _ => 0,
        }
    }

    fn random_string(rng: &mut Rng, max: u64) -> String {
        const CHARS: &[char] = &[
            'a', 'z', 'Q', '0', ' ', ':', '"', '\\', '{', '}', '[', ']', ',', '\'', '\n', 'é', 'ß',
            '€', '漢', '😀', '𝄞', '\u{301}', '\u{7f}', '\u{ffff}',
        ];
        let len = rng.below(max + 1);
        (0..len).map(|_| *rng.pick(CHARS)).collect()
    }

    fn random_json(rng: &mut Rng, depth: u32) -> serde_json::Value {
        use serde_json::Value;
        let kind = if depth == 0 {
            rng.below(7)
        } else {
            rng.below(5)
        };
        match kind {
            0 => Value::Null,
            1 => Value::Bool(rng.below(2) == 1),
            2 => Value::from(rng.next() as i64 >> rng.below(64)),
            3 => Value::String(random_string(rng, 12)),
            4 if depth < 3 => Value::Array(
                (0..rng.below(4))
                    .map(|_| random_json(rng, depth + 1))
                    .collect(),
            ),
            4 => Value::Null,
            _ if depth < 3 => Value::Object(
                (0..rng.below(6))
                    .map(|_| (random_string(rng, 6), random_json(rng, depth + 1)))
                    .collect(),
            ),
            _ => Value::from(1),
        }
    }

    fn bytea_literal(bytes: &[u8]) -> String {
        let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        format!("'\\x{hex}'::bytea")
    }

    /// Issue 8 §5: the Wasm fixtures of corpus/wasm and reference Rust give
    /// equal results through SQL on random inputs, NULLs and boundary values.
    #[pg_test]
    fn wasm_matches_reference_rust_on_random_inputs() {
        create(
            "diff_sum(bigint) RETURNS bigint STRICT",
            &SUM.replace("(export \"sum\")", "(export \"diff_sum\")"),
        );
        create(
            "diff_hash(bytea) RETURNS bigint STRICT",
            &HASH.replace("(export \"hash\")", "(export \"diff_hash\")"),
        );
        create(
            "diff_reverse(text) RETURNS text STRICT",
            &REVERSE.replace("(export \"reverse\")", "(export \"diff_reverse\")"),
        );
        create(
            "diff_count(jsonb) RETURNS integer STRICT",
            &JSONB_COUNT.replace("(export \"jsonb_field_count\")", "(export \"diff_count\")"),
        );
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64)
            | 1;
        let mut rng = Rng(seed);
        let why = |what: &str| format!("{what} (seed {seed})");

        // NULL in, NULL out (STRICT), for every function.
        for f in [
            "diff_sum(NULL::bigint)",
            "diff_hash(NULL::bytea)",
            "diff_reverse(NULL::text)",
            "diff_count(NULL::jsonb)",
        ] {
            assert_eq!(one::<String>(&format!("SELECT {f}::text")), None, "{f}");
        }

        let mut sums: Vec<i64> = vec![0, 1, -1, 2, i64::MIN, -i64::MAX, 1_000_000, 3_000_000];
        sums.extend((0..150).map(|_| rng.below(4_000_001) as i64 - 1_000_000));
        for n in sums {
            assert_eq!(
                one::<i64>(&format!("SELECT diff_sum({n})")),
                Some(reference_sum(n)),
                "{}",
                why(&format!("sum({n})"))
            );
        }

        let mut blobs: Vec<Vec<u8>> = vec![
            vec![],
            vec![0],
            vec![0xff],
            vec![0x80; 3],
            (0..=255).collect(),
        ];
        blobs.push((0..1 << 20).map(|_| rng.next() as u8).collect());
        for _ in 0..150 {
            let len = rng.below(2000);
            blobs.push((0..len).map(|_| rng.next() as u8).collect());
        }
        for b in &blobs {
            assert_eq!(
                one::<i64>(&format!("SELECT diff_hash({})", bytea_literal(b))),
                Some(reference_fnv1a(b)),
                "{}",
                why(&format!("hash of {} bytes", b.len()))
            );
        }

        let mut texts: Vec<String> = ["", "a", "ab", "😀", "e\u{301}", "漢字かな"]
            .map(String::from)
            .to_vec();
        texts.push("x😀é".repeat(40_000));
        texts.extend((0..150).map(|_| random_string(&mut rng, 300)));
        for t in &texts {
            assert_eq!(
                one::<String>(&format!("SELECT diff_reverse({})", lit(t))).as_deref(),
                Some(reference_reverse(t).as_str()),
                "{}",
                why(&format!(
                    "reverse of {:?}",
                    t.chars().take(40).collect::<String>()
                ))
            );
        }

        let mut docs: Vec<String> = [
            "{}",
            "[]",
            "1",
            "\"a:b\"",
            "null",
            "{\"a\": 1, \"a\": 2}",
            "{\"\": {\"x\": [1, {\"y\": 2}]}}",
        ]
        .map(String::from)
        .to_vec();
        docs.extend((0..150).map(|_| random_json(&mut rng, 0).to_string()));
        for d in &docs {
            assert_eq!(
                one::<i32>(&format!("SELECT diff_count({}::jsonb)", lit(d))),
                Some(reference_field_count(d)),
                "{}",
                why(&format!("field count of {d}"))
            );
        }
    }

    #[pg_test]
    fn create_or_replace_takes_effect_in_the_same_session() {
        create(
            "answer() RETURNS int",
            "(module (func (export \"answer\") (result i32) (i32.const 1)))",
        );
        assert_eq!(one::<i32>("SELECT answer()"), Some(1));
        create(
            "answer() RETURNS int",
            "(module (func (export \"answer\") (result i32) (i32.const 2)))",
        );
        assert_eq!(one::<i32>("SELECT answer()"), Some(2));
    }

    #[pg_test]
    fn base64_body_is_accepted() {
        // base64 of the binary of (module (func (export "b64") (result i32) (i32.const 7)))
        let binary: &[u8] = &[
            0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x05, 0x01, 0x60, 0x00, 0x01,
            0x7f, 0x03, 0x02, 0x01, 0x00, 0x07, 0x07, 0x01, 0x03, b'b', b'6', b'4', 0x00, 0x00,
            0x0a, 0x06, 0x01, 0x04, 0x00, 0x41, 0x07, 0x0b,
        ];
        let b64 = Spi::get_one::<String>(&format!(
            "SELECT encode('\\x{}'::bytea, 'base64')",
            binary
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>()
        ))
        .unwrap()
        .unwrap();
        create("b64() RETURNS int", &b64);
        assert_eq!(one::<i32>("SELECT b64()"), Some(7));
    }

    #[pg_test]
    fn validator_rejects_bad_modules_at_create_function() {
        let create_sql =
            |sig: &str, body: &str| format!("CREATE FUNCTION {sig} LANGUAGE wasm AS {}", lit(body));
        expect_error(
            &create_sql("f(int) RETURNS int", WASI),
            "42P13",
            "forbidden import: function \"wasi_snapshot_preview1\".\"fd_write\"",
        );
        expect_error(
            &create_sql("f() RETURNS int", TABLE),
            "42P13",
            "table limit",
        );
        expect_error(
            &create_sql(
                "f() RETURNS int",
                "(module (func (export \"f\") (result i32) (i32.const)))",
            ),
            "42P13",
            "invalid WAT",
        );
        expect_error(
            &create_sql("f() RETURNS int", "AGFzbQEAAAAB/w=="),
            "42P13",
            "invalid wasm binary",
        );
        expect_error(
            &create_sql("sub(int, int) RETURNS int", ADD),
            "42P13",
            "no export \"sub\"",
        );
        expect_error(
            &create_sql("add(bigint, bigint) RETURNS bigint", ADD),
            "42P13",
            "expected (i64, i64) -> i64",
        );
        expect_error(
            &create_sql("add(numeric, numeric) RETURNS numeric", ADD),
            "0A000",
            "cannot use type numeric",
        );
        expect_error(
            &create_sql("add(int, int) RETURNS SETOF int", ADD),
            "0A000",
            "cannot return a set",
        );
        assert_add_works();
    }

    /// Arms PostgreSQL's own statement_timeout timer, as if the statement
    /// had started with statement_timeout = ms.
    fn arm_statement_timeout(ms: i32) {
        unsafe extern "C-unwind" {
            fn enable_timeout_after(id: std::ffi::c_int, delay_ms: std::ffi::c_int);
        }
        const STATEMENT_TIMEOUT: std::ffi::c_int = 3; // utils/timeout.h, PG 15
                                                      // SAFETY: STATEMENT_TIMEOUT is registered in every backend.
        unsafe { enable_timeout_after(STATEMENT_TIMEOUT, ms) };
    }

    #[pg_test]
    fn statement_timeout_stops_an_infinite_loop() {
        Spi::run("SET extguard.wasm_max_time = '60s'").unwrap();
        create("spin() RETURNS int", SPIN);
        arm_statement_timeout(200);
        expect_error("SELECT spin()", "57014", "statement timeout");
        // The same backend goes on working.
        assert_add_works();
        assert_eq!(one::<i32>("SELECT 1 + 1"), Some(2));
    }

    #[pg_test]
    fn pg_cancel_backend_stops_an_infinite_loop() {
        Spi::run("SET extguard.wasm_max_time = '60s'").unwrap();
        create("spin() RETURNS int", SPIN);
        // The cancel signal arrives before spin() starts; nothing between
        // them checks for interrupts, so the wasm loop must notice it.
        expect_error(
            "SELECT pg_cancel_backend(pg_backend_pid()), spin()",
            "57014",
            "user request",
        );
        assert_add_works();
    }

    #[pg_test]
    fn wasm_time_slice_stops_an_infinite_loop() {
        Spi::run("SET extguard.wasm_max_time = '100ms'").unwrap();
        create("spin() RETURNS int", SPIN);
        expect_error("SELECT spin()", "54000", "time limit");
        assert_add_works();
    }

    #[pg_test]
    fn hostile_modules_end_in_clear_errors() {
        Spi::run("SET extguard.wasm_max_memory = '2MB'").unwrap();
        create("grow() RETURNS int", GROW);
        expect_error("SELECT grow()", "54000", "memory limit exceeded");
        create("recurse(int) RETURNS int", RECURSE);
        expect_error("SELECT recurse(0)", "54001", "stack");
        create(
            "wasm_div(int, int) RETURNS int",
            &DIV.replace("(export \"div\")", "(export \"wasm_div\")"),
        );
        expect_error("SELECT wasm_div(1, 0)", "22012", "division by zero");
        create("boom() RETURNS int", UNREACHABLE);
        expect_error("SELECT boom()", "38000", "unreachable");
        create(
            "grow_table() RETURNS int",
            &TABLE_GROW.replace("\"grow\"", "\"grow_table\""),
        );
        expect_error("SELECT grow_table()", "54000", "table limit");
        assert_add_works();
    }

    #[pg_test]
    fn non_superuser_can_create_and_run_wasm_functions() {
        Spi::run(
            "CREATE ROLE wasm_tester NOLOGIN; \
             CREATE SCHEMA wasm_user_schema AUTHORIZATION wasm_tester; \
             SET ROLE wasm_tester; \
             SET search_path = wasm_user_schema",
        )
        .unwrap();
        create("add(int, int) RETURNS int", ADD);
        assert_eq!(one::<i32>("SELECT wasm_user_schema.add(1, 2)"), Some(3));
        assert_eq!(
            one::<bool>("SELECT lanpltrusted FROM pg_language WHERE lanname = 'wasm'"),
            Some(true)
        );
        // The same rules apply: no imports for anyone.
        expect_error(
            &format!(
                "CREATE FUNCTION f(int) RETURNS int LANGUAGE wasm AS {}",
                lit(WASI)
            ),
            "42P13",
            "forbidden import",
        );
        // Limits are superuser settings.
        expect_error(
            "SET extguard.wasm_max_memory = '1GB'",
            "42501",
            "permission denied",
        );
        Spi::run("RESET ROLE").unwrap();
    }
}
