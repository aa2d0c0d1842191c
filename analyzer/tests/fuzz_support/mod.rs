//! What every fuzz target checks, shared by the fuzz crate (`fuzz/`, which
//! includes this file) and the regression test over `corpus/fuzz-regressions/`.
//!
//! Beyond "does not panic", each check asserts the invariants a report
//! relies on: spans inside the file, positions that agree with the spans,
//! error offsets inside the input.

use extguard_analyzer::analysis::analyze_file;
use extguard_analyzer::extension::control;
use extguard_analyzer::{wasm, Config, Finding, SourceFile, State};

/// The fuzz targets, by name (also the sub-directories of the regression corpus).
pub const TARGETS: [&str; 4] = ["sql", "plpgsql", "control", "wasm"];

/// Run target `name` on `data`; panics on a crash or a broken invariant.
pub fn check(name: &str, data: &[u8]) {
    match name {
        "sql" => check_sql(data),
        "plpgsql" => check_plpgsql(data),
        "control" => check_control(data),
        "wasm" => check_wasm(data),
        other => panic!("unknown fuzz target {other}"),
    }
}

/// Bytes as an SQL file into the analyzer.
pub fn check_sql(data: &[u8]) {
    let file = SourceFile::new("fuzz.sql", data);
    let findings = analyze_file(&file, &Config::default(), &mut State::default());
    check_findings(&file, &findings);
}

/// Bytes as a PL/pgSQL body: in a DO block and in a CREATE FUNCTION.
pub fn check_plpgsql(data: &[u8]) {
    let body = String::from_utf8_lossy(data);
    for sql in [
        format!("DO $fz$ {body} $fz$;\n"),
        format!("CREATE FUNCTION s.fz(a int) RETURNS int LANGUAGE plpgsql AS $fz${body}$fz$;\n"),
    ] {
        let file = SourceFile::new("fuzz.sql", sql.as_bytes());
        let findings = analyze_file(&file, &Config::default(), &mut State::default());
        check_findings(&file, &findings);
    }
}

/// Bytes as a `.control` file.
pub fn check_control(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Err(e) = control::parse(&text) {
        assert!(
            e.offset <= text.len(),
            "error offset {} past the end",
            e.offset
        );
        assert!(
            text.is_char_boundary(e.offset),
            "error offset inside a character"
        );
    }
}

/// Bytes as a binary module, and as a text module, into the Wasm reader.
pub fn check_wasm(data: &[u8]) {
    if let Ok(s) = wasm::summarize(data) {
        for imp in &s.imports {
            assert!(
                imp.offset < data.len(),
                "import offset {} past the end",
                imp.offset
            );
        }
    }
    for path in ["fuzz.wasm", "fuzz.wat"] {
        let file = SourceFile::new(path, data);
        let findings = wasm::analyze(&file, data);
        check_findings(&file, &findings);
    }
}

/// Every finding's span lies in the file and its line/column agree with it.
pub fn check_findings(file: &SourceFile, findings: &[Finding]) {
    for f in findings {
        let s = f.span;
        assert!(
            s.start <= s.end && s.end <= file.text.len(),
            "{}: span {s:?} outside a file of {} bytes",
            f.code,
            file.text.len()
        );
        assert!(
            f.line >= 1 && f.column >= 1,
            "{}: position {}:{}",
            f.code,
            f.line,
            f.column
        );
        assert!(
            (f.line, f.column) <= (f.end_line, f.end_column),
            "{}: ends {}:{} before it starts {}:{}",
            f.code,
            f.end_line,
            f.end_column,
            f.line,
            f.column
        );
        assert_eq!(
            (f.line, f.column, f.end_line, f.end_column),
            {
                let (l, c) = file.line_col(s.start);
                let (el, ec) = file.line_col(s.end);
                (l, c, el, ec)
            },
            "{}: position does not match its span",
            f.code
        );
        assert!(
            f.line <= file.line_count(),
            "{}: line {} of {}",
            f.code,
            f.line,
            file.line_count()
        );
    }
}
