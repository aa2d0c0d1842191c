//! Output formats. Every format but `human` reads a [`crate::scan::Outcome`],
//! the one result model of `check` and `scan`: `json`, `pgspot`, `github`
//! here, `table`, `jsonl`, `sarif` and `html` in [`crate::scan`]. `human`
//! (codespan-reporting) also needs the files' text.

pub mod fingerprint;
mod github;
mod human;
mod json;
mod pgspot;
pub mod pgspot_text;

use crate::finding::{Finding, Severity};
use crate::source::SourceFile;

pub use github::write_github;
pub use human::write_human;
pub use json::{json_document, JSON_VERSION};
pub use pgspot::{finding_line as pgspot_line, write_pgspot};

/// The files of a run and their findings, in input order.
pub struct Report<'a> {
    pub files: &'a [SourceFile],
    /// Findings per file, same order as `files`.
    pub findings: &'a [Vec<Finding>],
    /// Extensions found among the files (by their control files).
    pub extensions: &'a [ExtensionSummary],
}

/// An extension of a run: which of the report's files are its control file
/// (the first) and scripts, and which scripts CREATE EXTENSION runs.
#[derive(Debug, Clone)]
pub struct ExtensionSummary {
    pub name: String,
    pub default_version: Option<String>,
    pub files: std::ops::Range<usize>,
    pub install_chain: Vec<usize>,
}

/// One line of the extension table.
struct Row<'a> {
    name: String,
    version: String,
    files: usize,
    summary: Summary,
    codes: std::collections::BTreeMap<&'a str, usize>,
}

impl<'a> Row<'a> {
    fn new(
        r: &'a Report,
        name: String,
        version: String,
        files: impl Iterator<Item = usize>,
    ) -> Self {
        let mut row = Row {
            name,
            version,
            files: 0,
            summary: Summary::default(),
            codes: Default::default(),
        };
        let mut all = Vec::new();
        for i in files {
            row.files += 1;
            for f in &r.findings[i] {
                *row.codes.entry(f.code).or_insert(0) += 1;
                all.push(f);
            }
        }
        row.summary = Summary::of(all);
        row
    }
}

/// Per extension (and per loose file): version, files, errors, warnings, top codes; then totals per rule.
pub fn extension_table(r: &Report) -> String {
    use std::fmt::Write;
    let mut covered = vec![false; r.files.len()];
    let mut rows = Vec::new();
    for e in r.extensions {
        for i in e.files.clone() {
            covered[i] = true;
        }
        rows.push(Row::new(
            r,
            e.name.clone(),
            e.default_version.clone().unwrap_or_else(|| "?".into()),
            e.files.clone(),
        ));
    }
    for (i, f) in r.files.iter().enumerate().filter(|(i, _)| !covered[*i]) {
        rows.push(Row::new(r, f.path.clone(), "-".into(), std::iter::once(i)));
    }
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<32} {:>8} {:>5} {:>6} {:>8}  top codes",
        "extension", "version", "files", "errors", "warnings"
    );
    let mut totals: std::collections::BTreeMap<&str, usize> = Default::default();
    for row in &rows {
        let mut top: Vec<_> = row.codes.iter().collect();
        top.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        let top: Vec<String> = top
            .iter()
            .take(3)
            .map(|(c, k)| format!("{c}x{k}"))
            .collect();
        let s = row.summary;
        let _ = writeln!(
            out,
            "{:<32} {:>8} {:>5} {:>6} {:>8}  {}",
            row.name,
            row.version,
            row.files,
            s.errors + s.parse_errors,
            s.warnings,
            top.join(" ")
        );
        for (c, k) in &row.codes {
            *totals.entry(c).or_insert(0) += k;
        }
    }
    let totals: Vec<String> = totals.iter().map(|(c, k)| format!("{c}: {k}")).collect();
    let _ = writeln!(
        out,
        "totals per rule: {}\n",
        if totals.is_empty() {
            "none".to_string()
        } else {
            totals.join(", ")
        }
    );
    out
}

/// Counts for summaries.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Summary {
    pub errors: usize,
    pub warnings: usize,
    pub parse_errors: usize,
}

impl Summary {
    pub fn of<'a>(findings: impl IntoIterator<Item = &'a Finding>) -> Summary {
        let mut s = Summary::default();
        for f in findings {
            if f.is_parse_error() {
                s.parse_errors += 1;
            } else if f.severity == Severity::Error {
                s.errors += 1;
            } else if f.severity == Severity::Warning {
                s.warnings += 1;
            }
        }
        s
    }
}
