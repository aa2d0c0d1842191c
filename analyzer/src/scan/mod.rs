//! `extguard scan`: a batch scan of an extension registry.
//!
//! Paths (directory trees, PGXN `.zip`, Trunk `.tar.gz`, Debian `.deb`, and
//! archives found inside directories) become [`inputs::Source`]s. Each
//! source is read (archives are [`archive::unpack`]ed safely into a
//! temporary directory that lives only while that source is analysed),
//! split into units (one per extension, with its install chain and every
//! update script, plus one "unpackaged" group of SQL files without a
//! control file) and analysed in parallel with rayon. Results are kept in
//! input order, so the output does not depend on the number of threads,
//! and are compact ([`UnitResult`]: findings with a few lines of source,
//! not whole files), so memory grows with the findings only.
//!
//! Outputs: [`table`] (stdout summary), [`jsonl`], [`sarif`] and [`html`].

pub mod archive;
pub mod html;
pub mod inputs;
pub mod sarif;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use rayon::prelude::*;
use serde::Serialize;

use crate::analysis::analyze_file;
use crate::config::Config;
use crate::extension::{self, Extension};
use crate::finding::{Finding, Severity};
use crate::report::Summary;
use crate::rules;
use crate::search_path::State;
use crate::source::SourceFile;
use crate::span::Span;

pub use archive::{ArchiveKind, Limits};
pub use inputs::{Package, Source};

static CANCELLED: AtomicBool = AtomicBool::new(false);

/// Has the scan been interrupted (Ctrl-C)?
pub fn cancelled() -> bool {
    CANCELLED.load(Ordering::Relaxed)
}

/// Ask a running scan to stop: unpacking stops at the next buffer, no new
/// unit is analysed, and every temporary directory is removed as the scan
/// unwinds.
pub fn cancel() {
    CANCELLED.store(true, Ordering::Relaxed);
}

/// Make Ctrl-C (SIGINT; SIGTERM and SIGHUP too) [`cancel`] the scan; a
/// second one removes the temporary directories and exits at once.
pub fn install_interrupt_handler() -> Result<(), String> {
    ctrlc::set_handler(|| {
        if CANCELLED.swap(true, Ordering::Relaxed) {
            archive::remove_live_dirs();
            std::process::exit(130);
        }
    })
    .map_err(|e| format!("cannot install the Ctrl-C handler: {e}"))
}

/// How to scan.
#[derive(Debug, Clone)]
pub struct Options {
    pub config: Config,
    pub limits: Limits,
    /// Worker threads (0: all cores).
    pub jobs: usize,
    /// Draw a progress bar on stderr.
    pub progress: bool,
}

/// A few lines of source around a finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Snippet {
    /// Line number of `lines[0]`.
    pub start_line: usize,
    pub lines: Vec<String>,
}

/// A finding with its snippet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScanFinding {
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
    pub findings: Vec<ScanFinding>,
}

/// What a unit is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum UnitKind {
    /// An extension found by its control file.
    Extension,
    /// SQL files of a source that belong to no extension.
    Unpackaged,
}

/// The result for one extension (or one unpackaged group).
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
}

impl UnitResult {
    pub fn findings(&self) -> impl Iterator<Item = &ScanFinding> {
        self.files.iter().flat_map(|f| &f.findings)
    }
}

/// The outcome of a scan, in input order.
#[derive(Debug, Default)]
pub struct Outcome {
    pub units: Vec<UnitResult>,
    /// Problems with inputs (unreadable paths, rejected archives), each
    /// naming the path; the scan went on without them.
    pub errors: Vec<String>,
    /// Notes about inputs (skipped archive entries), not errors.
    pub notes: Vec<String>,
    /// An analysis panicked (reported as an EG003 finding).
    pub internal_error: bool,
    /// The scan was interrupted; results are partial.
    pub interrupted: bool,
}

/// Scan `paths`.
///
/// Directory trees are discovered first; then every extension of a tree,
/// every tree's unpackaged group and every archive becomes one task. Tasks
/// run largest first, each worker taking the next one when it is free, so a
/// few very large scripts do not leave one thread working alone at the end.
/// Results go back into input order.
pub fn scan(paths: &[PathBuf], opts: &Options) -> Result<Outcome, String> {
    Ok(workers(opts.jobs)?.install(|| scan_here(paths, opts)))
}

/// The scan's worker pool: `jobs` threads (0: one per core). The CLI also
/// writes the output on it.
pub fn workers(jobs: usize) -> Result<rayon::ThreadPool, String> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .thread_name(|i| format!("extguard-scan-{i}"))
        .build()
        .map_err(|e| format!("cannot start worker threads: {e}"))
}

/// [`scan`] on the workers of the current rayon pool (`opts.jobs` is not
/// used): for callers that run many small scans in a pool of their own,
/// such as the benchmark that times a scan against a bare parse extension
/// by extension.
pub fn scan_here(paths: &[PathBuf], opts: &Options) -> Outcome {
    let mut out = Outcome::default();
    let sources = inputs::collect_sources(paths, &mut out.errors);
    let trees: Vec<Option<extension::Discovery>> = sources
        .par_iter()
        .map(|s| match s {
            Source::Dir(dir) => Some(extension::discover(dir)),
            Source::Archive(..) => None,
        })
        .collect();
    let mut tasks = Vec::new();
    for (i, (source, tree)) in sources.iter().zip(&trees).enumerate() {
        match tree {
            Some(found) => {
                let sizes: Vec<u64> = found
                    .extensions
                    .par_iter()
                    .map(|e| {
                        let mut seen = std::collections::HashSet::new();
                        e.scripts
                            .iter()
                            .filter(|s| s.file.same.is_none_or(|id| seen.insert(id)))
                            .map(|s| file_size(&s.path))
                            .sum()
                    })
                    .collect();
                for (j, bytes) in sizes.into_iter().enumerate() {
                    tasks.push((Task::Extension(i, j), bytes));
                }
                if !found.loose_sql.is_empty() {
                    let bytes = found.loose_sql.iter().map(|p| file_size(p)).sum();
                    tasks.push((Task::Loose(i), bytes));
                }
            }
            // Compressed: weigh it as a few times its size.
            None => tasks.push((Task::Archive(i), file_size(source.path()) * 4)),
        }
    }
    let bar = progress_bar(opts.progress, tasks.len());
    let run = |task: &Task| {
        let r = if cancelled() {
            SourceResult::default()
        } else {
            // Files and extensions catch their own panics (EG003); this
            // catches the rest (unpacking, discovery inside an archive), so
            // that one source cannot take the other sources' results down.
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                run_task(task, &sources, &trees, opts)
            }))
            .unwrap_or_else(|p| SourceResult::panicked(sources[task.source()].path(), p))
        };
        bar.inc(1);
        bar.set_message(sources[task.source()].path().display().to_string());
        r
    };
    let results = largest_first(&tasks, run);
    bar.finish_and_clear();
    // Back into input order: per source, the tree's own errors, then its
    // units in discovery order.
    let mut per_source: Vec<SourceResult> = trees
        .iter()
        .zip(&sources)
        .map(|(tree, source)| {
            let mut r = SourceResult::default();
            if let (Some(found), Source::Dir(dir)) = (tree, source) {
                let display = Display {
                    root: dir.display().to_string(),
                    shown_as: None,
                };
                r.errors
                    .extend(found.errors.iter().map(|e| display.show(e)));
            }
            r
        })
        .collect();
    for ((task, _), r) in tasks.iter().zip(results) {
        let into = &mut per_source[task.source()];
        into.units.extend(r.units);
        into.errors.extend(r.errors);
        into.notes.extend(r.notes);
        into.internal_error |= r.internal_error;
    }
    for r in per_source {
        out.units.extend(r.units);
        out.errors.extend(r.errors);
        out.notes.extend(r.notes);
        out.internal_error |= r.internal_error;
    }
    out.interrupted = cancelled();
    out
}

/// One piece of scan work; the numbers index sources and a tree's extensions.
enum Task {
    Extension(usize, usize),
    Loose(usize),
    Archive(usize),
}

impl Task {
    fn source(&self) -> usize {
        match *self {
            Task::Extension(i, _) | Task::Loose(i) | Task::Archive(i) => i,
        }
    }
}

fn file_size(p: &Path) -> u64 {
    std::fs::metadata(p).map(|m| m.len()).unwrap_or(0)
}

fn run_task(
    task: &Task,
    sources: &[Source],
    trees: &[Option<extension::Discovery>],
    opts: &Options,
) -> SourceResult {
    let source = &sources[task.source()];
    let label = source.path().display().to_string();
    let display = Display {
        root: label.clone(),
        shown_as: None,
    };
    let mut r = SourceResult::default();
    match *task {
        Task::Extension(i, j) => {
            if let Some(found) = &trees[i] {
                let u = analyse_extension(&found.extensions[j], &label, &None, &display, opts);
                r.add(u);
            }
        }
        Task::Loose(i) => {
            if let Some(found) = &trees[i] {
                let u = analyse_loose(found, &label, &None, &display, opts);
                r.add(u);
            }
        }
        Task::Archive(_) => {
            if let Source::Archive(path, kind) = source {
                scan_archive(path, *kind, &label, opts, &mut r);
            }
        }
    }
    r
}

/// Run `f` over `items` (each with a weight) on the workers of the current
/// pool, heaviest first, each worker taking the next item when it
/// is free; results in the order of `items`.
fn largest_first<T: Sync, R: Send>(items: &[(T, u64)], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    use std::sync::atomic::AtomicUsize;
    use std::sync::Mutex;
    let mut order: Vec<usize> = (0..items.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(items[i].1));
    let next = AtomicUsize::new(0);
    let done: Mutex<Vec<(usize, R)>> = Mutex::new(Vec::with_capacity(items.len()));
    let workers = rayon::current_num_threads();
    rayon::scope(|s| {
        for _ in 0..workers.min(items.len()) {
            s.spawn(|_| loop {
                let k = next.fetch_add(1, Ordering::Relaxed);
                let Some(&i) = order.get(k) else { break };
                let r = f(&items[i].0);
                done.lock().unwrap_or_else(|e| e.into_inner()).push((i, r));
            });
        }
    });
    let mut done = done.into_inner().unwrap_or_else(|e| e.into_inner());
    done.sort_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, r)| r).collect()
}

fn progress_bar(enabled: bool, len: usize) -> indicatif::ProgressBar {
    use std::io::IsTerminal;
    if !enabled || !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(len as u64);
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{bar:30} {pos}/{len} extensions and archives {elapsed_precise} {wide_msg}",
    ) {
        bar.set_style(style);
    }
    bar
}

#[derive(Default)]
struct SourceResult {
    units: Vec<UnitResult>,
    errors: Vec<String>,
    notes: Vec<String>,
    internal_error: bool,
}

impl SourceResult {
    /// A task that panicked outside the analysis of a file or extension:
    /// an input error naming the source, and the internal-error flag.
    fn panicked(source: &Path, payload: Box<dyn std::any::Any + Send>) -> SourceResult {
        SourceResult {
            errors: vec![format!(
                "{}: internal error (EG003) while reading this source: {}; source skipped",
                source.display(),
                panic_message(payload.as_ref())
            )],
            internal_error: true,
            ..SourceResult::default()
        }
    }

    fn add(&mut self, u: UnitResult) {
        self.internal_error |= u.findings().any(|f| f.finding.code == rules::EG003.code);
        self.units.push(u);
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
    fn show(&self, path: &str) -> String {
        match &self.shown_as {
            Some(s) => match path.strip_prefix(&self.root) {
                Some(rest) => format!("{s}!{rest}"),
                None => path.to_string(),
            },
            None => path.to_string(),
        }
    }
}

/// Unpack an archive and analyse what it holds; the temporary directory
/// is removed when this returns.
fn scan_archive(path: &Path, kind: ArchiveKind, label: &str, opts: &Options, r: &mut SourceResult) {
    let unpacked = match archive::unpack(path, kind, &opts.limits) {
        Ok(u) => u,
        Err(e) => {
            if !cancelled() {
                r.errors.push(format!("{label}: {e}; archive skipped"));
            }
            return;
        }
    };
    r.notes.extend(
        unpacked
            .skipped
            .iter()
            .map(|s| format!("{label}: skipped {s}")),
    );
    let package = match inputs::read_package(unpacked.root()) {
        Ok(p) => p,
        Err(e) => {
            r.errors.push(format!("{label}: {e}"));
            None
        }
    };
    let display = Display {
        root: unpacked.root().display().to_string(),
        shown_as: Some(label.to_string()),
    };
    let found = extension::discover(unpacked.root());
    r.errors
        .extend(found.errors.iter().map(|e| display.show(e)));
    let mut units: Vec<Option<UnitResult>> = found
        .extensions
        .par_iter()
        .map(|e| (!cancelled()).then(|| analyse_extension(e, label, &package, &display, opts)))
        .collect();
    if !found.loose_sql.is_empty() && !cancelled() {
        units.push(Some(analyse_loose(&found, label, &package, &display, opts)));
    }
    for u in units.into_iter().flatten() {
        r.add(u);
    }
}

fn analyse_extension(
    ext: &Extension,
    label: &str,
    package: &Option<Package>,
    display: &Display,
    opts: &Options,
) -> UnitResult {
    let report = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        extension::analyze(ext, &opts.config)
    }));
    let (files, findings, chain, version, links) = match report {
        Ok(rep) => (
            rep.files,
            rep.findings,
            rep.install_chain,
            rep.default_version,
            rep.links,
        ),
        Err(p) => {
            let path = ext.control_path.display().to_string();
            let file = SourceFile::new(path.clone(), ext.control_text.as_bytes());
            let f = internal_error(&path, &format!("extension {}", ext.name), p);
            (
                vec![file],
                vec![vec![f]],
                Vec::new(),
                None,
                vec![Vec::new()],
            )
        }
    };
    let install_chain = chain
        .iter()
        .map(|&i| display.show(&files[i].path))
        .collect();
    let files: Vec<FileResult> = files
        .iter()
        .zip(findings)
        .zip(links)
        .map(|((f, fs), links)| file_result(f, fs, &links, display))
        .collect();
    unit(
        ext.name.clone(),
        UnitKind::Extension,
        version,
        label,
        package,
        files,
        install_chain,
    )
}

fn analyse_loose(
    found: &extension::Discovery,
    label: &str,
    package: &Option<Package>,
    display: &Display,
    opts: &Options,
) -> UnitResult {
    let files: Vec<FileResult> = found
        .loose_sql
        .par_iter()
        .map(|p| {
            let links: Vec<String> = found
                .links
                .get(p)
                .into_iter()
                .flatten()
                .map(|l| l.display().to_string())
                .collect();
            let shown = p.display().to_string();
            let bytes = match std::fs::read(p) {
                Ok(b) => b,
                Err(e) => {
                    let file = SourceFile::new(shown.clone(), b"");
                    let f = diagnostic(&file, &format!("cannot read file: {e}"));
                    return file_result(&file, vec![f], &links, display);
                }
            };
            let file = SourceFile::new(shown.clone(), &bytes);
            let mut state = State::new(opts.config.trusted_schema.iter().cloned());
            let fs = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                analyze_file(&file, &opts.config, &mut state)
            }))
            .unwrap_or_else(|p| vec![internal_error(&shown, "this file", p)]);
            file_result(&file, fs, &links, display)
        })
        .collect();
    let name = match package.as_ref().and_then(|p| p.name.clone()) {
        Some(n) => format!("{n} (unpackaged)"),
        None => "(unpackaged)".to_string(),
    };
    unit(
        name,
        UnitKind::Unpackaged,
        package.as_ref().and_then(|p| p.version.clone()),
        label,
        package,
        files,
        Vec::new(),
    )
}

/// A unit made of already analysed files (what `extguard check` found), so
/// that check and scan share one outcome and one set of reports.
pub fn unit_of_files(
    name: String,
    kind: UnitKind,
    version: Option<String>,
    source: &str,
    files: &[SourceFile],
    findings: Vec<Vec<Finding>>,
    install_chain: Vec<String>,
) -> UnitResult {
    let display = Display {
        root: String::new(),
        shown_as: None,
    };
    let files = files
        .iter()
        .zip(findings)
        .map(|(f, fs)| file_result(f, fs, &[], &display))
        .collect();
    unit(name, kind, version, source, &None, files, install_chain)
}

fn unit(
    name: String,
    kind: UnitKind,
    version: Option<String>,
    label: &str,
    package: &Option<Package>,
    files: Vec<FileResult>,
    install_chain: Vec<String>,
) -> UnitResult {
    let summary = Summary::of(files.iter().flat_map(|f| &f.findings).map(|f| &f.finding));
    UnitResult {
        name,
        kind,
        version,
        source: label.to_string(),
        package: package.clone(),
        files,
        install_chain,
        summary,
    }
}

/// Lines of context shown around a finding.
const CONTEXT_LINES: usize = 2;
/// At most this many lines of a finding's own span are kept.
const MAX_SPAN_LINES: usize = 12;
/// Longer lines are cut.
const MAX_LINE_CHARS: usize = 240;

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
            let snippet = Snippet {
                start_line: first,
                lines: (first..=last)
                    .filter_map(|n| lines.get(n - 1))
                    .map(|l| cut(l))
                    .collect(),
            };
            ScanFinding {
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

fn cut(line: &str) -> String {
    match line.char_indices().nth(MAX_LINE_CHARS) {
        Some((i, _)) => format!("{}…", &line[..i]),
        None => line.to_string(),
    }
}

fn diagnostic(file: &SourceFile, message: &str) -> Finding {
    Finding {
        code: rules::EG005.code,
        severity: Severity::Error,
        title: rules::EG005.title,
        message: message.to_string(),
        path: file.path.clone(),
        line: 1,
        column: 1,
        end_line: 1,
        end_column: 1,
        object: None,
        span: Span::new(0, 0),
        pgspot_context: None,
    }
}

/// The EG003 finding for a panic caught while analysing `what` (a file, an extension).
pub fn internal_error(path: &str, what: &str, payload: Box<dyn std::any::Any + Send>) -> Finding {
    let msg = panic_message(payload.as_ref());
    Finding {
        code: rules::EG003.code,
        severity: Severity::Error,
        title: rules::EG003.title,
        message: format!("internal error while analysing {what}: {msg}"),
        path: path.to_string(),
        line: 1,
        column: 1,
        end_line: 1,
        end_column: 1,
        object: None,
        span: Span::new(0, 0),
        pgspot_context: None,
    }
}

/// The message of a panic payload (`panic!` gives a `&str` or a `String`).
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic".into())
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

/// The summary table printed on stdout: per unit, then totals per rule.
pub fn table(o: &Outcome) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<32} {:>10} {:>5} {:>6} {:>8}  {:<24} source",
        "extension", "version", "files", "errors", "warnings", "top codes"
    );
    let mut all = Summary::default();
    for u in &o.units {
        let top: Vec<String> = top_codes(u, 3)
            .iter()
            .map(|(c, k)| format!("{c}x{k}"))
            .collect();
        let s = u.summary;
        all.errors += s.errors;
        all.warnings += s.warnings;
        all.parse_errors += s.parse_errors;
        let _ = writeln!(
            out,
            "{:<32} {:>10} {:>5} {:>6} {:>8}  {:<24} {}",
            u.name,
            u.version.as_deref().unwrap_or("-"),
            u.files.len(),
            s.errors + s.parse_errors,
            s.warnings,
            top.join(" "),
            u.source
        );
    }
    let totals: Vec<String> = totals_per_rule(&o.units)
        .iter()
        .map(|(c, k)| format!("{c}: {k}"))
        .collect();
    let _ = writeln!(
        out,
        "\n{} extension(s), {} unpackaged group(s), {} file(s): {} error(s), {} warning(s); {} input error(s)",
        o.units
            .iter()
            .filter(|u| u.kind == UnitKind::Extension)
            .count(),
        o.units
            .iter()
            .filter(|u| u.kind == UnitKind::Unpackaged)
            .count(),
        o.units.iter().map(|u| u.files.len()).sum::<usize>(),
        all.errors + all.parse_errors,
        all.warnings,
        o.errors.len()
    );
    let _ = writeln!(
        out,
        "totals per rule: {}",
        if totals.is_empty() {
            "none".to_string()
        } else {
            totals.join(", ")
        }
    );
    out
}

/// One JSON object per unit, one per line.
pub fn jsonl(
    o: &Outcome,
    out: &mut dyn std::io::Write,
    pool: &rayon::ThreadPool,
) -> std::io::Result<()> {
    // Lines are serialised on the pool's workers and written in order by
    // the caller, a few per worker at a time. An extension with thousands
    // of findings (a line of megabytes) is streamed by the caller instead,
    // so that memory stays what it was without the parallel part.
    const STREAMED: usize = 1000;
    for chunk in o.units.chunks(4 * pool.current_num_threads()) {
        let lines: Vec<Option<Vec<u8>>> = pool
            .install(|| {
                chunk
                    .par_iter()
                    .map(|u| {
                        if u.findings().nth(STREAMED).is_some() {
                            return Ok(None);
                        }
                        let mut line = serde_json::to_vec(u)?;
                        line.push(b'\n');
                        Ok(Some(line))
                    })
                    .collect::<Result<_, serde_json::Error>>()
            })
            .map_err(std::io::Error::other)?;
        for (u, line) in chunk.iter().zip(lines) {
            match line {
                Some(line) => out.write_all(&line)?,
                None => {
                    serde_json::to_writer(&mut *out, u).map_err(std::io::Error::other)?;
                    writeln!(out)?;
                }
            }
        }
    }
    Ok(())
}
