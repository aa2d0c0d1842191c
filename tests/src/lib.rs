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

/// `shared/corpus/fetch-debian.sh` beside the checkout (CI: `../shared`
/// from the repository root) or beside one of its parent directories
/// (worktrees); `EXTGUARD_FETCH_DEBIAN` overrides.
fn fetch_script() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("EXTGUARD_FETCH_DEBIAN") {
        return Some(PathBuf::from(p));
    }
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .canonicalize()
        .ok()?;
    root.ancestors()
        .map(|a| a.join("shared/corpus/fetch-debian.sh"))
        .find(|p| p.is_file())
}

/// Can Debian's package registry be reached at all?
fn registry_reachable() -> bool {
    use std::net::{TcpStream, ToSocketAddrs};
    let Ok(addrs) = ("deb.debian.org", 80).to_socket_addrs() else {
        return false;
    };
    addrs
        .into_iter()
        .any(|a| TcpStream::connect_timeout(&a, std::time::Duration::from_secs(5)).is_ok())
}

/// The tree of the 40 Debian extension packages (one directory each),
/// fetched (never installed) by `shared/corpus/fetch-debian.sh` into a
/// directory of its own under the temp dir; the script's .deb cache is
/// shared with its other uses. None, after printing why, only when
/// Debian's package registry is unreachable.
pub fn fetch_debian_corpus() -> Option<PathBuf> {
    let Some(script) = fetch_script() else {
        panic!("shared/corpus/fetch-debian.sh not found beside the checkout (set EXTGUARD_FETCH_DEBIAN)");
    };
    let tree = std::env::temp_dir().join("extguard-debian-test/tree");
    let fetched = Command::new("bash")
        .arg(&script)
        .arg(&tree)
        .output()
        .unwrap_or_else(|e| panic!("{}: {e}", script.display()));
    if !fetched.status.success() {
        let stderr = String::from_utf8_lossy(&fetched.stderr);
        if !registry_reachable() {
            eprintln!(
                "SKIPPED: Debian's package registry (deb.debian.org) is unreachable; \
                 {} failed: {stderr}",
                script.display()
            );
            return None;
        }
        panic!("{} failed: {stderr}", script.display());
    }
    Some(tree)
}

/// `extguard scan` (extension-aware, default options, all cores) of every
/// package directory of the Debian corpus `tree`; no scan errors.
pub fn scan_debian_packages(tree: &std::path::Path) -> extguard_analyzer::outcome::Outcome {
    use extguard_analyzer::driver::{self, Mode, Options};
    use extguard_analyzer::Config;
    let mut packages: Vec<PathBuf> = std::fs::read_dir(tree)
        .unwrap_or_else(|e| panic!("{}: {e}", tree.display()))
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    packages.sort();
    assert!(
        packages.len() >= 40,
        "{}: only {} packages",
        tree.display(),
        packages.len()
    );
    let opts = Options::new(Config::default(), Mode::Scan);
    let out = driver::run(&packages, &opts).expect("worker threads");
    assert!(out.errors.is_empty(), "scan errors: {:?}", out.errors);
    out
}

/// The extensions of the local PostgreSQL's extension directory (contrib).
pub fn contrib_extensions() -> Vec<extguard_analyzer::extension::Extension> {
    let d = extguard_analyzer::extension::discover(&extension_dir());
    assert!(
        d.extensions.len() > 30,
        "expected PostgreSQL contrib, found {} extensions",
        d.extensions.len()
    );
    d.extensions
}

pub mod pg;
pub mod wasm;
