//! Sandbox-level benchmark: per-call overhead, fresh-instance cost, a
//! compute-bound loop against the same loop in Rust, and how fast an
//! interrupt stops a spinning module. Run with `make bench-wasm` (or
//! `cargo run -p extguard-sandbox --example bench_calls`).

use std::hint::black_box;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use extguard_sandbox::{Arg, Sandbox, SandboxConfig, Signature, Value, ValueType::*};

fn corpus(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../corpus/wasm")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn per_call(n: u32, mut f: impl FnMut()) -> Duration {
    for _ in 0..n / 10 {
        f();
    }
    let start = Instant::now();
    for _ in 0..n {
        f();
    }
    start.elapsed() / n
}

fn main() {
    let cancel = Arc::new(AtomicBool::new(false));
    let flag = cancel.clone();
    let sb = Sandbox::new(SandboxConfig {
        interrupt_check: Some(Arc::new(move || flag.load(Ordering::Relaxed))),
        ..SandboxConfig::default()
    })
    .expect("engine");

    let add = sb
        .load_function(
            &corpus("add.wat"),
            "add",
            &Signature::new([Int4, Int4], Int4),
        )
        .unwrap();
    let mut inst = sb.instantiate(&add);
    let mut i = 0i32;
    let reused = per_call(1_000_000, || {
        i = i.wrapping_add(1);
        black_box(inst.call(&[Arg::Int4(i), Arg::Int4(1)]).unwrap());
    });
    println!(
        "add(int4,int4), reused instance:  {:>8.0} ns/call",
        reused.as_nanos() as f64
    );

    let fresh = per_call(20_000, || {
        black_box(sb.call_once(&add, &[Arg::Int4(1), Arg::Int4(2)]).unwrap());
    });
    println!(
        "add(int4,int4), fresh instance:   {:>8.0} ns/call",
        fresh.as_nanos() as f64
    );

    let load = per_call(100_000, || {
        black_box(sb.load(&corpus("add.wat")).unwrap());
    });
    println!(
        "load add.wat (read+parse WAT, cache hit): {:>8.0} ns",
        load.as_nanos() as f64
    );

    let reverse = sb
        .load_function(
            &corpus("reverse.wat"),
            "reverse",
            &Signature::new([Text], Text),
        )
        .unwrap();
    let mut rinst = sb.instantiate(&reverse);
    let text = "abcdefghij".repeat(10);
    let rev = per_call(200_000, || {
        black_box(rinst.call(&[Arg::Text(&text)]).unwrap());
    });
    println!(
        "reverse(100-byte text), reused:   {:>8.0} ns/call",
        rev.as_nanos() as f64
    );

    let sum = sb
        .load_function(&corpus("sum.wat"), "sum", &Signature::new([Int8], Int8))
        .unwrap();
    let mut sinst = sb.instantiate(&sum);
    let n = 1_000_000i64;
    let wasm = per_call(50, || {
        assert_eq!(
            sinst.call(&[Arg::Int8(black_box(n))]).unwrap(),
            Value::Int8(n * (n + 1) / 2)
        );
    });
    let native = per_call(50, || {
        let mut acc = 0i64;
        let mut k = 0i64;
        while k < black_box(n) {
            k += 1;
            acc = black_box(acc + k);
        }
        black_box(acc);
    });
    println!(
        "sum(1..1e6): wasm {:.2} ms, Rust {:.2} ms (ratio wasm/Rust {:.2})",
        wasm.as_secs_f64() * 1e3,
        native.as_secs_f64() * 1e3,
        wasm.as_secs_f64() / native.as_secs_f64()
    );

    let spin = sb
        .load_function(
            &corpus("hostile_infinite_loop.wat"),
            "spin",
            &Signature::new([], Int4),
        )
        .unwrap();
    let mut worst = Duration::ZERO;
    for _ in 0..10 {
        cancel.store(false, Ordering::SeqCst);
        let setter = {
            let cancel = cancel.clone();
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(30));
                let at = Instant::now();
                cancel.store(true, Ordering::SeqCst);
                at
            })
        };
        let err = sb.call_once(&spin, &[]).unwrap_err();
        let stopped = Instant::now();
        let set_at = setter.join().unwrap();
        assert_eq!(err.to_string(), "wasm function interrupted");
        worst = worst.max(stopped.duration_since(set_at));
    }
    println!(
        "interrupt latency (10 runs, tick {:?}): worst {:.1} ms",
        sb.config().epoch_tick,
        worst.as_secs_f64() * 1e3
    );
}
