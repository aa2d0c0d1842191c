//! The one result model of `check` and `scan`: what the [`crate::driver`]
//! produces and every [`crate::report`] format reads.
//!
//! An [`Outcome`] is a list of units in input order (an extension, or a
//! group of SQL files that belong to none), each with its files and their
//! findings. A finding keeps a few lines of source (its [`Snippet`]) and a
//! fingerprint, not the whole file, so memory grows with the findings only;
//! each only when the chosen output prints it ([`Detail`]).

use std::sync::Arc;

use serde::Serialize;

use crate::driver::Package;
use crate::finding::{Finding, Severity};
pub use crate::report::fingerprint::Fingerprint;
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

/// A few lines of source around a finding: a run of the lines of its
/// file's [`Excerpt`], which holds each line the file's snippets show once.
#[derive(Debug, Clone)]
pub struct Snippet {
    /// Line number of the first line.
    pub start_line: usize,
    /// Characters left out at the start of every line, each then starting
    /// with `…`: the finding lies far to the right on a long line. Only
    /// written when not 0.
    pub column_offset: usize,
    excerpt: Arc<Excerpt>,
    /// The lines are the excerpt's `first..first + count`.
    first: usize,
    count: usize,
}

/// The lines a file's snippets show, each once (many findings share
/// lines), as one string.
#[derive(Debug, Default)]
struct Excerpt {
    text: String,
    /// Where each line ends in `text`.
    ends: Vec<usize>,
}

impl Snippet {
    /// The lines, without their line ends.
    pub fn lines(&self) -> impl Iterator<Item = &str> + Clone {
        let e = &self.excerpt;
        (self.first..self.first + self.count).map(move |i| {
            let start = if i == 0 { 0 } else { e.ends[i - 1] };
            &e.text[start..e.ends[i]]
        })
    }
}

impl PartialEq for Snippet {
    fn eq(&self, other: &Snippet) -> bool {
        self.start_line == other.start_line
            && self.column_offset == other.column_offset
            && self.lines().eq(other.lines())
    }
}

impl Eq for Snippet {}

/// As `{"start_line", "lines": [...], "column_offset"}`, the offset only
/// when not 0.
impl Serialize for Snippet {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        struct Lines<'a>(&'a Snippet);
        impl Serialize for Lines<'_> {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_seq(self.0.lines())
            }
        }
        let offset = self.column_offset != 0;
        let mut st = s.serialize_struct("Snippet", 2 + usize::from(offset))?;
        st.serialize_field("start_line", &self.start_line)?;
        st.serialize_field("lines", &Lines(self))?;
        if offset {
            st.serialize_field("column_offset", &self.column_offset)?;
        } else {
            st.skip_field("column_offset")?;
        }
        st.end()
    }
}

/// What of a finding's context the output prints: what it does not print
/// is not computed, so a run over many findings keeps neither their source
/// lines nor their fingerprints for, say, the pgspot or table format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Detail {
    /// Each finding's [`Snippet`].
    pub snippets: bool,
    /// Each finding's [`Fingerprint`].
    pub fingerprints: bool,
}

impl Detail {
    pub const ALL: Detail = Detail {
        snippets: true,
        fingerprints: true,
    };
    pub const NONE: Detail = Detail {
        snippets: false,
        fingerprints: false,
    };
    pub const SNIPPETS: Detail = Detail {
        snippets: true,
        fingerprints: false,
    };
    pub const FINGERPRINTS: Detail = Detail {
        snippets: false,
        fingerprints: true,
    };

    /// What either needs.
    pub fn and(self, other: Detail) -> Detail {
        Detail {
            snippets: self.snippets || other.snippets,
            fingerprints: self.fingerprints || other.fingerprints,
        }
    }
}

impl Default for Detail {
    fn default() -> Self {
        Detail::ALL
    }
}

/// A finding with its snippet and fingerprint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReportedFinding {
    #[serde(flatten)]
    pub finding: Finding,
    /// Set when [`Detail::snippets`] asks for it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub snippet: Option<Snippet>,
    /// Stays the same when lines move; set when [`Detail::fingerprints`]
    /// asks for it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<Fingerprint>,
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
/// snippet and fingerprint as `detail` asks, paths as displayed; `links`
/// are the file's other names (not analysed again).
pub fn file_result(
    file: &SourceFile,
    findings: Vec<Finding>,
    links: &[String],
    display: &Display,
    detail: Detail,
) -> FileResult {
    let path = display.show(&file.path);
    let mut snippets = detail
        .snippets
        .then(|| snippets(file, &findings).into_iter());
    let findings = findings
        .into_iter()
        .map(|mut f| {
            f.path = if f.path == file.path {
                path.clone()
            } else {
                display.show(&f.path)
            };
            ReportedFinding {
                snippet: snippets.as_mut().and_then(Iterator::next),
                fingerprint: detail
                    .fingerprints
                    .then(|| crate::report::fingerprint::fingerprint(&f, &file.text)),
                finding: f,
            }
        })
        .collect();
    FileResult {
        path,
        bytes: file.text.len(),
        lines: file.line_count(),
        links: links.iter().map(|l| display.show(l)).collect(),
        findings,
    }
}

/// The snippet of each finding: its lines with [`CONTEXT_LINES`] around
/// them (at most [`MAX_SPAN_LINES`] of its own), each cut to
/// [`MAX_LINE_CHARS`], all from one [`Excerpt`] of the file.
fn snippets(file: &SourceFile, findings: &[Finding]) -> Vec<Snippet> {
    // (column offset, first line, line count) of each
    let runs: Vec<(usize, usize, usize)> = findings
        .iter()
        .map(|f| {
            let first = f.line.saturating_sub(CONTEXT_LINES).max(1);
            let last = (f.end_line.max(f.line) + CONTEXT_LINES).min(f.line + MAX_SPAN_LINES);
            let count = (first..=last)
                .take_while(|&n| file.line_text(n).is_some())
                .count();
            // a finding past the cut keeps some of the line before it
            let offset = match f.column.saturating_sub(1) {
                c if c + 20 > MAX_LINE_CHARS => c - 40,
                _ => 0,
            };
            (offset, first, count)
        })
        .collect();
    // every (offset, line) shown, in order: a run's lines are consecutive
    let mut keys: Vec<(usize, usize)> = runs
        .iter()
        .flat_map(|&(offset, first, count)| (first..first + count).map(move |n| (offset, n)))
        .collect();
    keys.sort_unstable();
    keys.dedup();
    let mut excerpt = Excerpt::default();
    for &(offset, n) in &keys {
        window(&mut excerpt.text, file.line_text(n).unwrap_or(""), offset);
        excerpt.ends.push(excerpt.text.len());
    }
    excerpt.text.shrink_to_fit();
    let excerpt = Arc::new(excerpt);
    runs.into_iter()
        .map(|(column_offset, start_line, count)| Snippet {
            start_line,
            column_offset,
            first: keys.partition_point(|&k| k < (column_offset, start_line)),
            count,
            excerpt: excerpt.clone(),
        })
        .collect()
}

/// Append at most [`MAX_LINE_CHARS`] characters of `line` from character
/// `from` on, `…` marking what was left out.
fn window(out: &mut String, line: &str, from: usize) {
    let line = match from {
        0 => line,
        _ => {
            out.push('…');
            line.char_indices()
                .nth(from)
                .map_or("", |(i, _)| &line[i..])
        }
    };
    match line.char_indices().nth(MAX_LINE_CHARS) {
        Some((i, _)) => {
            out.push_str(&line[..i]);
            out.push('…');
        }
        None => out.push_str(line),
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
