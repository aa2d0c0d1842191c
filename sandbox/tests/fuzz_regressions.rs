//! Every input under `corpus/fuzz-regressions/sandbox/` goes through the
//! checks of fuzz target `sandbox` (`tests/fuzz_support/`, shared with
//! `fuzz/`): what once crashed the fuzzer stays fixed. The analyzer's
//! targets are replayed by the analyzer's own `fuzz_regressions` test; this
//! one lives here so the analyzer does not depend on the sandbox.

mod fuzz_support;

use std::path::{Path, PathBuf};

/// The regression inputs of the `sandbox` target (none is fine), sorted.
fn regression_inputs() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../corpus/fuzz-regressions/sandbox");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file() && p.file_name().is_some_and(|n| n != "README.md"))
        .collect();
    files.sort();
    files
}

#[test]
fn fuzz_regressions_pass_the_sandbox_target_checks() {
    let mut failed = Vec::new();
    for path in regression_inputs() {
        let data = std::fs::read(&path).unwrap();
        let run = std::panic::catch_unwind(|| fuzz_support::check_sandbox(&data));
        if run.is_err() {
            failed.push(path.display().to_string());
        }
    }
    assert!(failed.is_empty(), "failing target sandbox: {failed:?}");
}

/// The check itself catches what it is meant to: a well-behaved module, an
/// infinite loop, a memory grower and garbage all pass; the shared sandbox
/// keeps working between them.
#[test]
fn the_sandbox_check_accepts_well_behaved_and_hostile_modules() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../corpus/wasm");
    for name in [
        "add.wat",
        "reverse.wat",
        "hostile_infinite_loop.wat",
        "hostile_memory_grow.wat",
        "hostile_recursion.wat",
        "malformed_truncated.wat",
    ] {
        let data = std::fs::read(corpus.join(name)).unwrap();
        fuzz_support::check_sandbox(&data);
    }
    fuzz_support::check_sandbox(b"");
    fuzz_support::check_sandbox(b"\0asm\x01\0\0\0\x01");
}

/// `fuzz/seeds/sandbox/NAME.wasm` is `corpus/wasm/NAME.wat` in binary, for
/// every module there that assembles (the fuzzer mutates binaries far
/// better than text). `UPDATE_SEEDS=1` rewrites them.
#[test]
fn sandbox_seeds_are_the_corpus_modules_in_binary() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let seeds = root.join("fuzz/seeds/sandbox");
    let update = std::env::var_os("UPDATE_SEEDS").is_some();
    let mut wanted = Vec::new();
    for entry in std::fs::read_dir(root.join("corpus/wasm")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "wat") {
            continue;
        }
        let Ok(binary) = wat::parse_file(&path) else {
            continue;
        };
        let name = format!("{}.wasm", path.file_stem().unwrap().to_string_lossy());
        if update {
            std::fs::create_dir_all(&seeds).unwrap();
            std::fs::write(seeds.join(&name), &binary).unwrap();
        }
        let seed = std::fs::read(seeds.join(&name)).unwrap_or_default();
        assert!(
            seed == binary,
            "fuzz/seeds/sandbox/{name} is not corpus/wasm in binary: UPDATE_SEEDS=1 cargo test -p extguard-sandbox --test fuzz_regressions"
        );
        wanted.push(name);
    }
    let mut present: Vec<String> = std::fs::read_dir(&seeds)
        .map(|d| {
            d.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    present.sort();
    wanted.sort();
    assert_eq!(present, wanted, "stale seeds in fuzz/seeds/sandbox");
    assert!(wanted.len() >= 10, "only {} corpus modules", wanted.len());
}
