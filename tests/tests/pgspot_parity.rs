//! Parity with pgspot 0.9.4 on the local PostgreSQL's extension scripts:
//! the same findings (file, code, object, count), except the differences
//! listed with their reason in `pgspot_differences.txt`.
//!
//! pgspot is installed from PyPI into bench/.venv by scripts/pgspot-venv.sh
//! (`make test` does it); PGSPOT overrides the path.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use extguard_analyzer::{check_text, Config};
use extguard_e2e::extension_dir;

type Key = (String, String, String);

fn pgspot() -> PathBuf {
    let p = std::env::var_os("PGSPOT")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../bench/.venv/bin/pgspot"));
    assert!(
        p.exists(),
        "{} not found: run scripts/pgspot-venv.sh (make test does)",
        p.display()
    );
    p
}

/// Parse pgspot's text output into (file, code, object) counts.
fn pgspot_findings(files: &[PathBuf]) -> BTreeMap<Key, usize> {
    let out = Command::new(pgspot())
        .args(files)
        .output()
        .expect("pgspot runs");
    let text = String::from_utf8_lossy(&out.stdout);
    let mut map = BTreeMap::new();
    let mut current = String::new();
    for line in text.lines() {
        if let Some(f) = line.strip_suffix(": ").filter(|f| f.ends_with(".sql")) {
            current = Path::new(f)
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned();
            continue;
        }
        let Some((code, rest)) = line.split_once(": ") else {
            continue;
        };
        if !(code.len() == 5 && code.starts_with("PS")) {
            continue;
        }
        let Some((_title, ctx)) = rest.split_once(": ") else {
            continue;
        };
        let ctx = ctx.rsplit_once(" at line ").map_or(ctx, |(c, _)| c);
        // pgspot prints "'op' in <expr>" for PS001 and "type in <expr>" for casts
        let object = match code {
            "PS001" => ctx.split('\'').nth(1).unwrap_or(ctx).to_string(),
            "PS017" => ctx.split(" in ").next().unwrap_or(ctx).to_string(),
            _ => ctx.to_string(),
        };
        *map.entry((current.clone(), code.to_string(), object))
            .or_default() += 1;
    }
    map
}

fn extguard_findings(files: &[PathBuf]) -> BTreeMap<Key, usize> {
    let mut map = BTreeMap::new();
    for f in files {
        let text = std::fs::read_to_string(f).unwrap();
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        for x in check_text(&name, &text, &Config::default()) {
            if x.code.starts_with("PS") {
                *map.entry((
                    name.clone(),
                    x.code.to_string(),
                    x.object.unwrap_or_default(),
                ))
                .or_default() += 1;
            }
        }
    }
    map
}

#[test]
fn same_findings_as_pgspot_on_installed_extension_scripts() {
    let mut files: Vec<PathBuf> = std::fs::read_dir(extension_dir())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "sql"))
        .collect();
    files.sort();
    assert!(
        files.len() > 50,
        "expected PostgreSQL contrib scripts, found {}",
        files.len()
    );
    let ours = extguard_findings(&files);
    let theirs = pgspot_findings(&files);
    let allowed = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("pgspot_differences.txt"),
    )
    .unwrap();
    let allowed: Vec<&str> = allowed
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .collect();
    let mut diffs = Vec::new();
    for key in ours.keys().chain(theirs.keys()) {
        let (a, b) = (
            ours.get(key).copied().unwrap_or(0),
            theirs.get(key).copied().unwrap_or(0),
        );
        if a != b {
            let line = format!("{} {} {} extguard={a} pgspot={b}", key.0, key.1, key.2);
            if !allowed.iter().any(|l| l.starts_with(&line)) && !diffs.contains(&line) {
                diffs.push(line);
            }
        }
    }
    assert!(
        theirs.values().sum::<usize>() > 100,
        "pgspot reported too little: is it working?"
    );
    assert!(
        diffs.is_empty(),
        "differences from pgspot not listed in tests/pgspot_differences.txt:\n{}",
        diffs.join("\n")
    );
}
