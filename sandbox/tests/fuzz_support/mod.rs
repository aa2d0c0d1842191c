//! What the `sandbox` fuzz target checks, shared by the fuzz crate (`fuzz/`,
//! which includes this file) and `tests/fuzz_regressions.rs`, which replays
//! `corpus/fuzz-regressions/sandbox/` with the same code.
//!
//! Bytes go into [`Sandbox::load`] (wasm binary, WAT text or base64) under
//! small limits. Beyond "does not panic":
//! - every error is a typed [`SandboxError`] expected at that step (loading,
//!   checking an export, calling), with a non-empty message;
//! - when the module loads, each exported function whose wasm type maps onto
//!   the ABI is checked with that type (which must be accepted) and called,
//!   twice: each call ends, within a bounded time, with a value or a typed
//!   error (infinite loops stop at the time limit, growth at the memory and
//!   table caps);
//! - afterwards the same sandbox still runs a well-behaved function.

#![allow(dead_code)]

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use extguard_sandbox::{
    Arg, CallLimits, Function, Sandbox, SandboxConfig, SandboxError, Signature, Value, ValueType,
};

/// Time slice of one call (instantiation included).
pub const MAX_TIME: Duration = Duration::from_millis(50);
/// How long a call may take before the check calls it a hang: the time
/// slice plus a wide margin for a loaded machine (the epoch ticker thread
/// may be scheduled late).
pub const HANG: Duration = Duration::from_secs(5);
/// Calls per module, at most (each export is called twice per signature).
const MAX_CALLS: usize = 16;

/// The sandbox every input goes through: small memory and table caps and a
/// short time slice, so that the fuzzer reaches them.
pub fn sandbox() -> &'static Sandbox {
    static SANDBOX: OnceLock<Sandbox> = OnceLock::new();
    SANDBOX.get_or_init(|| {
        Sandbox::new(SandboxConfig {
            max_module_bytes: 64 << 10,
            max_cached_modules: 32,
            limits: CallLimits {
                max_memory_bytes: 1 << 20,
                max_table_elements: 1_000,
                max_time: Some(MAX_TIME),
                max_instructions: None,
                ..CallLimits::default()
            },
            ..SandboxConfig::default()
        })
        .expect("the sandbox engine starts")
    })
}

/// `add(i32, i32) -> i32`, as a binary, compiled once.
fn add() -> &'static Function {
    const ADD: &[u8] = &[
        0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // header
        0x01, 0x07, 0x01, 0x60, 0x02, 0x7f, 0x7f, 0x01, 0x7f, // type (i32, i32) -> i32
        0x03, 0x02, 0x01, 0x00, // one function of type 0
        0x07, 0x07, 0x01, 0x03, b'a', b'd', b'd', 0x00, 0x00, // export "add"
        0x0a, 0x09, 0x01, 0x07, 0x00, 0x20, 0x00, 0x20, 0x01, 0x6a, 0x0b, // code
    ];
    static ADD_FN: OnceLock<Function> = OnceLock::new();
    ADD_FN.get_or_init(|| {
        sandbox()
            .load_function(
                ADD,
                "add",
                &Signature::new([ValueType::Int4, ValueType::Int4], ValueType::Int4),
            )
            .expect("add loads")
    })
}

/// Which step an error came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Load,
    Export,
    Call,
}

/// Run the `sandbox` target on `data`; panics on a crash or a broken invariant.
pub fn check_sandbox(data: &[u8]) {
    let sb = sandbox();
    let module = match sb.load(data) {
        Ok(m) => m,
        Err(e) => {
            check_error(&e, Step::Load);
            return;
        }
    };
    let mut calls = 0;
    for name in module.exported_functions() {
        if calls >= MAX_CALLS {
            break;
        }
        // Probe with a signature to learn the export's wasm type.
        let probe = Signature::new([], ValueType::Int4);
        let found = match module.function(&name, &probe) {
            Ok(f) => {
                calls += call_twice(sb, &f, data.len());
                continue;
            }
            Err(SandboxError::WrongSignature { found, .. }) => found,
            Err(e) => panic!("exported function '{name}' refused with {e:?}"),
        };
        let Some((params, result)) = parse_wasm_type(&found) else {
            panic!("export '{name}': unreadable type '{found}'");
        };
        let Some(scalar) = scalar_signature(&params, &result) else {
            continue; // no SQL signature maps onto it (no result, v128, references...)
        };
        // The type the sandbox reported must be accepted back.
        let f = module.function(&name, &scalar).unwrap_or_else(|e| {
            panic!("export '{name}' of type {found} refused as {scalar:?}: {e}")
        });
        calls += call_twice(sb, &f, data.len());
        // Text and bytea through memory, when the type allows them.
        for varlena in varlena_signatures(&scalar) {
            match module.function(&name, &varlena) {
                Ok(f) => calls += call_twice(sb, &f, data.len()),
                Err(e) => check_error(&e, Step::Export),
            }
        }
    }
    // The sandbox is unaffected by whatever happened.
    assert_eq!(
        sb.call_once(add(), &[Arg::Int4(2), Arg::Int4(3)]),
        Ok(Value::Int4(5)),
        "the sandbox no longer runs a well-behaved function"
    );
}

/// Call `f` twice in one instance (a failed call discards the instance, so
/// the second call may instantiate afresh); returns the number of calls.
fn call_twice(sb: &Sandbox, f: &Function, seed: usize) -> usize {
    let text = "fuzz \u{e9}t\u{e9}";
    let bytes = [0u8, 1, 0xff, b'\n'];
    let args: Vec<Arg<'_>> = f
        .signature()
        .params
        .iter()
        .map(|t| match t {
            ValueType::Int2 => Arg::Int2(seed as i16),
            ValueType::Int4 => Arg::Int4(seed as i32),
            ValueType::Int8 => Arg::Int8(-(seed as i64)),
            ValueType::Float4 => Arg::Float4(seed as f32 / 3.0),
            ValueType::Float8 => Arg::Float8(f64::NAN),
            ValueType::Bool => Arg::Bool(seed.is_multiple_of(2)),
            ValueType::Text => Arg::Text(text),
            ValueType::Bytea => Arg::Bytea(&bytes),
            ValueType::Jsonb => Arg::Jsonb("{}"),
            ValueType::Numeric => Arg::Numeric("1.5"),
            ValueType::Array(_) => Arg::Null(*t),
        })
        .collect();
    let mut instance = sb.instantiate(f);
    for _ in 0..2 {
        let start = Instant::now();
        let result = instance.call(&args);
        let took = start.elapsed();
        assert!(
            took < HANG,
            "call of '{}' took {took:?} with a {MAX_TIME:?} time slice",
            f.name()
        );
        match result {
            Ok(v) => assert_eq!(
                v.value_type(),
                f.signature().result,
                "'{}' returned a value of the wrong type",
                f.name()
            ),
            Err(e) => check_error(&e, Step::Call),
        }
    }
    2
}

/// An error must be typed as expected for `step` and say something.
pub fn check_error(e: &SandboxError, step: Step) {
    use SandboxError::*;
    let message = e.to_string();
    assert!(!message.trim().is_empty(), "{e:?}: empty message");
    let detail = match e {
        BadEncoding(m)
        | InvalidWat(m)
        | Malformed(m)
        | Unsupported(m)
        | BadResult(m)
        | ResourceCountExceeded(m)
        | ModuleLimitExceeded(m)
        | BadArguments(m)
        | Engine(m) => Some(m.as_str()),
        MissingExport { name, reason } => {
            assert!(!name.is_empty(), "{e:?}: no export name");
            Some(reason.as_str())
        }
        WrongSignature {
            expected, found, ..
        } => {
            assert!(!found.is_empty(), "{e:?}: no type found");
            Some(expected.as_str())
        }
        _ => None,
    };
    if let Some(d) = detail {
        assert!(!d.trim().is_empty(), "{e:?}: empty detail");
    }
    let expected = match step {
        Step::Load => matches!(
            e,
            ModuleTooLarge { .. }
                | BadEncoding(_)
                | InvalidWat(_)
                | Malformed(_)
                | ForbiddenImport { .. }
                | Unsupported(_)
                | MemoryLimitExceeded { .. }
                | TableLimitExceeded { .. }
                | ResourceCountExceeded(_)
                | ModuleLimitExceeded(_)
                | CompileTimeLimitExceeded { .. }
        ),
        Step::Export => matches!(e, MissingExport { .. } | WrongSignature { .. }),
        Step::Call => matches!(
            e,
            BadResult(_)
                | MemoryLimitExceeded { .. }
                | TableLimitExceeded { .. }
                | ResourceCountExceeded(_)
                | TimeLimitExceeded { .. }
                | StackOverflow
                | Trap { .. }
                | ResultTooLarge { .. }
        ),
    };
    assert!(
        expected,
        "unexpected error while {step:?}: {e:?} ({message})"
    );
}

/// `(i32, i64) -> f32` (the sandbox's notation for a wasm function type)
/// into parameter type names and the result (`()`, one type, or `(a, b)`).
fn parse_wasm_type(s: &str) -> Option<(Vec<String>, String)> {
    let (params, result) = s.split_once(" -> ")?;
    let inner = params.strip_prefix('(')?.strip_suffix(')')?;
    let params = if inner.is_empty() {
        Vec::new()
    } else {
        inner.split(", ").map(str::to_string).collect()
    };
    Some((params, result.to_string()))
}

fn scalar(t: &str) -> Option<ValueType> {
    Some(match t {
        "i32" => ValueType::Int4,
        "i64" => ValueType::Int8,
        "f32" => ValueType::Float4,
        "f64" => ValueType::Float8,
        _ => return None,
    })
}

/// The SQL signature of numbers only that maps onto a wasm type, if any.
fn scalar_signature(params: &[String], result: &str) -> Option<Signature> {
    let params: Option<Vec<ValueType>> = params.iter().map(|p| scalar(p)).collect();
    Some(Signature::new(params?, scalar(result)?))
}

/// Variants of a scalar signature with text and bytea: the first
/// `(i32, i32)` parameter pair as text, an `i64` result as bytea.
fn varlena_signatures(s: &Signature) -> Vec<Signature> {
    let mut out = Vec::new();
    let pair = s
        .params
        .windows(2)
        .position(|w| w == [ValueType::Int4, ValueType::Int4]);
    if let Some(i) = pair {
        let mut params = s.params.clone();
        params.splice(i..i + 2, [ValueType::Text]);
        out.push(Signature::new(params.clone(), s.result));
        if s.result == ValueType::Int8 {
            out.push(Signature::new(params, ValueType::Bytea));
        }
    }
    if s.result == ValueType::Int8 {
        out.push(Signature::new(s.params.clone(), ValueType::Text));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wasm_types_parse() {
        let v = |l: &[&str]| l.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            parse_wasm_type("(i32, i64) -> f32"),
            Some((v(&["i32", "i64"]), "f32".to_string()))
        );
        assert_eq!(
            parse_wasm_type("() -> ()"),
            Some((v(&[]), "()".to_string()))
        );
        assert_eq!(parse_wasm_type("i32 -> i32"), None);
    }
}
