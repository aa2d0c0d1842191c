//! The one driver of `check` and `scan`: command-line paths in, an
//! [`Outcome`] out, which every [`crate::report`] format reads.
//!
//! Paths (SQL files, stdin, directory trees, packages: PGXN `.zip` and
//! `.trunk`, Trunk `.tar.gz`, Debian `.deb`, `.rpm`, container images,
//! pg_tle JSON; with [`Mode::Scan`] those found inside directories too)
//! become [`inputs::Source`]s. Each source is read (archives
//! are [`archive::unpack`]ed safely into a temporary directory that lives
//! only while that source is analysed), split into units (one per
//! extension, with its install chain and every update script, plus one
//! group of SQL files that belong to no extension) and analysed in
//! parallel with rayon. Results are kept in input order, so the output does
//! not depend on the number of threads, and are compact (findings with a
//! few lines of source, not whole files), so memory grows with the
//! findings only.

pub mod archive;
pub mod inputs;
pub mod oci;
pub mod pgtle;
mod repeats;
pub mod trunk;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use rayon::prelude::*;

use crate::analysis::analyze_file;
use crate::config::Config;
use crate::extension::{self, Extension};
use crate::finding::Finding;
use crate::outcome::{file_result, Display, FileResult, Outcome, UnitKind, UnitResult};
use crate::rules;
use crate::search_path::State;
use crate::source::SourceFile;
use crate::span::Span;
use crate::wasm;
use repeats::Repeats;

pub use archive::{ArchiveKind, Limits};
pub use inputs::{Package, Source};

static CANCELLED: AtomicBool = AtomicBool::new(false);

/// Has the run been interrupted (Ctrl-C)?
pub fn cancelled() -> bool {
    CANCELLED.load(Ordering::Relaxed)
}

/// Ask a running run to stop: unpacking stops at the next buffer, no new
/// unit is analysed, and every temporary directory is removed as the run
/// unwinds.
pub fn cancel() {
    CANCELLED.store(true, Ordering::Relaxed);
}

/// Make Ctrl-C (SIGINT; SIGTERM and SIGHUP too) [`cancel`] the run; a
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

/// Whose input it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Your own code (`extguard check`): a file named on the command line
    /// is SQL whatever its name, `-` is stdin; directories are searched for
    /// SQL, control files and Wasm modules.
    Check,
    /// Packages (`extguard scan`): directories are searched for archives
    /// too; named files must be archives, SQL files or Wasm modules.
    Scan,
    /// Two versions of packages (`extguard diff`), each read as [`Mode::Scan`] reads it.
    Diff,
}

/// How to run.
#[derive(Debug, Clone)]
pub struct Options {
    pub config: Config,
    pub mode: Mode,
    pub limits: Limits,
    /// Worker threads (0: all cores).
    pub jobs: usize,
    /// Draw a progress bar on stderr (only when it is a terminal).
    pub progress: bool,
    /// Hash every extension's files for a policy ([`crate::policy`]),
    /// looking for shared libraries in these directories too.
    pub digests: Option<Vec<PathBuf>>,
}

impl Options {
    /// Default limits, all cores, no progress bar.
    pub fn new(config: Config, mode: Mode) -> Options {
        Options {
            config,
            mode,
            limits: Limits::default(),
            jobs: 0,
            progress: false,
            digests: None,
        }
    }
}

/// Analyse `paths` on a pool of `opts.jobs` workers.
///
/// Directory trees are discovered first; then every extension of a tree,
/// every tree's group of unpackaged files, every archive and every run of
/// files named on the command line becomes one task. Tasks run largest
/// first, each worker taking the next one when it is free, so a few very
/// large scripts do not leave one thread working alone at the end. With
/// `append` the groups of files run one after the other in input order,
/// sharing one analysis state. Results go back into input order.
pub fn run(paths: &[PathBuf], opts: &Options) -> Result<Outcome, String> {
    Ok(workers(opts.jobs)?.install(|| run_here(paths, opts)))
}

/// The worker pool: `jobs` threads (0: one per core). The CLI also writes
/// the output on it.
pub fn workers(jobs: usize) -> Result<rayon::ThreadPool, String> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .thread_name(|i| format!("extguard-worker-{i}"))
        .stack_size(crate::analysis::ANALYSIS_STACK)
        .start_handler(|_| crate::analysis::analysis_thread_started())
        .build()
        .map_err(|e| format!("cannot start worker threads: {e}"))
}

/// [`run`] on the workers of the current rayon pool (`opts.jobs` is not
/// used): for callers that run many small runs in a pool of their own,
/// such as the benchmark that times a scan against a bare parse extension
/// by extension.
pub fn run_here(paths: &[PathBuf], opts: &Options) -> Outcome {
    let mut out = Outcome::default();
    let sources = inputs::collect_sources(paths, opts, &mut out.errors);
    let trees: Vec<Option<extension::Discovery>> = sources
        .par_iter()
        .map(|s| match s {
            Source::Dir(dir, _) => {
                let mut d = extension::discover(dir);
                exclude(&mut d, dir, &opts.config);
                Some(d)
            }
            _ => None,
        })
        .collect();
    let mut tasks = Vec::new();
    let mut i = 0;
    while i < sources.len() {
        match (&sources[i], &trees[i]) {
            (Source::Dir(..), Some(found)) => {
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
                if !found.loose_sql.is_empty() || !found.wasm.is_empty() {
                    let bytes = found.loose_sql.iter().map(|p| file_size(p)).sum();
                    tasks.push((Task::Loose(i), bytes));
                }
                i += 1;
            }
            (Source::TleJson(p), _) => {
                tasks.push((Task::Json(i), file_size(p)));
                i += 1;
            }
            // Compressed: weigh it as a few times its size.
            (Source::Archive(p, _), _) => {
                tasks.push((Task::Archive(i), file_size(p) * 4));
                i += 1;
            }
            _ => {
                // a run of files named on the command line: one group
                let start = i;
                while i < sources.len() && matches!(sources[i], Source::File(_) | Source::Stdin) {
                    i += 1;
                }
                let bytes = sources[start..i].iter().map(|s| file_size(s.path())).sum();
                tasks.push((Task::Files(start, i), bytes));
            }
        }
    }
    let bar = progress_bar(opts.progress, tasks.len());
    let append = opts.config.append;
    let work = Work {
        sources: &sources,
        trees: &trees,
        opts,
        state: std::sync::Mutex::new(State::new(opts.config.trusted_schema.iter().cloned())),
    };
    let run = |task: &Task| {
        if append && task.is_files() {
            // run in input order below, after the parallel tasks
            return SourceResult::default();
        }
        let r = run_isolated(task, &work);
        bar.inc(1);
        bar.set_message(sources[task.source()].path().display().to_string());
        r
    };
    let mut results = largest_first(&tasks, run);
    if append {
        for ((task, _), r) in tasks.iter().zip(results.iter_mut()) {
            if task.is_files() {
                *r = run_isolated(task, &work);
                bar.inc(1);
            }
        }
    }
    bar.finish_and_clear();
    // Back into input order: per source, the tree's own errors, then its
    // units in discovery order.
    let mut per_source: Vec<SourceResult> = trees
        .iter()
        .zip(&sources)
        .map(|(tree, source)| {
            let mut r = SourceResult::default();
            if let (Some(found), Source::Dir(dir, archives)) = (tree, source) {
                r.errors.extend(found.errors.iter().cloned());
                if found.extensions.is_empty()
                    && found.loose_sql.is_empty()
                    && found.wasm.is_empty()
                    && *archives == 0
                {
                    r.errors.push(nothing_here(dir, &opts.config));
                }
                if opts.digests.is_some() {
                    r.libraries = shipped_libraries(dir, false, found, &Display::PLAIN);
                }
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
        into.libraries.extend(r.libraries);
    }
    for r in per_source {
        out.units.extend(r.units);
        out.errors.extend(r.errors);
        out.notes.extend(r.notes);
        out.internal_error |= r.internal_error;
        out.shipped_libraries.extend(r.libraries);
    }
    out.interrupted = cancelled();
    out
}

/// The input error of a directory with nothing to analyse.
fn nothing_here(dir: &Path, cfg: &Config) -> String {
    let globs: Vec<String> = cfg.exclude_globs().collect();
    if globs.is_empty() {
        format!("{}: no SQL files here", dir.display())
    } else {
        format!(
            "{}: no SQL files here (after --exclude: {})",
            dir.display(),
            globs.join(", ")
        )
    }
}

/// Drop what the excludes name (paths relative to `root`).
fn exclude(d: &mut extension::Discovery, root: &Path, cfg: &Config) {
    let excluded = |p: &Path| cfg.excluded_under(root, p);
    d.loose_sql.retain(|p| !excluded(p));
    d.wasm.retain(|p| !excluded(p));
    d.extensions.retain(|e| !excluded(&e.control_path));
    for e in &mut d.extensions {
        e.scripts.retain(|s| !excluded(&s.path));
    }
}

/// One piece of work; the numbers index sources and a tree's extensions.
enum Task {
    Extension(usize, usize),
    Loose(usize),
    Archive(usize),
    /// A JSON package of pg_tle scripts.
    Json(usize),
    /// Files named on the command line: sources `.0..1`.
    Files(usize, usize),
}

impl Task {
    fn source(&self) -> usize {
        match *self {
            Task::Extension(i, _)
            | Task::Loose(i)
            | Task::Archive(i)
            | Task::Json(i)
            | Task::Files(i, _) => i,
        }
    }

    /// Does `--append` carry its state (groups of files, not extensions or archives)?
    fn is_files(&self) -> bool {
        matches!(self, Task::Loose(_) | Task::Files(..))
    }
}

fn file_size(p: &Path) -> u64 {
    std::fs::metadata(p).map(|m| m.len()).unwrap_or(0)
}

/// Run a task unless the run was cancelled. Files and extensions catch
/// their own panics (EG003); this catches the rest (unpacking, discovery
/// inside an archive), so that one source cannot take the other sources'
/// results down.
fn run_isolated(task: &Task, w: &Work) -> SourceResult {
    if cancelled() {
        return SourceResult::default();
    }
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run_task(task, w)))
        .unwrap_or_else(|p| SourceResult::panicked(w.sources[task.source()].path(), p))
}

/// What every task reads: the sources, their trees, the options, and the
/// state `--append` carries.
struct Work<'a> {
    sources: &'a [Source],
    trees: &'a [Option<extension::Discovery>],
    opts: &'a Options,
    state: std::sync::Mutex<State>,
}

fn run_task(task: &Task, w: &Work) -> SourceResult {
    let Work {
        sources,
        trees,
        opts,
        state,
    } = w;
    let source = &sources[task.source()];
    let label = source.path().display().to_string();
    let mut r = SourceResult::default();
    match *task {
        Task::Extension(i, j) => {
            if let Some(found) = &trees[i] {
                let u =
                    analyse_extension(&found.extensions[j], &label, &None, &Display::PLAIN, opts);
                r.add(u);
            }
        }
        Task::Loose(i) => {
            if let Some(found) = &trees[i] {
                let u = with_state(opts, state, |st| {
                    analyse_loose(found, &label, &None, &Display::PLAIN, opts, st)
                });
                r.add(u);
                tle_units(
                    &found.loose_sql,
                    &label,
                    &None,
                    &Display::PLAIN,
                    opts,
                    &mut r,
                );
            }
        }
        Task::Archive(_) => {
            if let Source::Archive(path, kind) = source {
                scan_archive(path, *kind, &label, opts, &mut r);
            }
        }
        Task::Json(_) => {
            let file = match std::fs::read(source.path()) {
                Ok(b) => SourceFile::from_bytes(label.clone(), b),
                Err(e) => {
                    r.errors.push(format!("{label}: {e}"));
                    return r;
                }
            };
            let units = pgtle::find_json_packages(&file.text).and_then(|p| {
                pgtle::analyse(
                    &file,
                    &p,
                    &label,
                    &None,
                    &Display::PLAIN,
                    &opts.config,
                    &std::env::temp_dir(),
                )
            });
            match units {
                Ok(u) if u.is_empty() => r.errors.push(format!(
                    "{label}: no pg_tle package here (no object with a name, a version or from/to versions, and sql)"
                )),
                Ok(u) => u.into_iter().for_each(|u| r.add(u)),
                Err(e) => r.errors.push(format!("{label}: not a readable JSON package: {e}")),
            }
        }
        Task::Files(start, end) => {
            let files = with_state(opts, state, |st| {
                analyse_files(&sources[start..end], opts, st, &mut r.errors)
            });
            if !files.is_empty() {
                r.add(UnitResult::new(
                    "(files)".into(),
                    UnitKind::Unpackaged,
                    None,
                    ".",
                    &None,
                    files,
                    Vec::new(),
                ));
            }
            let named: Vec<PathBuf> = sources[start..end]
                .iter()
                .filter(|s| matches!(s, Source::File(_)))
                .map(|s| s.path().to_path_buf())
                .collect();
            tle_units(&named, ".", &None, &Display::PLAIN, opts, &mut r);
        }
    }
    r
}

/// Run `f` with the state `--append` carries across groups of files, or
/// (without `--append`) a fresh one that each file replaces by its own.
fn with_state<R>(
    opts: &Options,
    shared: &std::sync::Mutex<State>,
    f: impl FnOnce(&mut State) -> R,
) -> R {
    if opts.config.append {
        f(&mut shared.lock().unwrap_or_else(|e| e.into_inner()))
    } else {
        f(&mut State::new(opts.config.trusted_schema.iter().cloned()))
    }
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
    /// The shared libraries the source ships (only for a policy).
    libraries: Vec<crate::policy::PackageLibrary>,
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
    let display = Display {
        root: unpacked.root().display().to_string(),
        shown_as: Some(label.to_string()),
    };
    let mut scan_root = unpacked.root().to_path_buf();
    let package = if let Some(dir) = trunk::package_dir(unpacked.root()) {
        // a PGXN binary package: files checked against digests, extensions under pgsql/share
        let (file, mut findings) = trunk::verify(&dir);
        findings.retain(|f| opts.config.enabled(f.code) && f.severity >= opts.config.min_severity);
        let package = trunk::read_package(&dir)
            .map_err(|e| r.errors.push(format!("{label}: {e}")))
            .ok();
        if !findings.is_empty() {
            let name = package.as_ref().and_then(|p| p.name.clone());
            r.add(UnitResult::new(
                format!("{} (package)", name.as_deref().unwrap_or("(unnamed)")),
                UnitKind::Unpackaged,
                package.as_ref().and_then(|p| p.version.clone()),
                label,
                &package,
                vec![file_result(
                    &file,
                    findings,
                    &[],
                    &display,
                    opts.config.detail,
                )],
                Vec::new(),
            ));
        }
        let share = dir.join("pgsql/share");
        scan_root = if share.is_dir() { share } else { dir };
        package
    } else if let Some(mut p) = unpacked.metadata.clone() {
        // an RPM's headers, an image's config: the native libraries are its files
        let mut files = Vec::new();
        trunk::files_under(unpacked.root(), Path::new(""), &mut files);
        p.shared_objects = files
            .into_iter()
            .filter(|f| is_shared_library(f))
            .map(|f| f.display().to_string())
            .collect();
        Some(p)
    } else {
        match inputs::read_package(unpacked.root()) {
            Ok(p) => p,
            Err(e) => {
                r.errors.push(format!("{label}: {e}"));
                None
            }
        }
    };
    let mut found = extension::discover(&scan_root);
    exclude(&mut found, unpacked.root(), &opts.config);
    r.errors
        .extend(found.errors.iter().map(|e| display.show(e)));
    if opts.digests.is_some() {
        // a container image holds a whole system: only PostgreSQL's libraries count
        let everywhere = !matches!(kind, ArchiveKind::Tar | ArchiveKind::OciDir);
        r.libraries = shipped_libraries(unpacked.root(), everywhere, &found, &display);
    }
    let mut units: Vec<Option<UnitResult>> = found
        .extensions
        .par_iter()
        .map(|e| (!cancelled()).then(|| analyse_extension(e, label, &package, &display, opts)))
        .collect();
    if (!found.loose_sql.is_empty() || !found.wasm.is_empty()) && !cancelled() {
        // a package's loose files never share --append's state with others
        let mut state = State::new(opts.config.trusted_schema.iter().cloned());
        units.push(Some(analyse_loose(
            &found, label, &package, &display, opts, &mut state,
        )));
    }
    for u in units.into_iter().flatten() {
        r.add(u);
    }
    tle_units(&found.loose_sql, label, &package, &display, opts, r);
}

/// [`crate::policy::shipped_libraries`] of a tree whose extensions are `found`.
fn shipped_libraries(
    root: &Path,
    everywhere: bool,
    found: &extension::Discovery,
    display: &Display,
) -> Vec<crate::policy::PackageLibrary> {
    let ext_dirs: Vec<PathBuf> = found
        .extensions
        .iter()
        .filter_map(|e| e.control_path.parent().map(Path::to_path_buf))
        .collect();
    let source = display
        .shown_as
        .clone()
        .unwrap_or_else(|| root.display().to_string());
    crate::policy::shipped_libraries(root, everywhere, &ext_dirs, &source, |p| {
        display.show(&p.display().to_string())
    })
}

/// The pg_tle packages defined in `paths` (SQL files already analysed as
/// such): one extension unit each, after the file's own results.
fn tle_units(
    paths: &[PathBuf],
    label: &str,
    package: &Option<inputs::Package>,
    display: &Display,
    opts: &Options,
    r: &mut SourceResult,
) {
    // the few files that may define packages, looked for in parallel
    let candidates: Vec<&PathBuf> = paths
        .par_iter()
        .filter(|p| {
            !wasm::is_wasm_path(p) && std::fs::read(p).is_ok_and(|b| pgtle::may_hold_packages(&b))
        })
        .collect();
    for p in candidates {
        if cancelled() {
            continue;
        }
        let Ok(bytes) = std::fs::read(p) else {
            continue; // reported when the file was analysed
        };
        let file = SourceFile::from_bytes(p.display().to_string(), bytes);
        let units = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let packages = pgtle::find_packages(&file.text);
            pgtle::analyse(
                &file,
                &packages,
                label,
                package,
                display,
                &opts.config,
                &std::env::temp_dir(),
            )
        }));
        match units {
            Ok(Ok(units)) => units.into_iter().for_each(|u| r.add(u)),
            Ok(Err(e)) => r
                .errors
                .push(format!("{}: pg_tle package: {e}", display.show(&file.path))),
            Err(panic) => {
                let f = internal_error(&file.path, "its pg_tle packages", panic);
                r.add(UnitResult::new(
                    "(pg_tle)".into(),
                    UnitKind::Unpackaged,
                    None,
                    label,
                    package,
                    vec![file_result(
                        &file,
                        vec![f],
                        &[],
                        display,
                        opts.config.detail,
                    )],
                    Vec::new(),
                ));
            }
        }
    }
}

fn analyse_extension(
    ext: &Extension,
    label: &str,
    package: &Option<inputs::Package>,
    display: &Display,
    opts: &Options,
) -> UnitResult {
    let report = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        extension::analyze(ext, &opts.config)
    }));
    let mut assessment = None;
    let mut digests = None;
    let mut claims = None;
    let (files, findings, chain, version, links) = match report {
        Ok(mut rep) => {
            let (a, d) = crate::policy::assess_extension(ext, &mut rep, label, display, opts);
            claims = package_claims(&ext.name, &a, package, opts);
            (assessment, digests) = (Some(a), d);
            (
                rep.files,
                rep.findings,
                rep.install_chain,
                rep.default_version,
                rep.links,
            )
        }
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
    let mut files: Vec<FileResult> = files
        .iter()
        .zip(findings)
        .zip(links)
        .map(|((f, fs), links)| file_result(f, fs, &links, display, opts.config.detail))
        .collect();
    if let Some((meta, findings)) = claims {
        files.push(file_result(
            &meta,
            findings,
            &[],
            display,
            opts.config.detail,
        ));
    }
    let mut u = UnitResult::new(
        ext.name.clone(),
        UnitKind::Extension,
        version,
        label,
        package,
        files,
        install_chain,
    );
    u.verdict = assessment;
    u.digests = digests;
    u
}

/// The EG123 findings of an extension against its package's metadata
/// claims, with the metadata file they point into; `None` when there are none.
fn package_claims(
    name: &str,
    a: &crate::verdict::Assessment,
    package: &Option<inputs::Package>,
    opts: &Options,
) -> Option<(SourceFile, Vec<Finding>)> {
    let rule = &rules::eg123_package_claim_contradicted::RULE;
    let claims = package.as_ref()?.claims.as_ref()?;
    if !opts.config.enabled(rule.code) || rule.severity < opts.config.min_severity {
        return None;
    }
    let bytes = std::fs::read(&claims.file).ok()?;
    let meta = SourceFile::new(claims.file.display().to_string(), &bytes);
    let findings = rules::eg123_package_claim_contradicted::check(name, a, claims, &meta);
    (!findings.is_empty()).then_some((meta, findings))
}

/// A tree's SQL files and Wasm modules that belong to no extension: in
/// parallel, or in order with one state under `--append`.
fn analyse_loose(
    found: &extension::Discovery,
    label: &str,
    package: &Option<inputs::Package>,
    display: &Display,
    opts: &Options,
    state: &mut State,
) -> UnitResult {
    let paths: Vec<&PathBuf> = found.loose_sql.iter().chain(&found.wasm).collect();
    let one = |p: &&PathBuf, state: &mut State, repeats: Option<&Repeats>| {
        let p: &PathBuf = p;
        let links: Vec<String> = found
            .links
            .get(p)
            .into_iter()
            .flatten()
            .map(|l| l.display().to_string())
            .collect();
        let shown = p.display().to_string();
        match std::fs::read(p) {
            Ok(bytes) => analyse_bytes(
                FileIn {
                    shown: &shown,
                    path: Some(p),
                    bytes,
                    links: &links,
                },
                display,
                opts,
                state,
                repeats,
            ),
            Err(e) => {
                let file = SourceFile::new(shown, b"");
                let f = diagnostic(&file, &format!("cannot read file: {e}"));
                file_result(&file, vec![f], &links, display, opts.config.detail)
            }
        }
    };
    let files = each_file(&paths, |p| file_size(p), opts, state, one);
    let name = match package.as_ref().and_then(|p| p.name.clone()) {
        Some(n) => format!("{n} (unpackaged)"),
        None => "(unpackaged)".to_string(),
    };
    UnitResult::new(
        name,
        UnitKind::Unpackaged,
        package.as_ref().and_then(|p| p.version.clone()),
        label,
        package,
        files,
        Vec::new(),
    )
}

/// Files named on the command line (and stdin): an unreadable one is an
/// input error, not a finding.
fn analyse_files(
    sources: &[Source],
    opts: &Options,
    state: &mut State,
    errors: &mut Vec<String>,
) -> Vec<FileResult> {
    let read = |s: &Source| -> Result<(String, Vec<u8>), String> {
        match s {
            Source::Stdin => {
                use std::io::Read;
                let mut v = Vec::new();
                std::io::stdin()
                    .read_to_end(&mut v)
                    .map_err(|e| format!("<stdin>: {e}"))?;
                Ok(("<stdin>".to_string(), v))
            }
            s => {
                let shown = s.path().display().to_string();
                std::fs::read(s.path())
                    .map(|b| (shown.clone(), b))
                    .map_err(|e| format!("{shown}: {e}"))
            }
        }
    };
    let one = |s: &Source, state: &mut State, repeats: Option<&Repeats>| match read(s) {
        Ok((shown, bytes)) => {
            let path = (!matches!(s, Source::Stdin)).then(|| s.path());
            Ok(analyse_bytes(
                FileIn {
                    shown: &shown,
                    path,
                    bytes,
                    links: &[],
                },
                &Display::PLAIN,
                opts,
                state,
                repeats,
            ))
        }
        Err(e) => Err(e),
    };
    let mut files = Vec::new();
    let size = |s: &Source| match s {
        Source::Stdin => 0,
        s => file_size(s.path()),
    };
    for r in each_file(sources, size, opts, state, one) {
        match r {
            Ok(f) => files.push(f),
            Err(e) => errors.push(e),
        }
    }
    files
}

/// `f` over a group's files (`size` of each): in order with `state` under
/// `--append`, else in parallel, each from a fresh state, largest first (a
/// large file started last would leave the other workers idle; started
/// first, it runs before most findings are kept) and files with the same
/// bytes analysed once ([`repeats`]); results in the order of `items`.
fn each_file<T: Sync, R: Send>(
    items: &[T],
    size: impl Fn(&T) -> u64,
    opts: &Options,
    state: &mut State,
    f: impl Fn(&T, &mut State, Option<&Repeats>) -> R + Sync,
) -> Vec<R> {
    if opts.config.append {
        items.iter().map(|i| f(i, state, None)).collect()
    } else {
        let sizes: Vec<u64> = items.iter().map(size).collect();
        let repeats = Repeats::new(&sizes);
        let weighed: Vec<(&T, u64)> = items.iter().zip(repeats.weights(&sizes)).collect();
        largest_first(&weighed, |i| {
            f(
                i,
                &mut State::new(opts.config.trusted_schema.iter().cloned()),
                Some(&repeats),
            )
        })
    }
}

/// A file to analyse: its name as shown, its path (none for stdin), its
/// bytes and its other names (links, not analysed again).
struct FileIn<'a> {
    shown: &'a str,
    path: Option<&'a Path>,
    bytes: Vec<u8>,
    links: &'a [String],
}

/// Analyse one file's bytes (a Wasm module for its imports, anything else
/// as SQL), turning a panic into an internal-error finding; `state` is
/// left as it was when the analysis panicked. With `repeats` (only when
/// `state` is fresh) a file with the same bytes as one before it takes its
/// findings.
fn analyse_bytes(
    input: FileIn,
    display: &Display,
    opts: &Options,
    state: &mut State,
    repeats: Option<&Repeats>,
) -> FileResult {
    let FileIn {
        shown,
        path,
        bytes,
        links,
    } = input;
    if path.is_some_and(wasm::is_wasm_path) {
        let text: &[u8] = if shown.ends_with(".wat") { &bytes } else { b"" };
        let file = SourceFile::new(shown.to_string(), text);
        let fs = wasm::analyze(&file, &bytes);
        return file_result(&file, fs, links, display, opts.config.detail);
    }
    // a file the test hook panics on is analysed whatever its bytes
    let slot = repeats
        .filter(|_| !crate::test_hook::requested(shown))
        .and_then(|r| r.slot(&bytes));
    let file = SourceFile::from_bytes(shown.to_string(), bytes);
    let mut analyse = || {
        let snapshot = state.clone();
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            analyze_file(&file, &opts.config, state)
        }))
        .map_err(|p| {
            *state = snapshot;
            vec![internal_error(shown, "this file", p)]
        })
    };
    let fs = match slot {
        Some(slot) => slot.findings(shown, analyse),
        None => analyse().unwrap_or_else(|fs| fs),
    };
    file_result(&file, fs, links, display, opts.config.detail)
}

/// Is this file a shared library (native code a package installs)?
pub fn is_shared_library(p: &Path) -> bool {
    let name = p.file_name().unwrap_or_default().to_string_lossy();
    name.ends_with(".so")
        || name.contains(".so.")
        || name.ends_with(".dylib")
        || name.ends_with(".dll")
}

/// An EG005 finding at the start of a file.
fn diagnostic(file: &SourceFile, message: &str) -> Finding {
    at_file_start(&rules::EG005, &file.path, message.to_string())
}

/// The EG003 finding for a panic caught while analysing `what` (a file, an extension).
pub fn internal_error(path: &str, what: &str, payload: Box<dyn std::any::Any + Send>) -> Finding {
    let msg = panic_message(payload.as_ref());
    at_file_start(
        &rules::EG003,
        path,
        format!("internal error while analysing {what}: {msg}"),
    )
}

fn at_file_start(rule: &rules::Rule, path: &str, message: String) -> Finding {
    Finding {
        code: rule.code,
        severity: rule.severity,
        title: rule.title,
        message,
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
