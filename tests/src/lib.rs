//! Shared helpers for end-to-end tests.

use std::path::PathBuf;
use std::process::Command;

/// The pg_config to ask: `$EXTGUARD_PG_CONFIG` (set by `make test-pg` for
/// each PostgreSQL version it tests), else the one on PATH.
pub fn pg_config_path() -> PathBuf {
    std::env::var_os("EXTGUARD_PG_CONFIG")
        .filter(|p| !p.is_empty())
        .map_or_else(|| PathBuf::from("pg_config"), PathBuf::from)
}

/// `pg_config ARG`, trimmed, or None when pg_config is missing or fails.
pub fn pg_config(arg: &str) -> Option<String> {
    let out = Command::new(pg_config_path()).arg(arg).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// The local PostgreSQL's extension directory (`$sharedir/extension`).
pub fn extension_dir() -> PathBuf {
    PathBuf::from(pg_config("--sharedir").expect("pg_config runs")).join("extension")
}

/// Major version reported by `pg_config --version` ("PostgreSQL 16.2" -> 16).
pub fn pg_major() -> Option<u32> {
    let v = pg_config("--version")?;
    v.strip_prefix("PostgreSQL ")?
        .split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}
pub mod pg;
