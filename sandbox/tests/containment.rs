//! Containment of hostile modules at compile time and across calls: shape
//! caps (compile bombs), interruptible and time-limited compiles, the
//! on-disk code cache, the memory budget of a pool, bounded results, and
//! deterministic proposals only.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::{assert_still_works, corpus, sandbox, sandbox_with, sig};
use extguard_sandbox::bombs;
use extguard_sandbox::ValueType::*;
use extguard_sandbox::{Arg, CallLimits, CompileLimits, Pool, SandboxError, Value};

fn limit_error(result: Result<extguard_sandbox::Module, SandboxError>, needle: &str) {
    match result {
        Err(SandboxError::ModuleLimitExceeded(m)) => assert!(m.contains(needle), "{m}"),
        other => panic!("expected ModuleLimitExceeded({needle}), got {other:?}"),
    }
}

#[test]
fn compile_bombs_are_refused_before_compiling() {
    let sb = sandbox();
    limit_error(sb.load(&bombs::nested_loops(10_000)), "nested blocks");
    limit_error(sb.load(&bombs::nested(0x02, 80_000, 1)), "nested blocks");
    limit_error(sb.load(&bombs::many_locals(20_000)), "locals");
    limit_error(sb.load(&bombs::many_functions(1_000_000)), "functions");
    limit_error(sb.load(&bombs::many_globals(300_000)), "globals");
    let err = sb.load(&bombs::many_globals(300_000)).unwrap_err();
    assert!(err.to_string().contains("too complex to compile"), "{err}");
    assert_still_works(&sb);
}

#[test]
fn modules_within_the_caps_compile() {
    let sb = sandbox();
    let caps = CompileLimits::default();
    for module in [
        bombs::nested_loops(caps.max_nesting as usize),
        bombs::many_locals(caps.max_locals),
        bombs::many_globals(caps.max_globals),
        bombs::many_functions(1000),
    ] {
        sb.load(&module).unwrap();
    }
    let f = sb
        .load_function(&bombs::many_locals(1000), "f", &sig(&[], Int4))
        .unwrap();
    // sum over i of (i & 63), i < 1000
    let expected: i32 = (0..1000).map(|i| i & 63).sum();
    assert_eq!(sb.call_once(&f, &[]), Ok(Value::Int4(expected)));
}

/// A module past the default caps that takes a while to compile.
fn slow_module() -> Vec<u8> {
    bombs::nested_loops(6_000)
}

fn uncapped(c: &mut extguard_sandbox::SandboxConfig) {
    c.compile.max_nesting = u32::MAX;
    c.compile.max_control_work = u64::MAX;
}

#[test]
fn a_cancel_stops_waiting_for_a_compile() {
    let cancel = Arc::new(AtomicBool::new(false));
    let sb = sandbox_with(|c| {
        uncapped(c);
        c.max_compile_time = None;
    });
    let setter = {
        let cancel = cancel.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(100));
            cancel.store(true, Ordering::SeqCst);
        })
    };
    let flag = cancel.clone();
    let started = std::time::Instant::now();
    let err = sb
        .load_interruptible(&slow_module(), &move || flag.load(Ordering::SeqCst))
        .unwrap_err();
    setter.join().unwrap();
    assert_eq!(err, SandboxError::Interrupted);
    // Returned while the compile goes on in the background; a later load
    // waits for it, and the sandbox keeps working.
    eprintln!("cancelled after {:?}", started.elapsed());
    assert_still_works(&sb);
}

#[test]
fn compile_time_limit_is_an_error() {
    let sb = sandbox_with(|c| {
        uncapped(c);
        c.max_compile_time = Some(Duration::from_millis(50));
    });
    let err = sb.load(&slow_module()).unwrap_err();
    assert_eq!(
        err,
        SandboxError::CompileTimeLimitExceeded {
            limit: Duration::from_millis(50)
        }
    );
    assert!(err.to_string().contains("compile time limit"), "{err}");
}

#[test]
fn compiled_code_is_shared_through_a_private_cache_directory() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let one = sandbox_with(|c| c.cache_dir = Some(cache.clone()));
    let add = one
        .load_function(&corpus("add.wat"), "add", &sig(&[Int4, Int4], Int4))
        .unwrap();
    let files: Vec<_> = std::fs::read_dir(&cache).unwrap().collect();
    assert_eq!(files.len(), 1, "one compiled module on disk");
    let file = files[0].as_ref().unwrap().path();
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&cache).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o700, "cache directory is private");
    assert_eq!(one.disk_cache_status().unwrap(), cache);
    drop(add);

    // Another process (here: sandbox) with the same engine loads it.
    let two = sandbox_with(|c| c.cache_dir = Some(cache.clone()));
    let add = two
        .load_function(&corpus("add.wat"), "add", &sig(&[Int4, Int4], Int4))
        .unwrap();
    assert_eq!(
        two.call_once(&add, &[Arg::Int4(2), Arg::Int4(40)]),
        Ok(Value::Int4(42))
    );

    // A damaged file fails its digest and the module is compiled again.
    let mut bytes = std::fs::read(&file).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    std::fs::write(&file, &bytes).unwrap();
    let three = sandbox_with(|c| c.cache_dir = Some(cache.clone()));
    let add = three
        .load_function(&corpus("add.wat"), "add", &sig(&[Int4, Int4], Int4))
        .unwrap();
    assert_eq!(
        three.call_once(&add, &[Arg::Int4(1), Arg::Int4(1)]),
        Ok(Value::Int4(2))
    );

    // A directory others can write to is never trusted.
    std::fs::set_permissions(&cache, std::fs::Permissions::from_mode(0o777)).unwrap();
    let four = sandbox_with(|c| c.cache_dir = Some(cache.clone()));
    let why = four.disk_cache_status().unwrap_err();
    assert!(why.contains("writable by others"), "{why}");
    assert_still_works(&four);
}

#[test]
fn relaxed_simd_is_refused() {
    let sb = sandbox();
    let wat = r#"(module (func (export "f") (result i32)
        (i32x4.extract_lane 0 (i32x4.relaxed_trunc_f32x4_s (v128.const f32x4 1 2 3 4)))))"#;
    let err = sb.load(wat.as_bytes()).unwrap_err();
    assert!(matches!(err, SandboxError::Malformed(_)), "{err:?}");
    assert!(err.to_string().contains("relaxed"), "{err}");
}

#[test]
fn nan_results_are_canonical() {
    let sb = sandbox();
    let wat = r#"(module (func (export "f") (result f32)
        (f32.div (f32.const 0) (f32.const 0))))"#;
    let f = sb
        .load_function(wat.as_bytes(), "f", &sig(&[], Float4))
        .unwrap();
    match sb.call_once(&f, &[]) {
        Ok(Value::Float4(v)) => assert_eq!(v.to_bits(), 0x7fc0_0000, "{:#x}", v.to_bits()),
        other => panic!("{other:?}"),
    }
}

#[test]
fn guest_names_in_trap_details_are_one_bounded_line() {
    let sb = sandbox();
    let name = format!("f\nEXTGUARD_AUDIT {{\"seq\":1}}\r\n{}", "x".repeat(2 << 20));
    let f = sb
        .load_function(&bombs::trap_named(&name), "f", &sig(&[], Int4))
        .unwrap();
    let err = sb.call_once(&f, &[]).unwrap_err();
    let SandboxError::Trap { message, .. } = &err else {
        panic!("{err:?}")
    };
    for text in [message.as_str(), &err.to_string()] {
        assert!(!text.contains('\n') && !text.contains('\r'), "{text}");
        assert!(!text.contains("EXTGUARD_AUDIT"), "{text}");
        assert!(text.len() < 2000, "{} bytes", text.len());
    }
    assert!(message.contains("EXTGUARD-AUDIT(guest)"), "{message}");
}

#[test]
fn a_result_past_the_varlena_limit_is_refused_cleanly() {
    let sb = sandbox();
    // (ptr 0, len 0x7fffffff) as text
    let wat = r#"(module (memory (export "memory") 1)
        (func (export "f") (result i64) (i64.const 0x7fffffff)))"#;
    let f = sb
        .load_function(wat.as_bytes(), "f", &sig(&[], Text))
        .unwrap();
    let err = sb.call_once(&f, &[]).unwrap_err();
    assert!(
        matches!(err, SandboxError::ResultTooLarge { .. }),
        "{err:?}"
    );
}

const GROWER: &str = r#"(module (memory (export "memory") 1)
    (func (export "f") (param i32) (result i32)
        (drop (memory.grow (local.get 0))) (memory.size)))"#;

#[test]
fn a_pool_stays_within_its_budget() {
    let sb = sandbox_with(|c| c.max_cached_code_bytes = 64 << 20);
    let budget = 12u64 << 20;
    let mut pool: Pool<u32, ()> = Pool::new(sb.clone(), budget);
    let limits = CallLimits {
        max_memory_bytes: 4 << 20,
        ..CallLimits::default()
    };
    for i in 0..200u32 {
        // A different module each time (so code is counted per module).
        let wat = GROWER.replace(
            "(memory.size)",
            &format!("(i32.add (memory.size) (i32.const {i}))"),
        );
        let f = sb
            .load_function(wat.as_bytes(), "f", &sig(&[Int4], Int4))
            .unwrap();
        pool.insert(i, &f, ());
        // grow to 2 MiB (32 pages)
        assert_eq!(
            pool.call(&i, &[Arg::Int4(31)], limits),
            Ok(Value::Int4(32 + i as i32))
        );
        assert!(
            pool.used_bytes() <= budget,
            "{} > {budget}",
            pool.used_bytes()
        );
    }
    assert!(pool.len() < 10, "{} instances kept", pool.len());
    // One instance may not take more than the budget, even below its own
    // per-instance limit.
    let f = sb
        .load_function(GROWER.as_bytes(), "f", &sig(&[Int4], Int4))
        .unwrap();
    pool.insert(1000, &f, ());
    let err = pool
        .call(
            &1000,
            &[Arg::Int4(250)],
            CallLimits {
                max_memory_bytes: 64 << 20,
                ..limits
            },
        )
        .unwrap_err();
    assert!(
        matches!(err, SandboxError::MemoryBudgetExceeded { .. }),
        "{err:?}"
    );
    pool.clear();
    assert_eq!(pool.len(), 0);
    assert_eq!(sb.cached_modules(), 0);
}
