//! End-to-end tests of the `extguard` binary: exit codes, inputs, options,
//! output formats (snapshots in tests/snapshots; UPDATE_SNAPSHOTS=1 rewrites them).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

mod cli_support;
use cli_support::{json_findings, snapshot};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_extguard"))
}

fn run(args: &[&str], dir: &Path) -> Output {
    bin()
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn run_stdin(args: &[&str], input: &[u8]) -> Output {
    let mut child = bin()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn write(dir: &Path, name: &str, text: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

const BAD: &str = "SELECT f(1);\n";
const CLEAN: &str = "SELECT pg_catalog.now();\n";

#[test]
fn exit_codes() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "bad.sql", BAD.as_bytes());
    write(d.path(), "clean.sql", CLEAN.as_bytes());
    assert_eq!(
        run(&["check", "clean.sql"], d.path()).status.code(),
        Some(0)
    );
    assert_eq!(run(&["check", "bad.sql"], d.path()).status.code(), Some(1));
    // usage errors
    let o = run(&["check", "--format", "xml", "bad.sql"], d.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("xml"), "{}", stderr(&o));
    let o = run(&["check", "--ignore", "PS999", "bad.sql"], d.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("PS999"));
    assert_eq!(run(&["frobnicate"], d.path()).status.code(), Some(2));
}

#[test]
fn missing_and_unreadable_files_are_named_and_the_rest_is_checked() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "bad.sql", BAD.as_bytes());
    let o = run(
        &[
            "check",
            "--format",
            "json",
            "nope.sql",
            "bad.sql",
            "/proc/self/mem",
        ],
        d.path(),
    );
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains("nope.sql") && err.contains("/proc/self/mem"),
        "{err}"
    );
    let doc: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(doc["findings"][0]["code"], "PS016");
}

#[test]
fn files_with_the_same_bytes_each_get_the_findings_of_a_check_of_their_own() {
    let d = tempfile::tempdir().unwrap();
    let script = "CREATE FUNCTION s() RETURNS int LANGUAGE sql SECURITY DEFINER AS 'SELECT f(1)';\nSELECT g(2);\n";
    // the same size, other bytes
    let other = script.replace("f(1)", "h(1)");
    std::fs::create_dir(d.path().join("sub")).unwrap();
    for name in ["a.sql", "b.sql", "sub/a.sql"] {
        write(d.path(), name, script.as_bytes());
    }
    write(d.path(), "c.sql", other.as_bytes());
    let names = ["a.sql", "c.sql", "b.sql", "sub/a.sql"];
    let mut args = vec!["check", "--format", "json", "--jobs", "2"];
    args.extend(names);
    let together = json_findings(&run(&args, d.path()));
    let alone: Vec<_> = names
        .iter()
        .flat_map(|n| json_findings(&run(&["check", "--format", "json", n], d.path())))
        .collect();
    assert!(together.len() >= 8, "{together:?}");
    assert_eq!(together, alone);
    assert!(together.iter().any(|f| f["path"] == "sub/a.sql"));
    assert!(together
        .iter()
        .any(|f| f["message"].as_str().unwrap().contains("h(")));
}

#[test]
fn stdin_input() {
    let o = run_stdin(&["check", "--format", "json", "-"], BAD.as_bytes());
    assert_eq!(o.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(doc["files"][0], "<stdin>");
    assert_eq!(doc["findings"][0]["line"], 1);
    assert_eq!(doc["findings"][0]["column"], 8);
    // no path at all also reads stdin
    assert_eq!(
        run_stdin(&["check"], CLEAN.as_bytes()).status.code(),
        Some(0)
    );
}

#[test]
fn empty_file_is_clean() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "empty.sql", b"");
    let o = run(&["check", "empty.sql"], d.path());
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
}

#[test]
fn non_utf8_input_is_reported_and_analysed() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "latin1.sql", b"SELECT 'caf\xe9';\nSELECT f();\n");
    let o = run(&["check", "--format", "json", "latin1.sql"], d.path());
    assert_eq!(o.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let codes: Vec<&str> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, vec!["EG002", "PS016"]);
    assert_eq!(doc["findings"][1]["line"], 2);
}

#[test]
fn ten_megabyte_file() {
    let d = tempfile::tempdir().unwrap();
    let stmt = "SELECT s.f(a OPERATOR(pg_catalog.+) 1) FROM s.t WHERE s.g(b);\n";
    let mut text = stmt.repeat(10 * 1024 * 1024 / stmt.len() + 1);
    text.push_str("SELECT f();\n");
    let p = write(d.path(), "big.sql", text.as_bytes());
    assert!(std::fs::metadata(&p).unwrap().len() >= 10 * 1024 * 1024);
    let o = run(&["check", "--format", "json", "big.sql"], d.path());
    assert_eq!(o.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let f = doc["findings"].as_array().unwrap();
    assert_eq!(f.len(), 1);
    assert_eq!(
        f[0]["line"].as_u64().unwrap() as usize,
        text.lines().count()
    );
}

#[test]
fn directories_are_searched_recursively() {
    let d = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(d.path().join("a/b")).unwrap();
    write(&d.path().join("a/b"), "x.sql", BAD.as_bytes());
    write(&d.path().join("a"), "notes.txt", BAD.as_bytes());
    let o = run(&["check", "--format", "json", "a"], d.path());
    let doc: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(doc["files"].as_array().unwrap().len(), 1);
    assert!(doc["files"][0].as_str().unwrap().ends_with("x.sql"));
}

#[test]
fn select_ignore_min_severity_and_config_file() {
    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        "m.sql",
        b"SELECT f(1) FROM t;\nCREATE SCHEMA IF NOT EXISTS x;\n",
    );
    let codes = |o: &Output| -> Vec<String> {
        let doc: serde_json::Value = serde_json::from_str(&stdout(o)).unwrap();
        doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["code"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        codes(&run(&["check", "--format", "json", "m.sql"], d.path())),
        ["PS016", "PS017", "PS010"]
    );
    assert_eq!(
        codes(&run(
            &["check", "--format", "json", "--select", "PS017", "m.sql"],
            d.path()
        )),
        ["PS017"]
    );
    assert_eq!(
        codes(&run(
            &["check", "--format", "json", "--ignore", "PS016", "--ignore", "ps017", "m.sql"],
            d.path()
        )),
        ["PS010"]
    );
    assert_eq!(
        codes(&run(
            &[
                "check",
                "--format",
                "json",
                "--min-severity",
                "error",
                "m.sql"
            ],
            d.path()
        )),
        ["PS010"]
    );
    write(
        d.path(),
        "extguard.toml",
        b"ignore = [\"PS010\"]\nformat = \"json\"\n",
    );
    assert_eq!(
        codes(&run(&["check", "m.sql"], d.path())),
        ["PS016", "PS017"]
    );
    write(d.path(), "other.toml", b"select = [\"PS016\"]\n");
    assert_eq!(
        codes(&run(
            &[
                "check",
                "--config",
                "other.toml",
                "--format",
                "json",
                "m.sql"
            ],
            d.path()
        )),
        ["PS016"]
    );
    write(d.path(), "broken.toml", b"ignroe = 1\n");
    let o = run(&["check", "--config", "broken.toml", "m.sql"], d.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("broken.toml"), "{}", stderr(&o));
}

#[test]
fn inline_suppression_and_append() {
    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        "s.sql",
        b"-- extguard: ignore PS016\nSELECT f(1);\nSELECT g(1);\n",
    );
    let o = run(&["check", "--format", "json", "s.sql"], d.path());
    let doc: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(doc["findings"].as_array().unwrap().len(), 1);
    assert_eq!(doc["findings"][0]["line"], 3);

    write(
        d.path(),
        "1.sql",
        b"SET search_path = pg_catalog, pg_temp;\n",
    );
    write(d.path(), "2.sql", BAD.as_bytes());
    assert_eq!(
        run(&["check", "1.sql", "2.sql"], d.path()).status.code(),
        Some(1)
    );
    assert_eq!(
        run(&["check", "--append", "1.sql", "2.sql"], d.path())
            .status
            .code(),
        Some(0)
    );
}

#[test]
fn rules_and_explain() {
    let d = tempfile::tempdir().unwrap();
    let o = run(&["rules"], d.path());
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).lines().count() >= 22);
    let o = run(&["explain", "ps016"], d.path());
    assert_eq!(o.status.code(), Some(0));
    let text = stdout(&o);
    for section in [
        "## What it flags",
        "## Why it is dangerous",
        "## Example",
        "## Fix",
    ] {
        assert!(text.contains(section), "missing {section} in {text}");
    }
    let o = run(&["explain", "XX123"], d.path());
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn output_format_snapshots() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots");
    for (format, name) in [
        ("human", "sample.human.txt"),
        ("json", "sample.json"),
        ("pgspot", "sample.pgspot.txt"),
    ] {
        let o = run(&["check", "--format", format, "sample.sql"], &dir);
        assert_eq!(o.status.code(), Some(1));
        snapshot(name, &stdout(&o));
    }
    let o = run(
        &["check", "--format", "pgspot", "sample.sql", "sample.sql"],
        &dir,
    );
    snapshot("sample-two-files.pgspot.txt", &stdout(&o));
}

/// `extguard verify-audit`: genuine records pass; a forged line (as any
/// role can write with RAISE LOG), an altered one and a removed one are
/// reported, with exit code 1; a bad key file is a clear error.
#[test]
fn verify_audit_detects_forged_altered_and_removed_records() {
    use extguard_analyzer::audit_mac::{key_to_text, seal};
    let dir = tempfile::tempdir().unwrap();
    let key = [42u8; 32];
    let key_file = write(
        dir.path(),
        "extguard_audit.key",
        key_to_text(&key).as_bytes(),
    );
    let rec = |seq: u64| {
        seal(
            &key,
            &format!(r#"{{"seq":{seq},"seq_epoch":"2026-12-04 18:00:00+00","vector":"load"}}"#),
        )
    };
    let genuine: Vec<String> = (1..=4).map(rec).collect();
    let k = key_file.to_str().unwrap();
    let good = write(
        dir.path(),
        "good.jsonl",
        (genuine.join("\n") + "\n").as_bytes(),
    );
    let o = run(
        &["verify-audit", good.to_str().unwrap(), "--key", k],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    assert!(
        stdout(&o).contains("4 genuine records, seq 1-4"),
        "{}",
        stdout(&o)
    );

    // A server log: other lines are skipped; record 2 removed, a forged
    // line and an altered copy of record 3 added.
    let log = format!(
        "LOG:  database system is ready\nLOG:  EXTGUARD_AUDIT {}\n\
         LOG:  EXTGUARD_AUDIT {{\"seq\":2,\"seq_epoch\":\"2026-12-04 18:00:00+00\",\"vector\":\"none\"}}\n\
         LOG:  EXTGUARD_AUDIT {}\nLOG:  EXTGUARD_AUDIT {}\n",
        genuine[0],
        genuine[2].replace("load", "lead"),
        genuine[3]
    );
    let bad = write(dir.path(), "server.log", log.as_bytes());
    let o = run(
        &["verify-audit", bad.to_str().unwrap(), "--key", k],
        dir.path(),
    );
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("server.log:3: no mac field"), "{out}");
    assert!(out.contains("server.log:4: mac does not match"), "{out}");
    assert!(out.contains("seq 2-3 missing"), "{out}");
    assert!(out.ends_with("NOT OK\n"), "{out}");

    // The wrong key: nothing verifies.
    let other = write(dir.path(), "other.key", key_to_text(&[1u8; 32]).as_bytes());
    let o = run(
        &[
            "verify-audit",
            good.to_str().unwrap(),
            "--key",
            other.to_str().unwrap(),
        ],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(1));
    let broken = write(dir.path(), "broken.key", b"not a key");
    let o = run(
        &[
            "verify-audit",
            good.to_str().unwrap(),
            "--key",
            broken.to_str().unwrap(),
        ],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("broken.key: expected 64 hex digits"),
        "{}",
        stderr(&o)
    );
}
