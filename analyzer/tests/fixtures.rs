//! Runs every fixture under corpus/ whose expectations are annotated inline:
//!
//! ```sql
//! SELECT f(1);
//! --     ^ PS016
//! ```
//!
//! expects exactly one PS016 finding starting at line 1, column 8. All
//! findings must be annotated and all annotations found.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use extguard_analyzer::{check_text, Config};

type Expect = BTreeSet<(String, usize, usize)>;

fn corpus_files(dir: &str) -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../corpus")
        .join(dir);
    let mut v: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("{}: {e}", root.display()))
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "sql"))
        .collect();
    v.sort();
    v
}

/// Parse the `-- ^ CODE` annotations of a fixture.
pub fn expectations(text: &str) -> Expect {
    let mut out = Expect::new();
    let mut last_sql_line = 0;
    for (i, line) in text.lines().enumerate() {
        let t = line.trim_start();
        if let Some(rest) = t.strip_prefix("--") {
            let rest_trim = rest.trim_start();
            if let Some(after) = rest_trim.strip_prefix('^') {
                let col = line.chars().position(|c| c == '^').unwrap() + 1;
                let codes = after.trim_start_matches('^').trim();
                for code in codes.split_whitespace() {
                    out.insert((code.to_string(), last_sql_line, col));
                }
                continue;
            }
        }
        last_sql_line = i + 1;
    }
    out
}

fn config_for(text: &str) -> Config {
    let mut cfg = Config::default();
    if let Some(args) = text
        .lines()
        .next()
        .and_then(|l| l.strip_prefix("-- extguard-args:"))
    {
        let mut it = args.split_whitespace();
        while let Some(flag) = it.next() {
            match flag {
                "--sql-accepting" => cfg.sql_accepting.push(it.next().unwrap().into()),
                "--trusted-schema" => cfg.trusted_schema.push(it.next().unwrap().into()),
                "--no-plpgsql" => cfg.plpgsql = false,
                "--pg-version" => cfg.pg_version = Some(it.next().unwrap().parse().unwrap()),
                other => panic!("unknown fixture flag {other}"),
            }
        }
    }
    cfg
}

fn run_dir(dir: &str) {
    let mut failures = Vec::new();
    let files = corpus_files(dir);
    assert!(!files.is_empty(), "no fixtures in corpus/{dir}");
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        let expected = expectations(&text);
        let found: Expect = check_text(&path.display().to_string(), &text, &config_for(&text))
            .into_iter()
            .map(|f| (f.code.to_string(), f.line, f.column))
            .collect();
        if expected != found {
            let missing: Vec<_> = expected.difference(&found).collect();
            let unexpected: Vec<_> = found.difference(&expected).collect();
            failures.push(format!(
                "{}:\n  missing:    {missing:?}\n  unexpected: {unexpected:?}",
                path.display()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "fixture mismatches:\n{}",
        failures.join("\n")
    );
}

#[test]
fn rule_fixtures() {
    run_dir("rules");
}

/// PL/pgSQL statements, path sensitivity, dynamic SQL and injection.
#[test]
fn plpgsql_fixtures() {
    run_dir("plpgsql");
}

#[test]
fn every_emitted_rule_has_a_fixture() {
    let names: BTreeSet<String> = corpus_files("rules")
        .iter()
        .map(|p| {
            p.file_stem()
                .unwrap()
                .to_string_lossy()
                .split('_')
                .next()
                .unwrap()
                .to_string()
        })
        .collect();
    for r in extguard_analyzer::rules::ALL {
        if [
            "PS008", "EG002", "EG003", "EG005", "EG007", "EG008", "EG010", "EG011", "EG121",
            "EG122", "EG123", "EG140", "EG141", "EG142",
        ]
        .contains(&r.code)
        {
            continue; // never emitted from SQL text (PS008), or covered by the CLI, extension, scan, registry-input, diff, verdict and wasm tests
        }
        assert!(
            names.contains(r.code),
            "no fixture corpus/rules/{}.sql",
            r.code
        );
    }
}
