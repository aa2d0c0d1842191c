//! Regression guard over the local PostgreSQL's extension directory: the
//! full set of findings of extension-aware analysis (install chains with the
//! CREATE EXTENSION search_path, update scripts) must equal the committed
//! `contrib_expected.txt`. UPDATE_SNAPSHOTS=1 rewrites it.
//!
//! extguard's own extension (installed there by pg_ext's tests) is left out.

use std::path::Path;

use extguard_analyzer::{extension, Config};
use extguard_e2e::contrib_extensions;

fn current() -> String {
    let cfg = Config::default();
    let mut lines = Vec::new();
    for e in contrib_extensions().iter().filter(|e| e.name != "extguard") {
        let r = extension::analyze(e, &cfg);
        for (file, fs) in r.files.iter().zip(&r.findings) {
            let name = Path::new(&file.path)
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned();
            for f in fs {
                lines.push(format!(
                    "{name}:{}:{} {} {}",
                    f.line,
                    f.column,
                    f.code,
                    f.object.clone().unwrap_or_default()
                ));
            }
        }
    }
    lines.join("\n") + "\n"
}

#[test]
fn contrib_findings_match_the_committed_expectation() {
    let now = current();
    let Some(expected) = expected_or_update("contrib_expected.txt", &now) else {
        return;
    };
    if expected != now {
        let exp: Vec<&str> = expected.lines().collect();
        let cur: Vec<&str> = now.lines().collect();
        let gone: Vec<&&str> = exp.iter().filter(|l| !cur.contains(l)).take(20).collect();
        let new: Vec<&&str> = cur.iter().filter(|l| !exp.contains(l)).take(20).collect();
        panic!("contrib findings changed (UPDATE_SNAPSHOTS=1 to accept)\nno longer reported: {gone:#?}\nnewly reported: {new:#?}");
    }
}

/// Every extension's verdict and the codes of its reasons (each once).
fn verdicts() -> String {
    let cfg = Config::default();
    let mut lines = Vec::new();
    for e in contrib_extensions().iter().filter(|e| e.name != "extguard") {
        let r = extension::analyze(e, &cfg);
        let a = extguard_analyzer::verdict::assess(e.control.as_ref().ok(), &r.files, &r.findings);
        let mut codes: Vec<&str> = a.reasons.iter().map(|r| r.code.as_str()).collect();
        codes.sort();
        codes.dedup();
        lines.push(format!(
            "{} {} {}{} {}",
            e.name,
            r.default_version.as_deref().unwrap_or("-"),
            a.verdict,
            if a.trusted_claim {
                " (claims trusted)"
            } else {
                ""
            },
            codes.join(",")
        ));
    }
    lines.join("\n") + "\n"
}

#[test]
fn contrib_verdicts_match_the_committed_expectation() {
    let now = verdicts();
    let Some(expected) = expected_or_update("contrib_verdicts.txt", &now) else {
        return;
    };
    let changed: Vec<(&str, &str)> = expected
        .lines()
        .zip(now.lines())
        .filter(|(e, n)| e != n)
        .collect();
    assert!(
        expected == now,
        "contrib verdicts changed (UPDATE_SNAPSHOTS=1 to accept): {} line(s) then {}, differing pairs (expected, now): {changed:#?}",
        expected.lines().count(),
        now.lines().count()
    );
}

/// The committed expectation `file`, or `None` after writing `now` over it
/// when UPDATE_SNAPSHOTS is set.
fn expected_or_update(file: &str, now: &str) -> Option<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, now).unwrap();
        return None;
    }
    Some(std::fs::read_to_string(&path).unwrap())
}
