//! The one result model of `check` and `scan`: what the [`crate::driver`]
//! produces and every [`crate::report`] format reads.
//!
//! An [`Outcome`] is a list of units in input order (an extension, or a
//! group of SQL files that belong to none), each with its files and their
//! findings. A finding keeps a few lines of source (its [`Snippet`]) and a
//! fingerprint, not the whole file, so memory grows with the findings only.

use serde::Serialize;

use crate::driver::Package;
use crate::finding::{Finding, Severity};
use crate::source::SourceFile;

/// Counts for summaries.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
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

/// A few lines of source around a finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Snippet {
    /// Line number of `lines[0]`.
    pub start_line: usize,
    pub lines: Vec<String>,
    /// Characters left out at the start of every line, each then starting
    /// with `…`: the finding lies far to the right on a long line. Only
    /// written when not 0.
    #[serde(skip_serializing_if = "is_zero")]
    pub column_offset: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// A finding with its snippet and fingerprint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReportedFinding {
    #[serde(flatten)]
    pub finding: Finding,
    pub snippet: Snippet,
    /// Stays the same when lines move ([`crate::report::fingerprint`]).
    pub fingerprint: String,
}

/// One analysed file of a unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileResult {
    /// As displayed: `archive.zip!/dir/file.sql` for archive members.
    pub path: String,
    pub bytes: usize,
    pub lines: usize,
    /// Other names of this file in the unit (symbolic or hard links to
    /// it), which were not analysed again.
    pub links: Vec<String>,
    pub findings: Vec<ReportedFinding>,
}

/// What a unit is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum UnitKind {
    /// An extension found by its control file.
    Extension,
    /// SQL files that belong to no extension.
    Unpackaged,
}

/// The result for one extension (or one group of unpackaged files).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnitResult {
    pub name: String,
    pub kind: UnitKind,
    pub version: Option<String>,
    /// The directory or archive it came from.
    pub source: String,
    /// Registry metadata of the archive it came from.
    pub package: Option<Package>,
    /// The control file first, then every script in analysis order.
    pub files: Vec<FileResult>,
    /// Paths of the scripts CREATE EXTENSION runs, in order.
    pub install_chain: Vec<String>,
    pub summary: Summary,
    /// An extension's verdict and its reasons ([`crate::verdict`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verdict: Option<crate::verdict::Assessment>,
    /// The digests of its files, when a policy is to be written ([`crate::policy`]).
    #[serde(skip)]
    pub digests: Option<crate::policy::Digests>,
}

impl UnitResult {
    pub fn findings(&self) -> impl Iterator<Item = &ReportedFinding> {
        self.files.iter().flat_map(|f| &f.findings)
    }

    /// A unit of `files`, its summary computed from their findings.
    pub fn new(
        name: String,
        kind: UnitKind,
        version: Option<String>,
        source: &str,
        package: &Option<Package>,
        files: Vec<FileResult>,
        install_chain: Vec<String>,
    ) -> UnitResult {
        let summary = Summary::of(files.iter().flat_map(|f| &f.findings).map(|f| &f.finding));
        UnitResult {
            name,
            kind,
            version,
            source: source.to_string(),
            package: package.clone(),
            files,
            install_chain,
            summary,
            verdict: None,
            digests: None,
        }
    }
}

/// The outcome of a run, in input order.
#[derive(Debug, Default)]
pub struct Outcome {
    pub units: Vec<UnitResult>,
    /// Problems with inputs (unreadable paths, rejected archives), each
    /// naming the path; the run went on without them.
    pub errors: Vec<String>,
    /// Notes about inputs (skipped archive entries), not errors.
    pub notes: Vec<String>,
    /// An analysis panicked (reported as an EG003 finding).
    pub internal_error: bool,
    /// The run was interrupted; results are partial.
    pub interrupted: bool,
    /// Every shared library the inputs ship, when a policy is to be
    /// written ([`crate::policy::shipped_libraries`]), in input order.
    pub shipped_libraries: Vec<crate::policy::PackageLibrary>,
}

impl Outcome {
    pub fn findings(&self) -> impl Iterator<Item = &ReportedFinding> {
        self.units.iter().flat_map(|u| u.findings())
    }
}

/// How paths under a source's root are displayed.
pub struct Display {
    /// The root as analysed (temporary directory for archives).
    pub root: String,
    /// What replaces it (`archive.zip!`), or `None` to keep paths as they are.
    pub shown_as: Option<String>,
}

impl Display {
    /// Paths shown as they are.
    pub const PLAIN: Display = Display {
        root: String::new(),
        shown_as: None,
    };

    pub fn show(&self, path: &str) -> String {
        match &self.shown_as {
            Some(s) => match path.strip_prefix(&self.root) {
                Some(rest) => format!("{s}!{rest}"),
                None => path.to_string(),
            },
            None => path.to_string(),
        }
    }
}

/// Lines of context shown around a finding.
const CONTEXT_LINES: usize = 2;
/// At most this many lines of a finding's own span are kept.
const MAX_SPAN_LINES: usize = 12;
/// Longer lines are cut.
pub const MAX_LINE_CHARS: usize = 240;

/// A file's result as every report carries it: findings with their
/// snippet and fingerprint, paths as displayed; `links` are the file's
/// other names (not analysed again).
pub fn file_result(
    file: &SourceFile,
    findings: Vec<Finding>,
    links: &[String],
    display: &Display,
) -> FileResult {
    let lines: Vec<&str> = file.text.lines().collect();
    let findings = findings
        .into_iter()
        .map(|mut f| {
            f.path = display.show(&f.path);
            let first = f.line.saturating_sub(CONTEXT_LINES).max(1);
            let last = (f.end_line.max(f.line) + CONTEXT_LINES)
                .min(f.line + MAX_SPAN_LINES)
                .min(lines.len());
            // a finding past the cut keeps some of the line before it
            let column_offset = match f.column.saturating_sub(1) {
                c if c + 20 > MAX_LINE_CHARS => c - 40,
                _ => 0,
            };
            let snippet = Snippet {
                start_line: first,
                lines: (first..=last)
                    .filter_map(|n| lines.get(n - 1))
                    .map(|l| window(l, column_offset))
                    .collect(),
                column_offset,
            };
            ReportedFinding {
                fingerprint: crate::report::fingerprint::fingerprint(&f, &file.text),
                finding: f,
                snippet,
            }
        })
        .collect();
    FileResult {
        path: display.show(&file.path),
        bytes: file.text.len(),
        lines: file.line_count(),
        links: links.iter().map(|l| display.show(l)).collect(),
        findings,
    }
}

/// At most [`MAX_LINE_CHARS`] characters of `line` from character `from`
/// on, `…` marking what was left out.
fn window(line: &str, from: usize) -> String {
    let line = match from {
        0 => line,
        _ => line
            .char_indices()
            .nth(from)
            .map_or("", |(i, _)| &line[i..]),
    };
    let cut = match line.char_indices().nth(MAX_LINE_CHARS) {
        Some((i, _)) => format!("{}…", &line[..i]),
        None => line.to_string(),
    };
    match from {
        0 => cut,
        _ => format!("…{cut}"),
    }
}

/// Per-rule totals over all units, in rule-code order.
pub fn totals_per_rule(units: &[UnitResult]) -> std::collections::BTreeMap<&'static str, usize> {
    let mut totals = std::collections::BTreeMap::new();
    for f in units.iter().flat_map(|u| u.findings()) {
        *totals.entry(f.finding.code).or_insert(0) += 1;
    }
    totals
}

/// The most frequent codes of a unit, most frequent first (ties by code).
pub fn top_codes(u: &UnitResult, n: usize) -> Vec<(&'static str, usize)> {
    let mut counts = std::collections::BTreeMap::new();
    for f in u.findings() {
        *counts.entry(f.finding.code).or_insert(0usize) += 1;
    }
    let mut v: Vec<_> = counts.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    v.truncate(n);
    v
}
