//! Shared helpers for end-to-end tests.

use std::path::PathBuf;
use std::process::Command;

/// `pg_config ARG`, trimmed, or None when pg_config is missing or fails.
pub fn pg_config(arg: &str) -> Option<String> {
    let out = Command::new("pg_config").arg(arg).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// The local PostgreSQL's extension directory (`$sharedir/extension`).
pub fn extension_dir() -> PathBuf {
    PathBuf::from(pg_config("--sharedir").expect("pg_config runs")).join("extension")
}
pub mod pg;
pub mod wasm;
