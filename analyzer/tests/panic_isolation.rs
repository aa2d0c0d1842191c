//! Panic isolation: a panic while analysing one file or
//! extension becomes an internal-error finding (EG003) for it, the rest of
//! the run completes with exactly the results it has without the panic,
//! and the exit status is 2. The panic comes from the analyzer's test hook
//! (`EXTGUARD_TEST_PANIC_ON`, see `src/test_hook.rs`), in the real binary.
//! stderr gets one line per panic, never a backtrace.

use std::path::Path;
use std::process::{Command, Output, Stdio};

mod cli_support;
use cli_support::{make_zip, stderr, stdout, Scratch};

use serde_json::Value;

const HOOK: &str = "EXTGUARD_TEST_PANIC_ON";

/// Unqualified call (PS016).
const BAD: &str = "SELECT f(1);\n";
/// SECURITY DEFINER without search_path, unqualified call.
const DEFINER: &str = "CREATE FUNCTION @extschema@.g(x int) RETURNS int\n  LANGUAGE sql SECURITY DEFINER\n  AS 'SELECT abs(x)';\n";
const CONTROL: &str = "default_version = '1.0'\nrelocatable = true\n";

impl Scratch {
    fn write(&self, name: &str, text: &[u8]) {
        let p = self.path(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    /// Write extension `name` (control file, install and update scripts) under `dir/`.
    fn extension(&self, dir: &str, name: &str) {
        for (file, text) in extension_files(name) {
            self.write(&format!("{dir}/{file}"), &text);
        }
    }

    /// Run `extguard ARGS`, with the test hook set to `panic_on` if given.
    /// `RUST_BACKTRACE=1` shows that no backtrace is printed even when asked.
    fn run(&self, args: &[&str], panic_on: Option<&str>) -> Output {
        let mut c = Command::new(env!("CARGO_BIN_EXE_extguard"));
        c.args(args)
            .current_dir(self.dir.path())
            .env("TMPDIR", self.tmp())
            .env("RUST_BACKTRACE", "1")
            .env_remove(HOOK)
            .stdin(Stdio::null());
        if let Some(p) = panic_on {
            c.env(HOOK, p);
        }
        let out = c.output().unwrap();
        self.assert_no_temp_left();
        out
    }
}

fn extension_files(name: &str) -> Vec<(String, Vec<u8>)> {
    vec![
        (format!("{name}.control"), CONTROL.as_bytes().to_vec()),
        (
            format!("{name}--1.0.sql"),
            DEFINER.replace("g(", &format!("{name}_g(")).into_bytes(),
        ),
        (format!("{name}--1.0--1.1.sql"), BAD.as_bytes().to_vec()),
    ]
}

/// stderr holds exactly `n` panic lines (one per panic), each naming the
/// test hook, and no backtrace.
fn assert_panic_lines(o: &Output, n: usize) {
    let err = stderr(o);
    let lines: Vec<&str> = err
        .lines()
        .filter(|l| l.starts_with("extguard: internal error"))
        .collect();
    assert_eq!(lines.len(), n, "stderr: {err}");
    for l in &lines {
        assert!(l.contains("deliberate panic"), "{l}");
    }
    for noise in ["backtrace", "panicked at", "RUST_BACKTRACE", "stack"] {
        assert!(!err.contains(noise), "'{noise}' on stderr: {err}");
    }
}

/// `check --format json`: findings per file.
fn check_findings(o: &Output) -> (Vec<String>, Vec<Value>) {
    let doc: Value = serde_json::from_str(&stdout(o)).unwrap();
    let files = doc["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap().to_string())
        .collect();
    (files, doc["findings"].as_array().unwrap().clone())
}

fn of_path<'a>(findings: &'a [Value], path: &str) -> Vec<&'a Value> {
    findings.iter().filter(|f| f["path"] == path).collect()
}

/// The EG003 finding of a panic: one, at the start of `path`, an error.
fn assert_single_eg003(findings: &[&Value], path: &str) {
    assert_eq!(findings.len(), 1, "{path}: {findings:?}");
    let f = findings[0];
    assert_eq!(f["code"], "EG003", "{f}");
    assert_eq!(f["severity"], "error", "{f}");
    assert_eq!(f["path"], path, "{f}");
    assert_eq!(
        (&f["line"], &f["column"]),
        (&Value::from(1), &Value::from(1))
    );
    let msg = f["message"].as_str().unwrap();
    assert!(
        msg.starts_with("internal error while analysing") && msg.contains("deliberate panic"),
        "{msg}"
    );
}

#[test]
fn check_turns_a_panic_into_eg003_for_that_file_and_checks_the_others() {
    let s = Scratch::new();
    s.write("a.sql", BAD.as_bytes());
    s.write("boom.sql", BAD.as_bytes());
    s.write("c.sql", DEFINER.as_bytes());
    for append in [false, true] {
        let mut args = vec!["check", "--format", "json", "a.sql", "boom.sql", "c.sql"];
        if append {
            args.push("--append");
        }
        let before = s.run(&args, None);
        assert_eq!(before.status.code(), Some(1), "{}", stderr(&before));
        let (files_before, all_before) = check_findings(&before);

        let o = s.run(&args, Some("boom.sql"));
        assert_eq!(o.status.code(), Some(2), "append={append}: {}", stderr(&o));
        assert_panic_lines(&o, 1);
        let (files, all) = check_findings(&o);
        assert_eq!(files, files_before);
        assert_single_eg003(&of_path(&all, "boom.sql"), "boom.sql");
        for path in ["a.sql", "c.sql"] {
            let found = of_path(&all, path);
            assert!(!found.is_empty(), "{path}: no findings");
            assert_eq!(
                found,
                of_path(&all_before, path),
                "{path} (append={append})"
            );
        }
    }
    // The human format says it too, and the exit status is the same.
    let o = s.run(&["check", "a.sql", "boom.sql", "c.sql"], Some("boom.sql"));
    assert_eq!(o.status.code(), Some(2));
    let out = stdout(&o);
    assert!(out.contains("EG003"), "{out}");
    assert!(out.contains("a.sql") && out.contains("c.sql"), "{out}");
}

#[test]
fn check_of_a_directory_turns_a_panicking_extension_into_eg003() {
    let s = Scratch::new();
    for name in ["alpha", "boom", "gamma"] {
        s.extension(&format!("reg/{name}"), name);
    }
    s.write("reg/loose.sql", BAD.as_bytes());
    let args = ["check", "--format", "json", "reg"];
    let (_, before) = check_findings(&s.run(&args, None));
    let o = s.run(&args, Some("boom--1.0.sql"));
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert_panic_lines(&o, 1);
    let (files, all) = check_findings(&o);
    assert_single_eg003(
        &of_path(&all, "reg/boom/boom.control"),
        "reg/boom/boom.control",
    );
    assert!(
        !files.iter().any(|f| f.starts_with("reg/boom/boom--")),
        "{files:?}"
    );
    let others = |v: &[Value]| -> Vec<Value> {
        v.iter()
            .filter(|f| !f["path"].as_str().unwrap().starts_with("reg/boom/"))
            .cloned()
            .collect()
    };
    assert!(others(&all).len() >= 5, "{all:?}");
    assert_eq!(others(&all), others(&before));
}

/// `scan --format jsonl`: one unit per line.
fn units(o: &Output) -> Vec<Value> {
    stdout(o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn unit<'a>(units: &'a [Value], name: &str) -> &'a Value {
    units
        .iter()
        .find(|u| u["name"] == name)
        .unwrap_or_else(|| panic!("no unit {name}: {units:?}"))
}

/// A registry with three extensions and a loose SQL file.
fn registry(s: &Scratch) {
    for name in ["alpha", "boom", "gamma"] {
        s.extension(&format!("reg/{name}"), name);
    }
    s.write("reg/misc/loose.sql", BAD.as_bytes());
    s.write("reg/misc/boom-loose.sql", BAD.as_bytes());
}

#[test]
fn scan_jsonl_keeps_the_other_extensions_when_one_panics() {
    let s = Scratch::new();
    registry(&s);
    let args = ["scan", "--format", "jsonl", "reg"];
    let before = s.run(&args, None);
    assert_eq!(before.status.code(), Some(1), "{}", stderr(&before));
    let before = units(&before);

    // An extension's script panics: EG003 on its control file.
    for jobs in ["1", "2"] {
        let o = s.run(
            &["scan", "--format", "jsonl", "--jobs", jobs, "reg"],
            Some("boom--1.0.sql"),
        );
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        assert_panic_lines(&o, 1);
        let after = units(&o);
        assert_eq!(after.len(), before.len());
        let boom = unit(&after, "boom");
        assert_eq!(boom["kind"], "extension");
        let files = boom["files"].as_array().unwrap();
        assert_eq!(files.len(), 1, "{boom}");
        assert_eq!(files[0]["path"], "reg/boom/boom.control");
        let findings: Vec<&Value> = files[0]["findings"].as_array().unwrap().iter().collect();
        assert_single_eg003(&findings, "reg/boom/boom.control");
        assert_eq!(boom["summary"]["errors"], 1, "{boom}");
        for name in ["alpha", "gamma", "(unpackaged)"] {
            assert_eq!(unit(&after, name), unit(&before, name), "{name}");
        }
    }

    // A loose file panics: EG003 for that file, the group's other file intact.
    let o = s.run(&args, Some("boom-loose.sql"));
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert_panic_lines(&o, 1);
    let after = units(&o);
    for name in ["alpha", "boom", "gamma"] {
        assert_eq!(unit(&after, name), unit(&before, name), "{name}");
    }
    let loose = unit(&after, "(unpackaged)")["files"].as_array().unwrap();
    let loose_before = unit(&before, "(unpackaged)")["files"].as_array().unwrap();
    for (f, b) in loose.iter().zip(loose_before) {
        if f["path"] == "reg/misc/boom-loose.sql" {
            let findings: Vec<&Value> = f["findings"].as_array().unwrap().iter().collect();
            assert_single_eg003(&findings, "reg/misc/boom-loose.sql");
        } else {
            assert_eq!(f, b);
        }
    }
}

#[test]
fn scan_sarif_and_table_report_the_panic_and_keep_the_rest() {
    let s = Scratch::new();
    registry(&s);
    let sarif = |o: &Output| -> Value { serde_json::from_str(&stdout(o)).unwrap() };
    let before = sarif(&s.run(&["scan", "--format", "sarif", "reg"], None));
    let o = s.run(&["scan", "--format", "sarif", "reg"], Some("boom--1.0.sql"));
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert_panic_lines(&o, 1);
    let after = sarif(&o);
    let run = &after["runs"][0];
    assert_eq!(run["invocations"][0]["executionSuccessful"], false);
    assert_eq!(
        before["runs"][0]["invocations"][0]["executionSuccessful"],
        true
    );
    let results = |doc: &Value, ext: &str| -> Vec<Value> {
        doc["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["properties"]["extension"] == ext)
            .cloned()
            .collect()
    };
    let boom = results(&after, "boom");
    assert_eq!(boom.len(), 1, "{boom:?}");
    assert_eq!(boom[0]["ruleId"], "EG003");
    assert_eq!(boom[0]["level"], "error");
    assert_eq!(
        boom[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "reg/boom/boom.control"
    );
    assert!(boom[0]["message"]["text"]
        .as_str()
        .unwrap()
        .contains("deliberate panic"));
    for ext in ["alpha", "gamma", "(unpackaged)"] {
        let r = results(&after, ext);
        assert!(!r.is_empty(), "{ext}: no results");
        assert_eq!(r, results(&before, ext), "{ext}");
    }

    let o = s.run(&["scan", "reg"], Some("boom--1.0.sql"));
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert_panic_lines(&o, 1);
    let table = stdout(&o);
    let row = |name: &str| {
        table
            .lines()
            .find(|l| l.starts_with(&format!("{name} ")))
            .unwrap_or_else(|| panic!("no row {name}: {table}"))
            .to_string()
    };
    assert!(row("boom").contains("EG003x1"), "{table}");
    assert!(row("alpha").contains("PS003"), "{table}");
    assert!(row("gamma").contains("PS003"), "{table}");
    assert!(
        table.contains("3 extension(s), 1 unpackaged group(s)"),
        "{table}"
    );
}

fn make_tar_gz(path: &Path, files: &[(String, Vec<u8>)]) {
    let gz = flate2::write::GzEncoder::new(
        std::fs::File::create(path).unwrap(),
        flate2::Compression::fast(),
    );
    let mut t = tar::Builder::new(gz);
    for (name, data) in files {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        t.append_data(&mut h, name, data.as_slice()).unwrap();
    }
    t.into_inner().unwrap().finish().unwrap();
}

#[test]
fn scan_of_archives_isolates_a_panic_in_a_member_and_in_the_unpacker() {
    let s = Scratch::new();
    s.extension("reg/alpha", "alpha");
    std::fs::create_dir_all(s.path("reg")).unwrap();
    make_zip(&s.path("reg/gamma-1.0.zip"), &extension_files("gamma"));
    make_tar_gz(&s.path("reg/boom-1.0.tar.gz"), &extension_files("boom"));
    let args = ["scan", "--format", "jsonl", "reg"];
    let before = s.run(&args, None);
    assert_eq!(before.status.code(), Some(1), "{}", stderr(&before));
    let before = units(&before);
    assert_eq!(before.len(), 3, "{before:?}");

    // A script inside an archive: EG003 shown at the archive member.
    let o = s.run(&args, Some("gamma--1.0.sql"));
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert_panic_lines(&o, 1);
    let after = units(&o);
    let gamma = unit(&after, "gamma");
    let control = &gamma["files"][0];
    assert_eq!(control["path"], "reg/gamma-1.0.zip!/gamma.control");
    let findings: Vec<&Value> = control["findings"].as_array().unwrap().iter().collect();
    assert_single_eg003(&findings, "reg/gamma-1.0.zip!/gamma.control");
    for name in ["alpha", "boom"] {
        assert_eq!(unit(&after, name), unit(&before, name), "{name}");
    }

    // The unpacker itself panics on one archive: that source is skipped
    // with an error naming it, its temporary directory is removed (checked
    // by `run`), the other sources are complete.
    let o = s.run(&args, Some("boom-1.0.tar.gz"));
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert_panic_lines(&o, 1);
    let err = stderr(&o);
    assert!(
        err.contains("reg/boom-1.0.tar.gz: internal error (EG003) while reading this source"),
        "{err}"
    );
    let after = units(&o);
    assert_eq!(after.len(), 2, "{after:?}");
    for name in ["alpha", "gamma"] {
        assert_eq!(unit(&after, name), unit(&before, name), "{name}");
    }
}
