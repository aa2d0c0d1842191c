//! The hostile-module battery (corpus/wasm/hostile_*, malformed_*, and a
//! generated 50 MB module). Each case must end in a clear, typed error, and
//! the same sandbox must then run a well-behaved call.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::{assert_still_works, corpus, sandbox, sandbox_with, sig};
use extguard_sandbox::ValueType::*;
use extguard_sandbox::{Arg, CallLimits, SandboxError, TrapKind, Value};

#[test]
fn infinite_loop_stops_at_time_limit() {
    let sb = sandbox();
    let f = sb
        .load_function(
            &corpus("hostile_infinite_loop.wat"),
            "spin",
            &sig(&[], Int4),
        )
        .unwrap();
    let err = sb.call_once(&f, &[]).unwrap_err();
    assert_eq!(
        err,
        SandboxError::TimeLimitExceeded {
            limit: Duration::from_millis(200)
        }
    );
    assert!(err.to_string().contains("time limit"), "{err}");
    assert_still_works(&sb);
}

#[test]
fn infinite_loop_stops_on_interrupt_check() {
    let cancel = Arc::new(AtomicBool::new(false));
    let flag = cancel.clone();
    let sb = sandbox_with(|c| {
        // A long backstop: only the interrupt check should stop the loop.
        c.limits.max_time = Some(Duration::from_secs(60));
        c.interrupt_check = Some(Arc::new(move || flag.load(Ordering::SeqCst)));
    });
    let f = sb
        .load_function(
            &corpus("hostile_infinite_loop.wat"),
            "spin",
            &sig(&[], Int4),
        )
        .unwrap();
    let setter = {
        let cancel = cancel.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(50));
            cancel.store(true, Ordering::SeqCst);
        })
    };
    let err = sb.call_once(&f, &[]).unwrap_err();
    setter.join().unwrap();
    assert_eq!(err, SandboxError::Interrupted);
    cancel.store(false, Ordering::SeqCst);
    assert_still_works(&sb);
}

#[test]
fn infinite_loop_in_start_function_stops() {
    let sb = sandbox();
    let f = sb
        .load_function(&corpus("hostile_start_loop.wat"), "f", &sig(&[], Int4))
        .unwrap();
    let err = sb.call_once(&f, &[]).unwrap_err();
    assert!(
        matches!(err, SandboxError::TimeLimitExceeded { .. }),
        "{err:?}"
    );
    assert_still_works(&sb);
}

#[test]
fn instruction_limit_stops_loop_when_fuel_is_on() {
    let sb = sandbox_with(|c| {
        c.fuel_metering = true;
        c.limits.max_instructions = Some(1_000_000);
        c.limits.max_time = Some(Duration::from_secs(60));
    });
    let f = sb
        .load_function(
            &corpus("hostile_infinite_loop.wat"),
            "spin",
            &sig(&[], Int4),
        )
        .unwrap();
    assert_eq!(
        sb.call_once(&f, &[]),
        Err(SandboxError::InstructionLimitExceeded { limit: 1_000_000 })
    );
    // The budget is per call: a short computation still fits.
    let sum = sb
        .load_function(&corpus("sum.wat"), "sum", &sig(&[Int8], Int8))
        .unwrap();
    assert_eq!(
        sb.call_once(&sum, &[Arg::Int8(1000)]),
        Ok(Value::Int8(500500))
    );
    assert_still_works(&sb);
}

#[test]
fn memory_growth_past_cap_is_stopped() {
    let sb = sandbox_with(|c| c.limits.max_memory_bytes = 4 << 20);
    let f = sb
        .load_function(&corpus("hostile_memory_grow.wat"), "grow", &sig(&[], Int4))
        .unwrap();
    let err = sb.call_once(&f, &[]).unwrap_err();
    assert_eq!(
        err,
        SandboxError::MemoryLimitExceeded {
            requested: (4 << 20) + 65536,
            limit: 4 << 20
        }
    );
    assert!(err.to_string().contains("memory limit"), "{err}");
    assert_still_works(&sb);
}

#[test]
fn memory_limit_can_change_between_calls() {
    let sb = sandbox();
    let f = sb
        .load_function(&corpus("hostile_memory_grow.wat"), "grow", &sig(&[], Int4))
        .unwrap();
    let mut instance = sb.instantiate(&f);
    instance.set_limits(CallLimits {
        max_memory_bytes: 1 << 20,
        ..instance.limits()
    });
    assert!(matches!(
        instance.call(&[]),
        Err(SandboxError::MemoryLimitExceeded {
            limit: 1_048_576,
            ..
        })
    ));
}

#[test]
fn memory_declared_past_cap_is_rejected_at_load() {
    let sb = sandbox();
    let err = sb.load(&corpus("hostile_memory_declared.wat")).unwrap_err();
    assert_eq!(
        err,
        SandboxError::MemoryLimitExceeded {
            requested: 65535 * 65536,
            limit: 16 << 20
        }
    );
    assert_still_works(&sb);
}

#[test]
fn deep_recursion_is_a_stack_overflow() {
    let sb = sandbox();
    let f = sb
        .load_function(
            &corpus("hostile_recursion.wat"),
            "recurse",
            &sig(&[Int4], Int4),
        )
        .unwrap();
    let err = sb.call_once(&f, &[Arg::Int4(0)]).unwrap_err();
    assert_eq!(err, SandboxError::StackOverflow);
    assert!(err.to_string().contains("stack"), "{err}");
    assert_still_works(&sb);
}

#[test]
fn huge_table_is_rejected_at_load() {
    let sb = sandbox();
    let err = sb.load(&corpus("hostile_table_declared.wat")).unwrap_err();
    assert_eq!(
        err,
        SandboxError::TableLimitExceeded {
            requested: 100_000_000,
            limit: 10_000
        }
    );
    assert_still_works(&sb);
}

#[test]
fn table_growth_past_cap_is_stopped() {
    let sb = sandbox();
    let f = sb
        .load_function(&corpus("hostile_table_grow.wat"), "grow", &sig(&[], Int4))
        .unwrap();
    let err = sb.call_once(&f, &[]).unwrap_err();
    assert_eq!(
        err,
        SandboxError::TableLimitExceeded {
            requested: 100_001,
            limit: 10_000
        }
    );
    assert_still_works(&sb);
}

#[test]
fn wasi_import_is_forbidden_and_named() {
    let sb = sandbox();
    let err = sb.load(&corpus("hostile_wasi_import.wat")).unwrap_err();
    assert_eq!(
        err,
        SandboxError::ForbiddenImport {
            module: "wasi_snapshot_preview1".into(),
            name: "fd_write".into(),
            kind: "function"
        }
    );
    assert!(
        err.to_string()
            .contains("\"wasi_snapshot_preview1\".\"fd_write\""),
        "{err}"
    );
    assert_still_works(&sb);
}

#[test]
fn env_function_import_is_forbidden() {
    let sb = sandbox();
    assert_eq!(
        sb.load(&corpus("hostile_env_import.wat")).unwrap_err(),
        SandboxError::ForbiddenImport {
            module: "env".into(),
            name: "system".into(),
            kind: "function"
        }
    );
    assert_still_works(&sb);
}

#[test]
fn env_memory_import_is_forbidden() {
    let sb = sandbox();
    assert_eq!(
        sb.load(&corpus("hostile_env_memory_import.wat"))
            .unwrap_err(),
        SandboxError::ForbiddenImport {
            module: "env".into(),
            name: "memory".into(),
            kind: "memory"
        }
    );
    assert_still_works(&sb);
}

#[test]
fn malformed_binaries_from_corpus_are_rejected() {
    let sb = sandbox();
    for name in [
        "malformed_truncated.wat",
        "malformed_bad_version.wat",
        "malformed_invalid_code.wat",
    ] {
        match sb.load(&corpus(name)) {
            Err(SandboxError::Malformed(msg)) => assert!(!msg.is_empty(), "{name}"),
            other => panic!("{name}: expected Malformed, got {other:?}"),
        }
    }
    assert_still_works(&sb);
}

#[test]
fn malformed_inputs_are_rejected_with_clear_errors() {
    let sb = sandbox();
    // Garbage bytes that are not UTF-8.
    assert!(matches!(
        sb.load(&[0xff, 0x00, 0x13, 0x37]),
        Err(SandboxError::BadEncoding(_))
    ));
    // Empty source.
    assert!(matches!(sb.load(b""), Err(SandboxError::BadEncoding(_))));
    // WAT with a syntax error: the message points at the line.
    match sb.load(b"(module\n  (func (export \"f\") (result i32) (i32.const)))") {
        Err(SandboxError::InvalidWat(msg)) => assert!(msg.contains("2:"), "{msg}"),
        other => panic!("expected InvalidWat, got {other:?}"),
    }
    // Not base64.
    assert!(matches!(
        sb.load(b"this is not a module"),
        Err(SandboxError::BadEncoding(_))
    ));
    // Valid base64 of something that is not wasm.
    assert!(matches!(
        sb.load(b"aGVsbG8gd29ybGQ="),
        Err(SandboxError::BadEncoding(m)) if m.contains("not a wasm module")
    ));
    // Magic only, no version.
    assert!(matches!(sb.load(b"\0asm"), Err(SandboxError::Malformed(_))));
    // A component is not a core module.
    assert!(matches!(
        sb.load(b"\0asm\x0d\x00\x01\x00"),
        Err(SandboxError::Unsupported(_) | SandboxError::Malformed(_))
    ));
    assert_still_works(&sb);
}

/// A syntactically valid module of about `size` bytes: a header and one
/// custom section of filler.
fn big_module(size: usize) -> Vec<u8> {
    let mut m = b"\0asm\x01\x00\x00\x00".to_vec();
    let name = b"filler";
    let payload = size - m.len() - 6 - 1 - name.len();
    let section_len = 1 + name.len() + payload;
    m.push(0); // custom section
    let mut n = section_len as u32;
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            m.push(byte);
            break;
        }
        m.push(byte | 0x80);
    }
    m.push(name.len() as u8);
    m.extend_from_slice(name);
    m.resize(m.len() + payload, 0);
    m
}

#[test]
fn module_of_50_mb_is_rejected_before_parsing() {
    let sb = sandbox();
    let module = big_module(50 << 20);
    let err = sb.load(&module).unwrap_err();
    assert_eq!(
        err,
        SandboxError::ModuleTooLarge {
            size: module.len(),
            limit: 4 << 20
        }
    );
    assert!(err.to_string().contains("too large"), "{err}");
    // The same module in base64 is rejected on its text size.
    use base64::Engine as _;
    let text = base64::engine::general_purpose::STANDARD.encode(&module);
    assert!(matches!(
        sb.load(text.as_bytes()),
        Err(SandboxError::ModuleTooLarge { .. })
    ));
    // A 3 MB module passes the size check (custom sections are harmless).
    let ok = big_module(3 << 20);
    assert!(sb.load(&ok).is_ok());
    assert_still_works(&sb);
}

#[test]
fn division_by_zero_traps() {
    let sb = sandbox();
    let f = sb
        .load_function(
            &corpus("hostile_div_zero.wat"),
            "div",
            &sig(&[Int4, Int4], Int4),
        )
        .unwrap();
    assert_eq!(
        sb.call_once(&f, &[Arg::Int4(7), Arg::Int4(2)]),
        Ok(Value::Int4(3))
    );
    let err = sb.call_once(&f, &[Arg::Int4(7), Arg::Int4(0)]).unwrap_err();
    assert!(
        matches!(
            err,
            SandboxError::Trap {
                kind: TrapKind::DivisionByZero,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "wasm function trapped: integer division by zero"
    );
    assert!(matches!(
        sb.call_once(&f, &[Arg::Int4(i32::MIN), Arg::Int4(-1)]),
        Err(SandboxError::Trap {
            kind: TrapKind::IntegerOverflow,
            ..
        })
    ));
    assert_still_works(&sb);
}

#[test]
fn unreachable_traps() {
    let sb = sandbox();
    let f = sb
        .load_function(&corpus("hostile_unreachable.wat"), "boom", &sig(&[], Int4))
        .unwrap();
    let err = sb.call_once(&f, &[]).unwrap_err();
    match &err {
        SandboxError::Trap {
            kind: TrapKind::Unreachable,
            message,
        } => assert!(message.contains("unreachable"), "{message}"),
        other => panic!("expected unreachable trap, got {other:?}"),
    }
    assert_still_works(&sb);
}

#[test]
fn result_pointer_outside_memory_is_refused() {
    let sb = sandbox();
    let f = sb
        .load_function(
            &corpus("hostile_bad_result_pointer.wat"),
            "leak",
            &sig(&[], Text),
        )
        .unwrap();
    match sb.call_once(&f, &[]) {
        Err(SandboxError::BadResult(msg)) => assert!(msg.contains("outside"), "{msg}"),
        other => panic!("expected BadResult, got {other:?}"),
    }
    assert_still_works(&sb);
}

#[test]
fn alloc_pointer_outside_memory_is_refused() {
    let sb = sandbox();
    let f = sb
        .load_function(&corpus("hostile_bad_alloc.wat"), "len", &sig(&[Text], Int4))
        .unwrap();
    // 6 bytes fit at 65530 (ending exactly at the end of memory); 7 do not.
    assert_eq!(sb.call_once(&f, &[Arg::Text("123456")]), Ok(Value::Int4(6)));
    match sb.call_once(&f, &[Arg::Text("1234567")]) {
        Err(SandboxError::BadResult(msg)) => assert!(msg.contains("alloc(7)"), "{msg}"),
        other => panic!("expected BadResult, got {other:?}"),
    }
    assert_still_works(&sb);
}

#[test]
fn invalid_utf8_text_result_is_refused() {
    let sb = sandbox();
    let f = sb
        .load_function(
            &corpus("hostile_invalid_utf8.wat"),
            "bad_text",
            &sig(&[], Text),
        )
        .unwrap();
    assert!(matches!(
        sb.call_once(&f, &[]),
        Err(SandboxError::BadResult(m)) if m.contains("UTF-8")
    ));
    // The same bytes are a fine bytea.
    let f = sb
        .load_function(
            &corpus("hostile_invalid_utf8.wat"),
            "bad_text",
            &sig(&[], Bytea),
        )
        .unwrap();
    assert_eq!(
        sb.call_once(&f, &[]),
        Ok(Value::Bytea(vec![0xff, 0xfe, 0xfd]))
    );
}

#[test]
fn wrong_signature_names_both_types() {
    let sb = sandbox();
    let err = sb
        .load_function(
            &corpus("wrong_signature.wat"),
            "add",
            &sig(&[Int4, Int4], Int4),
        )
        .unwrap_err();
    assert_eq!(
        err,
        SandboxError::WrongSignature {
            name: "add".into(),
            expected: "(i32, i32) -> i32".into(),
            found: "(i64, i64) -> i64".into()
        }
    );
    // The same export does fit (int8, int8) -> int8.
    assert!(sb
        .load_function(
            &corpus("wrong_signature.wat"),
            "add",
            &sig(&[Int8, Int8], Int8)
        )
        .is_ok());
}

#[test]
fn missing_exports_are_named() {
    let sb = sandbox();
    let err = sb
        .load_function(&corpus("add.wat"), "sub", &sig(&[Int4, Int4], Int4))
        .unwrap_err();
    assert!(
        matches!(&err, SandboxError::MissingExport { name, .. } if name == "sub"),
        "{err:?}"
    );
    // A text function needs memory and alloc. add's (i32, i32) -> i32 has
    // the wasm type of f(text) -> int4, but there is no memory.
    let err = sb
        .load_function(&corpus("add.wat"), "add", &sig(&[Text], Int4))
        .unwrap_err();
    assert!(
        matches!(&err, SandboxError::MissingExport { name, .. } if name == "memory"),
        "{err:?}"
    );
    let err = sb
        .load_function(
            b"(module (memory (export \"memory\") 1) (func (export \"f\") (param i32 i32) (result i32) (i32.const 0)))",
            "f",
            &sig(&[Text], Int4),
        )
        .unwrap_err();
    assert!(
        matches!(&err, SandboxError::MissingExport { name, .. } if name == "alloc"),
        "{err:?}"
    );
}

#[test]
fn int2_result_out_of_range_is_refused() {
    let sb = sandbox();
    let f = sb
        .load_function(&corpus("types.wat"), "int2_overflow", &sig(&[], Int2))
        .unwrap();
    assert!(matches!(
        sb.call_once(&f, &[]),
        Err(SandboxError::BadResult(m)) if m.contains("smallint")
    ));
}

#[test]
fn arguments_must_match_the_signature() {
    let sb = sandbox();
    let f = sb
        .load_function(&corpus("add.wat"), "add", &sig(&[Int4, Int4], Int4))
        .unwrap();
    assert!(matches!(
        sb.call_once(&f, &[Arg::Int4(1)]),
        Err(SandboxError::BadArguments(_))
    ));
    assert!(matches!(
        sb.call_once(&f, &[Arg::Int4(1), Arg::Int8(2)]),
        Err(SandboxError::BadArguments(m)) if m.contains("argument 2")
    ));
}

/// Every file in corpus/wasm is exercised by some test: hostile and
/// malformed ones above, the rest in fixtures.rs. Adding a file without a
/// test fails here.
#[test]
fn every_corpus_file_is_covered() {
    let covered = [
        "add.wat",
        "sum.wat",
        "hash.wat",
        "reverse.wat",
        "jsonb_field_count.wat",
        "types.wat",
        "counter.wat",
        "wrong_signature.wat",
        "hostile_infinite_loop.wat",
        "hostile_start_loop.wat",
        "hostile_memory_grow.wat",
        "hostile_memory_declared.wat",
        "hostile_recursion.wat",
        "hostile_table_declared.wat",
        "hostile_table_grow.wat",
        "hostile_wasi_import.wat",
        "hostile_env_import.wat",
        "hostile_env_memory_import.wat",
        "hostile_div_zero.wat",
        "hostile_unreachable.wat",
        "hostile_bad_result_pointer.wat",
        "hostile_bad_alloc.wat",
        "hostile_invalid_utf8.wat",
        "malformed_truncated.wat",
        "malformed_bad_version.wat",
        "malformed_invalid_code.wat",
        // tests/abi_v2.rs, tests/abi_v3.rs, tests/host.rs, tests/raise.rs
        "raise.wat",
        "abi2.wat",
        "abi4.wat",
        "spi.wat",
    ];
    let mut files: Vec<String> = std::fs::read_dir(common::corpus_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".wat") || n.ends_with(".wasm"))
        .collect();
    files.sort();
    let mut expected: Vec<String> = covered.iter().map(|s| s.to_string()).collect();
    expected.sort();
    assert_eq!(files, expected);
}
