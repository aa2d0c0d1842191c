//! `extguard pgspot ARGS` against pgspot 0.9.4 itself, on the local
//! PostgreSQL's extension scripts (contrib): both programs run with the same
//! arguments and must print the same lines and exit with the same status.
//! Line numbers (` at line N`) and syntax-error offsets (`, at index N`) are
//! the one thing compared loosely: extguard points at the offending token,
//! pgspot at the start of the statement's text. Within one file's block
//! the finding lines are compared as a multiset (pgspot prints them in its
//! tree visitor's order, extguard in file order).
//!
//! pgspot is installed from PyPI into bench/.venv by scripts/pgspot-venv.sh
//! (`make test` does it); PGSPOT overrides the path.
//!
//! Also the findings themselves, through the library: the same (file,
//! code, object) counts as pgspot's text output, except the differences
//! listed with their reason in `tests/data/pgspot_differences.txt`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use extguard_analyzer::{check_text, Config};

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

fn extension_dir() -> PathBuf {
    let out = Command::new("pg_config")
        .arg("--sharedir")
        .output()
        .expect("pg_config runs");
    PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()).join("extension")
}

fn contrib_scripts() -> Vec<PathBuf> {
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
    files
}

fn run(program: &Path, pre: &[&str], args: &[&str], files: &[PathBuf]) -> Output {
    Command::new(program)
        .args(pre)
        .args(args)
        .args(files)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

/// Line numbers and error offsets replaced by N.
fn normalise(line: &str) -> String {
    let mut l = line.to_string();
    for marker in [" at line ", ", at index "] {
        if let Some(i) = l.rfind(marker) {
            let rest = &l[i + marker.len()..];
            let digits = rest.chars().take_while(|c| c.is_ascii_digit()).count();
            if digits > 0 {
                l = format!("{}{marker}N{}", &l[..i], &rest[digits..]);
            }
        }
    }
    l
}

/// The output in blocks: a finding block (consecutive finding lines) is
/// sorted; every other line stays where it is.
fn canonical(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut block: Vec<String> = Vec::new();
    let is_finding = |l: &str| {
        (l.len() > 7 && l.starts_with("PS") && l.as_bytes()[5] == b':')
            || l.starts_with("Unknown function language: ")
            || l.starts_with("Unknown language: ")
    };
    for l in text.lines() {
        if is_finding(l) {
            block.push(normalise(l));
        } else {
            block.sort();
            out.append(&mut block);
            out.push(normalise(l));
        }
    }
    block.sort();
    out.append(&mut block);
    out
}

struct Compared {
    lines: usize,
    differences: Vec<String>,
}

/// Run both with the same arguments; compare status and canonical lines.
fn compare(args: &[&str], files: &[PathBuf]) -> Compared {
    let ours = run(
        Path::new(env!("CARGO_BIN_EXE_extguard")),
        &["pgspot"],
        args,
        files,
    );
    let theirs = run(&pgspot(), &[], args, files);
    let (a, b) = (
        canonical(&String::from_utf8_lossy(&ours.stdout)),
        canonical(&String::from_utf8_lossy(&theirs.stdout)),
    );
    let mut differences = Vec::new();
    if ours.status.code() != theirs.status.code() {
        differences.push(format!(
            "{args:?}: exit status extguard={:?} pgspot={:?}",
            ours.status.code(),
            theirs.status.code()
        ));
    }
    // a multiset difference per line, so that one extra line does not
    // shift every line after it
    let mut count: BTreeMap<&str, i64> = BTreeMap::new();
    for l in &a {
        *count.entry(l).or_default() += 1;
    }
    for l in &b {
        *count.entry(l).or_default() -= 1;
    }
    for (l, n) in count.iter().filter(|(_, n)| **n != 0) {
        differences.push(format!("{args:?}: {n:+} (extguard - pgspot) {l}"));
    }
    if differences.is_empty() && a != b {
        let at = a.iter().zip(&b).position(|(x, y)| x != y).unwrap_or(0);
        differences.push(format!(
            "{args:?}: same lines in another order from line {at}: extguard {:?} pgspot {:?}",
            a.get(at),
            b.get(at)
        ));
    }
    assert!(
        !b.is_empty(),
        "pgspot printed nothing for {args:?}: is it working?\n{}",
        String::from_utf8_lossy(&theirs.stderr)
    );
    Compared {
        lines: b.len(),
        differences,
    }
}

/// Install script(s) then update scripts, per extension, in name order: the
/// files a `pgspot -a` job over an update chain passes.
fn chains(files: &[PathBuf]) -> BTreeMap<String, Vec<PathBuf>> {
    let mut by_ext: BTreeMap<String, (Vec<PathBuf>, Vec<PathBuf>)> = BTreeMap::new();
    for f in files {
        let name = f.file_stem().unwrap().to_string_lossy().into_owned();
        let Some((ext, rest)) = name.split_once("--") else {
            continue;
        };
        let e = by_ext.entry(ext.to_string()).or_default();
        if rest.contains("--") {
            e.1.push(f.clone());
        } else {
            e.0.push(f.clone());
        }
    }
    by_ext
        .into_iter()
        .filter(|(_, (_, updates))| !updates.is_empty())
        .map(|(ext, (mut install, updates))| {
            install.extend(updates);
            (ext, install)
        })
        .collect()
}

#[test]
fn extguard_pgspot_prints_what_pgspot_prints_on_contrib() {
    let files = contrib_scripts();
    let mut lines = 0;
    let mut differences = Vec::new();
    let runs: &[&[&str]] = &[
        &[],
        &["--summary-only"],
        &["--no-plpgsql"],
        &[
            "--ignore", "PS017", "--ignore", "PS016", "--ignore", "XX999",
        ],
    ];
    for args in runs {
        let c = compare(args, &files);
        lines += c.lines;
        differences.extend(c.differences);
    }
    // one file: no file headers, no TOTAL line
    let one = files
        .iter()
        .find(|f| f.ends_with("earthdistance--1.1.sql"))
        .cloned()
        .unwrap_or_else(|| files[0].clone());
    let c = compare(&[], std::slice::from_ref(&one));
    lines += c.lines;
    differences.extend(c.differences);
    // update chains with -a (state carried across files; pgspot shows
    // per-file zeros then, and counts in TOTAL only)
    let chains = chains(&files);
    assert!(chains.len() > 10, "few update chains: {}", chains.len());
    for chain in chains.values() {
        let c = compare(&["-a"], chain);
        lines += c.lines;
        differences.extend(c.differences);
    }
    assert!(lines > 1000, "pgspot printed too little: is it working?");
    eprintln!(
        "pgspot parity: {} files, {} runs, {lines} output lines compared, {} differences",
        files.len(),
        runs.len() + 1 + chains.len(),
        differences.len()
    );
    assert!(
        differences.is_empty(),
        "extguard pgspot and pgspot differ:\n{}",
        differences.join("\n")
    );
}

#[test]
fn stdin_explain_version_and_unknown_codes() {
    let ex = Path::new(env!("CARGO_BIN_EXE_extguard"));
    let sql = b"SELECT a = b FROM t;\nSET search_path = \"a,b\";\n";
    let pipe = |program: &Path, pre: &[&str], args: &[&str]| {
        use std::io::Write;
        let mut child = Command::new(program)
            .args(pre)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(sql).unwrap();
        child.wait_with_output().unwrap()
    };
    for args in [&[][..], &["--summary-only"], &["--ignore", "PS001"]] {
        let (a, b) = (pipe(ex, &["pgspot"], args), pipe(&pgspot(), &[], args));
        assert_eq!(
            canonical(&String::from_utf8_lossy(&a.stdout)),
            canonical(&String::from_utf8_lossy(&b.stdout)),
            "stdin {args:?}"
        );
        assert_eq!(a.status.code(), b.status.code());
    }
    let out = |args: &[&str]| {
        Command::new(ex)
            .arg("pgspot")
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap()
    };
    let o = out(&["--explain", "PS016"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&o.stdout).starts_with("PS016: Unqualified function call\n"));
    let o = out(&["--explain", "PS999"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        "Unknown error or warning: PS999\n"
    );
    let o = out(&["--version"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&o.stdout).contains("pgspot 0.9.4"));
    // argparse's usage errors exit 2, as clap's do
    assert_eq!(out(&["--frobnicate"]).status.code(), Some(2));
    // a missing file: named on stdout, the run goes on, status 1
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("ok.sql"), "SELECT pg_catalog.now();\n").unwrap();
    let o = Command::new(ex)
        .args(["pgspot", "missing.sql", "ok.sql"])
        .current_dir(d.path())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("missing.sql: No such file"), "{text}");
    assert!(
        text.contains("ok.sql: \n\n Errors: 0 Warnings: 0 Unknown: 0 \n"),
        "{text}"
    );
}

/// Syntax errors (a statement, a function body), unknown languages,
/// quoting, placeholders and every option combination that changes the
/// layout, on small scripts written for it.
#[test]
fn syntax_errors_unknowns_and_layout_like_pgspot() {
    let d = tempfile::tempdir().unwrap();
    let files: Vec<PathBuf> = [
        ("a.sql", "SELECT a = b FROM t;\nSET search_path = \"a,b\";\n"),
        ("b.sql", "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1 + 1 $$;\nSELEC x;\n"),
        ("c.sql", "DO LANGUAGE plperl $$ $$;\nCREATE FUNCTION g() RETURNS int LANGUAGE plv8 AS $$ $$;\nCREATE SEQUENCE IF NOT EXISTS \"My Seq\";\nSELECT '@extschema@.t'::regclass, x::\"char\", CASE x WHEN 1 THEN 'a' END, NOT (a OR b), a IS DISTINCT FROM b, x = ANY(y), -x, (a + b) * c;\n"),
        ("d.sql", "CREATE FUNCTION h() RETURNS int LANGUAGE plpgsql AS $$ BEGIN RETURN nosuch.var; END $$;\nSELECT f(1);\n"),
    ]
    .iter()
    .map(|(n, t)| {
        let p = d.path().join(n);
        std::fs::write(&p, t).unwrap();
        p
    })
    .collect();
    let mut differences = Vec::new();
    for args in [
        &[][..],
        &["-a"],
        &["--summary-only"],
        &["-a", "--summary-only"],
        &["--ignore-lang", "PLV8", "--ignore", "PS001"],
    ] {
        differences.extend(compare(args, &files).differences);
        for f in &files {
            differences.extend(compare(args, std::slice::from_ref(f)).differences);
        }
    }
    assert!(
        differences.is_empty(),
        "extguard pgspot and pgspot differ:\n{}",
        differences.join("\n")
    );
}

// ---- findings through the library ----

type Key = (String, String, String);

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
    let files = contrib_scripts();
    let ours = extguard_findings(&files);
    let theirs = pgspot_findings(&files);
    let allowed = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/pgspot_differences.txt"),
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
        "differences from pgspot not listed in analyzer/tests/data/pgspot_differences.txt:\n{}",
        diffs.join("\n")
    );
}
