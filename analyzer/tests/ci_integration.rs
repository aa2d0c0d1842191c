//! extguard in CI: the pre-commit hooks of `.pre-commit-hooks.yaml` run by
//! the real pre-commit (installed from PyPI into bench/.venv by
//! scripts/pre-commit-venv.sh, which `make test` runs) on a fixture
//! repository, and the timescaledb-style pgspot job (install script, update
//! and downgrade chains with `-a`) on corpus/ci/geokit.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn git(dir: &Path, args: &[&str]) {
    let o = Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(o.status.success(), "git {args:?}: {}", text(&o));
}

#[test]
fn pre_commit_hooks_run_with_the_real_pre_commit() {
    let pre_commit = std::env::var_os("PRE_COMMIT")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("bench/.venv/bin/pre-commit"));
    assert!(
        pre_commit.exists(),
        "{} not found: run scripts/pre-commit-venv.sh (make test does)",
        pre_commit.display()
    );
    let d = tempfile::tempdir().unwrap();
    let repo = d.path().join("fixture");
    std::fs::create_dir(&repo).unwrap();
    git(&repo, &["init", "-q"]);
    std::fs::write(repo.join("bad.sql"), "SELECT f(1);\n").unwrap();
    std::fs::write(repo.join("good.sql"), "SELECT pg_catalog.now();\n").unwrap();
    std::fs::write(repo.join("notes.txt"), "SELECT f(1);\n").unwrap();
    git(&repo, &["add", "."]);
    let hook = |id: &str, files: &[&str]| {
        Command::new(&pre_commit)
            .arg("try-repo")
            .arg(root())
            .arg(id)
            .arg("--files")
            .args(files)
            .current_dir(&repo)
            .env("PRE_COMMIT_HOME", d.path().join("cache"))
            // the hook would otherwise build extguard in pre-commit's clone
            .env("EXTGUARD", env!("CARGO_BIN_EXE_extguard"))
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@example.org")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@example.org")
            .output()
            .unwrap()
    };
    let o = hook("extguard", &["bad.sql", "notes.txt"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("PS016"), "{}", text(&o));
    assert!(!text(&o).contains("notes.txt"), "{}", text(&o));
    let o = hook("extguard", &["good.sql"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let o = hook("extguard-pgspot", &["bad.sql"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains("PS016: Unqualified function call: f at line 1"),
        "{}",
        text(&o)
    );
}

/// timescaledb's workflow runs pgspot three times: on the install script,
/// and with `-a` on the update and the downgrade chain.
#[test]
fn timescaledb_style_pgspot_job_on_a_fixture_extension() {
    let sql = root().join("corpus/ci/geokit/sql");
    let run = |args: &[&str]| {
        let o = Command::new(env!("CARGO_BIN_EXE_extguard"))
            .arg("pgspot")
            .args(args)
            .current_dir(&sql)
            .output()
            .unwrap();
        (
            o.status.code(),
            String::from_utf8_lossy(&o.stdout).into_owned(),
        )
    };
    // 1. the install script: clean
    let (code, out) = run(&["geokit--1.1.sql"]);
    assert_eq!(code, Some(0), "{out}");
    assert_eq!(out, "\n Errors: 0 Warnings: 0 Unknown: 0 \n\n");
    // 2. the update chain
    let (code, out) = run(&["-a", "geokit--1.0.sql", "geokit--1.0--1.1.sql"]);
    assert_eq!(code, Some(1), "{out}");
    for line in [
        "geokit--1.0.sql: ",
        "PS001: Unqualified operator: '+' in ((a.x - b.x) ^ 2) + ((a.y - b.y) ^ 2) at line 8",
        "PS003: SECURITY DEFINER function without explicit search_path: extschema.label(p extschema.points) at line 19",
        "PS009: Unsafe CASE expression: CASE p.id WHEN 0 THEN 'origin' ELSE CAST(p.id AS text) END at line 20",
        "PS017: Unqualified object reference: text in CAST(p.id AS text) at line 20",
        "PS010: Unsafe schema creation: geokit_internal at line 3",
        "Unknown function language: plv8",
        "TOTAL: Errors: 5 Warnings: 12 Unknown: 1",
    ] {
        assert!(out.lines().any(|l| l == line), "missing {line:?} in\n{out}");
    }
    // 3. the downgrade chain
    let (code, out) = run(&["-a", "geokit--1.1.sql", "geokit--1.1--1.0.sql"]);
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.ends_with("TOTAL: Errors: 3 Warnings: 5 Unknown: 0\n"),
        "{out}"
    );
}
