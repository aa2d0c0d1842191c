//! Regression guard over the local PostgreSQL's extension directory: the
//! full set of findings of extension-aware analysis (install chains with the
//! CREATE EXTENSION search_path, update scripts) must equal the committed
//! `contrib_expected.txt`. UPDATE_SNAPSHOTS=1 rewrites it.
//!
//! extguard's own extension (installed there by pg_ext's tests) is left out.

use std::path::Path;

use extguard_analyzer::{extension, Config};
use extguard_e2e::extension_dir;

fn current() -> String {
    let d = extension::discover(&extension_dir());
    assert!(
        d.extensions.len() > 30,
        "expected PostgreSQL contrib, found {} extensions",
        d.extensions.len()
    );
    let cfg = Config::default();
    let mut lines = Vec::new();
    for e in d.extensions.iter().filter(|e| e.name != "extguard") {
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
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("contrib_expected.txt");
    let now = current();
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, &now).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap();
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
    let d = extension::discover(&extension_dir());
    let cfg = Config::default();
    let mut lines = Vec::new();
    for e in d.extensions.iter().filter(|e| e.name != "extguard") {
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
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("contrib_verdicts.txt");
    let now = verdicts();
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, &now).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap();
    assert!(
        expected == now,
        "contrib verdicts changed (UPDATE_SNAPSHOTS=1 to accept)\nexpected:\n{expected}\nnow:\n{now}"
    );
}
