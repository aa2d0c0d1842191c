//! Compile-time containment figures (`make bench-wasm`): for each compile
//! bomb, what compiling it costs with no shape caps (the engine as it was)
//! against the default caps (refused before compiling); the worst module
//! the caps allow; compile time per MB of ordinary code; and how long a
//! cancel takes to stop the wait for a compile. Peak memory is the
//! process's peak RSS growth during that one compile (Linux only).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use extguard_sandbox::{bombs, CompileLimits, Sandbox, SandboxConfig, SandboxError};

fn rss_kb(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// Compiles `module` in a fresh sandbox; (time, peak RSS growth in MB, outcome).
fn measure(config: SandboxConfig, module: &[u8]) -> (Duration, u64, String) {
    let sb = Sandbox::new(config).expect("engine");
    // Reset the peak RSS counter (Linux: "5" to clear_refs).
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let base = rss_kb("VmRSS:");
    let started = Instant::now();
    let outcome = match sb.load(module) {
        Ok(m) => format!("compiled, {} kB of code", m.code_bytes() / 1024),
        Err(SandboxError::CompileTimeLimitExceeded { limit }) => {
            format!("still compiling after {limit:?}")
        }
        Err(e) => e.to_string().chars().take(70).collect(),
    };
    let took = started.elapsed();
    let peak = rss_kb("VmHWM:").saturating_sub(base) / 1024;
    (took, peak, outcome)
}

fn uncapped(limit: Duration) -> SandboxConfig {
    SandboxConfig {
        compile: CompileLimits {
            max_functions: u32::MAX,
            max_function_bytes: u32::MAX,
            max_locals: u32::MAX,
            max_nesting: u32::MAX,
            max_globals: 200_000,
            max_types: u32::MAX,
            max_segments: u32::MAX,
            max_exports: u32::MAX,
            max_control_work: u64::MAX,
        },
        max_compile_time: Some(limit),
        ..SandboxConfig::default()
    }
}

fn shape(name: &str) -> Vec<u8> {
    match name {
        "10k nested loops" => bombs::nested_loops(10_000),
        "30k nested loops" => bombs::nested_loops(30_000),
        "20k locals, all live" => bombs::many_locals(20_000),
        "1.3M nested blocks" => bombs::nested(0x02, 1_300_000, 1),
        "1M empty functions" => bombs::many_functions(1_000_000),
        other => panic!("unknown shape {other}"),
    }
}

const SHAPES: &[&str] = &[
    "10k nested loops",
    "30k nested loops",
    "20k locals, all live",
    "1.3M nested blocks",
    "1M empty functions",
];

fn main() {
    let limit = Duration::from_secs(
        std::env::var("WASM_BENCH_UNCAPPED_SECS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(20),
    );
    let args: Vec<String> = std::env::args().collect();
    // Child mode: one measurement per process, so a compile given up on
    // (still running on its thread) cannot slow or bloat the next one.
    if args.len() == 3 {
        let module = shape(&args[1]);
        let config = if args[2] == "uncapped" {
            uncapped(limit)
        } else {
            SandboxConfig::default()
        };
        let (t, m, o) = measure(config, &module);
        println!("{t:>10.2?} peak +{m:>4} MB ({o})");
        return;
    }
    println!("compile bombs: no caps (backstop {limit:?}) vs default caps");
    for what in SHAPES {
        let run = |mode: &str| {
            let out = std::process::Command::new(&args[0])
                .args([what, mode])
                .output()
                .expect("run child");
            String::from_utf8_lossy(&out.stdout).trim().to_string()
        };
        println!(
            "  {what:<22} {:>6} kB | no caps: {} | caps: {}",
            shape(what).len() / 1024,
            run("uncapped"),
            run("capped")
        );
    }
    // The worst shape found within the caps: one function of 3,800 loops
    // (just under the control-flow work limit).
    let worst = bombs::worst_within(1, 3_800 * 3 + 8, 3_800 * 3 + 12);
    let (t, m, o) = measure(
        SandboxConfig {
            max_compile_time: None,
            ..SandboxConfig::default()
        },
        &worst,
    );
    println!(
        "worst module found within the caps (one function of 3,800 loops, {} kB): {t:.2?}, peak +{m} MB ({o})",
        worst.len() / 1024
    );
    let ordinary = bombs::ordinary(1 << 20);
    let (t, m, o) = measure(SandboxConfig::default(), &ordinary);
    let mb = ordinary.len() as f64 / (1 << 20) as f64;
    println!(
        "ordinary code: {:.2?} per MB ({mb:.2} MB in {t:.2?}, peak +{m} MB, {o})",
        t.div_f64(mb)
    );

    // Cancel latency: a flag set 200 ms into compiling the worst module.
    let flag = Arc::new(AtomicBool::new(false));
    let check = flag.clone();
    let sb = Sandbox::new(SandboxConfig {
        max_compile_time: None,
        ..SandboxConfig::default()
    })
    .expect("engine");
    let setter = {
        let flag = flag.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(200));
            let at = Instant::now();
            flag.store(true, Ordering::SeqCst);
            at
        })
    };
    let result = sb.load_interruptible(&worst, &move || check.load(Ordering::SeqCst));
    let returned = Instant::now();
    let set_at = setter.join().unwrap();
    match result {
        Err(SandboxError::Interrupted) => println!(
            "cancel during compile: load returned {:.2?} after the flag was set",
            returned.duration_since(set_at)
        ),
        other => println!(
            "cancel during compile: compile ended first ({:?})",
            other.map(|_| ())
        ),
    }
}
