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
