//! Shared helpers for the sandbox integration tests: corpus access and a
//! sandbox with test-friendly limits.

#![allow(dead_code)]

use std::path::PathBuf;
use std::time::Duration;

use extguard_sandbox::{Arg, CallLimits, Sandbox, SandboxConfig, Signature, Value, ValueType};

/// `corpus/wasm/` at the repository root.
pub fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../corpus/wasm")
}

/// The bytes of one corpus file.
pub fn corpus(name: &str) -> Vec<u8> {
    let path = corpus_dir().join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// A sandbox with a short time slice so hostile loops end quickly.
pub fn sandbox() -> Sandbox {
    sandbox_with(|_| {})
}

/// A sandbox with the test defaults, adjusted by `tweak`.
pub fn sandbox_with(tweak: impl FnOnce(&mut SandboxConfig)) -> Sandbox {
    let mut config = SandboxConfig {
        limits: CallLimits {
            max_time: Some(Duration::from_millis(200)),
            ..CallLimits::default()
        },
        ..SandboxConfig::default()
    };
    tweak(&mut config);
    Sandbox::new(config).expect("engine")
}

/// `int4` signature shorthand.
pub fn sig(params: &[ValueType], result: ValueType) -> Signature {
    Signature::new(params.to_vec(), result)
}

/// Proves the sandbox still works: loads add.wat and computes 2 + 3.
pub fn assert_still_works(sb: &Sandbox) {
    let add = sb
        .load_function(
            &corpus("add.wat"),
            "add",
            &sig(&[ValueType::Int4, ValueType::Int4], ValueType::Int4),
        )
        .expect("add.wat loads");
    assert_eq!(
        sb.call_once(&add, &[Arg::Int4(2), Arg::Int4(3)]),
        Ok(Value::Int4(5))
    );
}
