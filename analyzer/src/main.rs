//! The `extguard` command line.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};
use extguard_analyzer::analysis::analyze_file;
use extguard_analyzer::report;
use extguard_analyzer::{extension, wasm};
use extguard_analyzer::{rules, Config, Finding, Severity, SourceFile, State};
use rayon::prelude::*;

mod isolation_cmd;
#[path = "cli/output.rs"]
mod output;
#[path = "cli/pgspot.rs"]
mod pgspot_cmd;

use output::{Format, OutputArgs};

/// The analyzer allocates and frees whole parse trees (millions of small
/// boxes on a large package) while libpg_query mallocs and frees its memory
/// contexts in between; glibc's allocator spent about a third of the CPU
/// time on that mix (consolidating and unlinking chunks), mimalloc a
/// fraction of it. libpg_query itself keeps the system allocator.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "extguard",
    version,
    about = "Static analysis of PostgreSQL extension SQL: search_path, SECURITY DEFINER, unsafe object creation."
)]
#[command(
    long_about = "Static analysis of PostgreSQL extension SQL.\n\nWith no subcommand, scans the local PostgreSQL installation's extension directory (pg_config --sharedir)/extension."
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Check SQL files, directories (searched for *.sql) or stdin (-).
    Check(CheckArgs),
    /// List all rules.
    Rules {
        #[arg(long, value_enum, default_value_t = RulesFormat::Text)]
        format: RulesFormat,
    },
    /// Print a rule's documentation.
    Explain { code: String },
    /// Scan an extension registry: directories, PGXN .zip, Trunk .tar.gz and .deb files.
    Scan(ScanArgs),
    /// pgspot 0.9.4's command line (a drop-in for `pgspot ARGS` in CI scripts).
    Pgspot(pgspot_cmd::PgspotArgs),
    /// Check the isolation this process runs in (run it in the server's container, as its user); exit 1 if violated.
    Isolation(isolation_cmd::IsolationArgs),
    /// Verify extguard audit records (a JSON Lines audit file or a server log) against the
    /// cluster's key: exit 0 when every record is genuine and none is missing, 1 otherwise.
    VerifyAudit {
        /// Audit file or server log.
        file: PathBuf,
        /// The cluster's key file (`extguard_audit.key` in the data directory).
        #[arg(long)]
        key: PathBuf,
    },
}

#[derive(Args)]
struct ScanArgs {
    /// Directory trees and archives (.zip, .tar.gz/.tgz, .deb); archives inside directories are scanned too.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    #[command(flatten)]
    output: OutputArgs,
    /// Worker threads [default: all cores].
    #[arg(long, short = 'j', value_name = "N")]
    jobs: Option<usize>,
    /// Largest total size one archive may unpack to, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = extguard_analyzer::scan::Limits::default().max_total_bytes)]
    max_unpacked_size: u64,
    /// Most entries one archive may have.
    #[arg(long, value_name = "N", default_value_t = extguard_analyzer::scan::Limits::default().max_entries)]
    max_entries: u64,
    /// Highest ratio of unpacked size to archive size (checked past 4 MiB unpacked).
    #[arg(long, value_name = "N", default_value_t = extguard_analyzer::scan::Limits::default().max_ratio)]
    max_ratio: u64,
    /// No progress bar (it is drawn only when stderr is a terminal anyway).
    #[arg(long)]
    no_progress: bool,
    /// Do not report these rules: codes or prefixes (PS016, EG1), repeatable or comma-separated.
    #[arg(long, value_name = "CODE")]
    ignore: Vec<String>,
    /// Report only these rules: codes or prefixes (PS, EG1, ALL); replaces the configuration's `select`.
    #[arg(long, value_name = "CODE")]
    select: Vec<String>,
    /// Report these rules too, on top of `select`.
    #[arg(long, value_name = "CODE")]
    extend_select: Vec<String>,
    /// Schema accepted as secure in a search_path (repeatable).
    #[arg(long, value_name = "NAME")]
    trusted_schema: Vec<String>,
    /// Lowest severity to report: info, warning or error.
    #[arg(long, value_name = "LEVEL")]
    min_severity: Option<Severity>,
    /// PostgreSQL major version the SQL is for: 15, 16, 17 or 18 [default: the version of pg_config on PATH, else 18].
    #[arg(long, value_name = "N", value_parser = parse_pg_version)]
    pg_version: Option<u32>,
    /// Configuration file [default: ./extguard.toml if present].
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
}

#[derive(Clone, Copy, ValueEnum)]
enum RulesFormat {
    Text,
    Markdown,
}

#[derive(Args, Default)]
struct CheckArgs {
    /// Files, directories or - for stdin (default: stdin).
    paths: Vec<PathBuf>,
    #[command(flatten)]
    output: OutputArgs,
    /// Do not report these rules: codes or prefixes (PS016, EG1), repeatable or comma-separated.
    #[arg(long, value_name = "CODE")]
    ignore: Vec<String>,
    /// Report only these rules: codes or prefixes (PS, EG1, ALL); replaces the configuration's `select`.
    #[arg(long, value_name = "CODE")]
    select: Vec<String>,
    /// Report these rules too, on top of `select`.
    #[arg(long, value_name = "CODE")]
    extend_select: Vec<String>,
    /// Signature exempt from PS005, as printed in findings (repeatable).
    #[arg(long, value_name = "SIG")]
    proc_without_search_path: Vec<String>,
    /// Function whose constant arguments are SQL to analyse (repeatable).
    #[arg(long, value_name = "FN")]
    sql_accepting: Vec<String>,
    /// Function language not to report as unknown (repeatable).
    #[arg(long, value_name = "LANG")]
    ignore_lang: Vec<String>,
    /// Schema accepted as secure in a search_path (repeatable).
    #[arg(long, value_name = "NAME")]
    trusted_schema: Vec<String>,
    /// Carry one analysis state across all files, in order.
    #[arg(long)]
    append: bool,
    /// Do not analyse PL/pgSQL bodies and DO blocks.
    #[arg(long)]
    no_plpgsql: bool,
    /// Globs of paths skipped when searching directories; replaces the
    /// defaults (.git, test, expected, results, tmp_check). Repeatable.
    #[arg(long, value_name = "GLOB")]
    exclude: Vec<String>,
    /// Globs skipped on top of --exclude (or the defaults). Repeatable.
    #[arg(long, value_name = "GLOB")]
    extend_exclude: Vec<String>,
    /// The input is not yours (a package to review): `-- extguard: ignore`
    /// comments in it are not obeyed, and each is reported (EG007).
    #[arg(long)]
    untrusted: bool,
    /// Do not obey `-- extguard: ignore` comments (each is reported as EG007).
    #[arg(long)]
    no_inline_ignores: bool,
    /// Lowest severity to report: info, warning or error.
    #[arg(long, value_name = "LEVEL")]
    min_severity: Option<Severity>,
    /// PostgreSQL major version the SQL is for: 15, 16, 17 or 18 [default: the version of pg_config on PATH, else 18].
    #[arg(long, value_name = "N", value_parser = parse_pg_version)]
    pg_version: Option<u32>,
    /// Configuration file [default: ./extguard.toml if present].
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Command::Rules { format }) => print_rules(format),
        Some(Command::Explain { code }) => explain(&code),
        Some(Command::Check(args)) => check(args, false),
        Some(Command::Scan(args)) => scan(args),
        Some(Command::VerifyAudit { file, key }) => verify_audit(&file, &key),
        Some(Command::Pgspot(args)) => pgspot_cmd::run(args),
        Some(Command::Isolation(args)) => isolation_cmd::run(args),
        None => default_run(),
    };
    match result {
        Ok(code) => code,
        Err(msg) => {
            eprintln!("extguard: {msg}");
            ExitCode::from(2)
        }
    }
}

fn verify_audit(file: &Path, key: &Path) -> Result<ExitCode, String> {
    use extguard_analyzer::audit_mac;
    let key_text = std::fs::read_to_string(key).map_err(|e| format!("{}: {e}", key.display()))?;
    let key_bytes =
        audit_mac::key_from_text(&key_text).map_err(|e| format!("{}: {e}", key.display()))?;
    let bytes = std::fs::read(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let text = String::from_utf8_lossy(&bytes);
    let v = audit_mac::verify_lines(&key_bytes, text.lines());
    let mut out = String::new();
    for (line, problem) in &v.bad_lines {
        out.push_str(&format!("{}:{line}: {problem}\n", file.display()));
    }
    for (epoch, from, to) in &v.gaps {
        let which = if from == to {
            format!("seq {from}")
        } else {
            format!("seq {from}-{to}")
        };
        out.push_str(&format!(
            "{}: epoch {epoch}: {which} missing (removed or lost)\n",
            file.display()
        ));
    }
    for (epoch, seq) in &v.duplicates {
        out.push_str(&format!(
            "{}: epoch {epoch}: seq {seq} appears more than once\n",
            file.display()
        ));
    }
    for (epoch, seqs) in &v.epochs {
        out.push_str(&format!(
            "epoch {epoch}: {} genuine records, seq {}-{}\n",
            seqs.len(),
            seqs.first().unwrap_or(&0),
            seqs.last().unwrap_or(&0)
        ));
    }
    out.push_str(if v.ok() { "ok\n" } else { "NOT OK\n" });
    print!("{out}");
    Ok(if v.ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn print_rules(format: RulesFormat) -> Result<ExitCode, String> {
    let mut out = String::new();
    match format {
        RulesFormat::Text => {
            for r in rules::ALL {
                out.push_str(&format!(
                    "{}  {:<8} {:<40} {}\n",
                    r.code,
                    r.severity.as_str(),
                    r.name,
                    r.title
                ));
            }
        }
        RulesFormat::Markdown => out.push_str(&rules_markdown()),
    }
    print!("{out}");
    Ok(ExitCode::SUCCESS)
}

/// The rule table as Markdown (also embedded in README.md; a test keeps them equal).
fn rules_markdown() -> String {
    let mut out = String::from("| Code | Name | Severity | Title |\n|---|---|---|---|\n");
    for r in rules::ALL {
        out.push_str(&format!(
            "| {} | {} | {} | {} |\n",
            r.code,
            r.name,
            r.severity.as_str(),
            r.title
        ));
    }
    out
}

fn explain(code: &str) -> Result<ExitCode, String> {
    let r = rules::by_code(code)
        .ok_or_else(|| format!("unknown rule code '{code}' (see `extguard rules`)"))?;
    println!(
        "{}: {} ({}, {})\n\n{}",
        r.code,
        r.title,
        r.name,
        r.severity.as_str(),
        r.documentation()
    );
    Ok(ExitCode::SUCCESS)
}

/// Build the configuration: extguard.toml (or --config), then the flags over it.
fn config(args: &CheckArgs) -> Result<Config, String> {
    let mut cfg = match &args.config {
        Some(p) => Config::load(p)?,
        None if Path::new("extguard.toml").is_file() => Config::load(Path::new("extguard.toml"))?,
        None => Config::default(),
    };
    cfg.ignore.extend(args.ignore.iter().cloned());
    if !args.select.is_empty() {
        cfg.select = args.select.clone();
    }
    cfg.extend_select.extend(args.extend_select.iter().cloned());
    if !args.exclude.is_empty() {
        cfg.exclude = Some(args.exclude.clone());
    }
    cfg.extend_exclude
        .extend(args.extend_exclude.iter().cloned());
    cfg.proc_without_search_path
        .extend(args.proc_without_search_path.iter().cloned());
    cfg.sql_accepting.extend(args.sql_accepting.iter().cloned());
    cfg.ignore_lang
        .extend(args.ignore_lang.iter().map(|l| l.to_ascii_lowercase()));
    cfg.trusted_schema
        .extend(args.trusted_schema.iter().cloned());
    cfg.append |= args.append;
    if args.no_plpgsql {
        cfg.plpgsql = false;
    }
    if args.untrusted || args.no_inline_ignores {
        cfg.inline_ignores = false;
    }
    if let Some(s) = args.min_severity {
        cfg.min_severity = s;
    }
    if args.pg_version.is_some() {
        cfg.pg_version = args.pg_version;
    }
    if cfg.pg_version.is_none() {
        cfg.pg_version = Some(
            extguard_analyzer::catalog::local_version()
                .unwrap_or(extguard_analyzer::catalog::NEWEST),
        );
    }
    cfg.validate_selectors()?;
    Ok(cfg)
}

fn parse_pg_version(s: &str) -> Result<u32, String> {
    let v: u32 = s
        .parse()
        .map_err(|_| format!("'{s}' is not a major version number"))?;
    extguard_analyzer::config::check_pg_version(v)
}

fn read_input(path: &Option<PathBuf>) -> std::io::Result<Vec<u8>> {
    match path {
        Some(p) => std::fs::read(p),
        None => {
            let mut v = Vec::new();
            std::io::stdin().read_to_end(&mut v)?;
            Ok(v)
        }
    }
}

/// Replace the default panic message (and its backtrace hint) with one line
/// on stderr: a panic while analysing a file or an extension is caught and
/// becomes an EG003 finding, so the line only says where it happened.
fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let at = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!(
            "extguard: internal error{at}: {}",
            extguard_analyzer::scan::panic_message(info.payload())
        );
    }));
}

/// Analyse one file, turning a panic into an internal-error finding.
fn analyze_isolated(file: &SourceFile, cfg: &Config, state: &mut State) -> (Vec<Finding>, bool) {
    let snapshot = state.clone();
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        analyze_file(file, cfg, state)
    })) {
        Ok(f) => (f, false),
        Err(p) => {
            *state = snapshot;
            (
                vec![extguard_analyzer::scan::internal_error(
                    &file.path,
                    "this file",
                    p,
                )],
                true,
            )
        }
    }
}

/// What one run analysed: files in output order, their findings, and the extensions they form.
#[derive(Default)]
struct Run {
    files: Vec<SourceFile>,
    findings: Vec<Vec<Finding>>,
    extensions: Vec<report::ExtensionSummary>,
    internal_error: bool,
}

impl Run {
    fn push(&mut self, file: SourceFile, findings: Vec<Finding>) {
        self.files.push(file);
        self.findings.push(findings);
    }
}

/// Analyse one extension, turning a panic into an internal-error finding on its control file.
fn analyze_extension_isolated(
    ext: &extension::Extension,
    cfg: &Config,
) -> (extension::ExtensionReport, bool) {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        extension::analyze(ext, cfg)
    })) {
        Ok(r) => (r, false),
        Err(p) => {
            let path = ext.control_path.display().to_string();
            let file = SourceFile::new(path.clone(), ext.control_text.as_bytes());
            let f = extguard_analyzer::scan::internal_error(
                &path,
                &format!("extension {}", ext.name),
                p,
            );
            (
                extension::ExtensionReport {
                    name: ext.name.clone(),
                    default_version: None,
                    files: vec![file],
                    findings: vec![vec![f]],
                    install_chain: vec![],
                    links: vec![vec![]],
                },
                true,
            )
        }
    }
}

fn analyze_inputs(args: &CheckArgs, cfg: &Config, io_errors: &mut Vec<String>) -> Run {
    let mut run = Run::default();
    let mut append_state = State::new(cfg.trusted_schema.iter().cloned());
    // Loose SQL files wait here so that all of them, across inputs, are
    // analysed in one parallel batch; flushed before anything else is
    // added so the output keeps input order.
    let mut pending: Vec<SourceFile> = Vec::new();
    let inputs: Vec<Option<&PathBuf>> = if args.paths.is_empty() {
        vec![None]
    } else {
        args.paths.iter().map(Some).collect()
    };
    for input in inputs {
        let (extensions, loose): (Vec<extension::Extension>, Vec<(String, Option<PathBuf>)>) =
            match input {
                Some(p) if p.as_os_str().is_empty() => {
                    io_errors.push("'': an empty path names no file".into());
                    continue;
                }
                Some(p) if p.is_dir() => {
                    let mut d = extension::discover(p);
                    io_errors.append(&mut d.errors);
                    exclude(&mut d, p, cfg);
                    if d.extensions.is_empty() && d.loose_sql.is_empty() && d.wasm.is_empty() {
                        io_errors.push(format!(
                            "{}: no SQL files here (after --exclude: {})",
                            p.display(),
                            cfg.exclude.as_ref().map_or_else(
                                || extguard_analyzer::config::DEFAULT_EXCLUDE.join(", "),
                                |v| v.join(", ")
                            )
                        ));
                        continue;
                    }
                    (
                        d.extensions,
                        d.loose_sql
                            .into_iter()
                            .chain(d.wasm)
                            .map(|f| (f.display().to_string(), Some(f)))
                            .collect(),
                    )
                }
                Some(p) if p.as_os_str() != "-" => {
                    (Vec::new(), vec![(p.display().to_string(), Some(p.clone()))])
                }
                _ => (Vec::new(), vec![("<stdin>".to_string(), None)]),
            };
        let reports: Vec<(extension::ExtensionReport, bool)> = extensions
            .par_iter()
            .map(|e| analyze_extension_isolated(e, cfg))
            .collect();
        if !reports.is_empty() {
            flush_files(&mut run, &mut pending, cfg, &mut append_state);
        }
        for (r, internal) in reports {
            run.internal_error |= internal;
            let first = run.files.len();
            let chain = r.install_chain.iter().map(|i| first + i).collect();
            for (f, fs) in r.files.into_iter().zip(r.findings) {
                run.push(f, fs);
            }
            run.extensions.push(report::ExtensionSummary {
                name: r.name,
                default_version: r.default_version,
                files: first..run.files.len(),
                install_chain: chain,
            });
        }
        for (name, path) in &loose {
            match read_input(path) {
                // Wasm modules are checked for their imports, not as SQL.
                Ok(bytes) if path.as_deref().is_some_and(wasm::is_wasm_path) => {
                    let text = if name.ends_with(".wat") {
                        bytes.clone()
                    } else {
                        Vec::new()
                    };
                    let file = SourceFile::new(name.clone(), &text);
                    let fs = wasm::analyze(&file, &bytes);
                    flush_files(&mut run, &mut pending, cfg, &mut append_state);
                    run.push(file, fs);
                }
                Ok(bytes) => pending.push(SourceFile::new(name.clone(), &bytes)),
                Err(e) => io_errors.push(format!("{name}: {e}")),
            }
        }
    }
    flush_files(&mut run, &mut pending, cfg, &mut append_state);
    run
}

/// Drop what --exclude / --extend-exclude name (paths relative to `root`).
fn exclude(d: &mut extension::Discovery, root: &Path, cfg: &Config) {
    let excluded = |p: &Path| {
        let rel = p.strip_prefix(root).unwrap_or(p);
        let rel: Vec<String> = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        cfg.excluded(&rel.join("/"))
    };
    d.loose_sql.retain(|p| !excluded(p));
    d.wasm.retain(|p| !excluded(p));
    d.extensions.retain(|e| !excluded(&e.control_path));
    for e in &mut d.extensions {
        e.scripts.retain(|s| !excluded(&s.path));
    }
}

/// Analyse the pending loose files (in parallel unless --append) and add them to the run, in order.
fn flush_files(
    run: &mut Run,
    pending: &mut Vec<SourceFile>,
    cfg: &Config,
    append_state: &mut State,
) {
    let files = std::mem::take(pending);
    let results: Vec<(Vec<Finding>, bool)> = if cfg.append {
        files
            .iter()
            .map(|f| analyze_isolated(f, cfg, append_state))
            .collect()
    } else {
        files
            .par_iter()
            .map(|f| {
                let mut state = State::new(cfg.trusted_schema.iter().cloned());
                analyze_isolated(f, cfg, &mut state)
            })
            .collect()
    };
    for (f, (fs, internal)) in files.into_iter().zip(results) {
        run.internal_error |= internal;
        run.push(f, fs);
    }
}

fn check(args: CheckArgs, always_summarise: bool) -> Result<ExitCode, String> {
    let cfg = config(&args)?;
    let format = args
        .output
        .format
        .or_else(|| {
            cfg.format
                .as_deref()
                .and_then(|f| Format::from_str(f, true).ok())
        })
        .unwrap_or(Format::Human);
    let mut io_errors = Vec::new();
    install_panic_hook();
    let mut run = analyze_inputs(&args, &cfg, &mut io_errors);
    let mut outcome = outcome_of_run(&mut run);
    let sources = output::Sources {
        files: &run.files,
        extensions: &run.extensions,
        table: always_summarise || !run.extensions.is_empty(),
    };
    output::emit(&mut outcome, format, &args.output, Some(sources), None)?;
    for e in &io_errors {
        eprintln!("extguard: {e}");
    }
    Ok(ExitCode::from(output::exit_code(
        &outcome,
        !io_errors.is_empty() || run.internal_error,
        args.output.write_baseline.is_some(),
    )))
}

/// A check run as the outcome every report reads: each extension one unit,
/// each run of loose files between them one unpackaged group, in input order.
/// The findings move into the outcome (`run` keeps the files).
fn outcome_of_run(run: &mut Run) -> extguard_analyzer::scan::Outcome {
    use extguard_analyzer::scan::{self, UnitKind};
    let mut outcome = scan::Outcome {
        internal_error: run.internal_error,
        ..Default::default()
    };
    fn take(findings: &mut [Vec<Finding>]) -> Vec<Vec<Finding>> {
        findings.iter_mut().map(std::mem::take).collect()
    }
    let mut i = 0;
    let mut exts = run.extensions.iter().peekable();
    while i < run.files.len() {
        match exts.peek() {
            Some(e) if e.files.start == i => {
                let source = Path::new(&run.files[i].path)
                    .parent()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default();
                outcome.units.push(scan::unit_of_files(
                    e.name.clone(),
                    UnitKind::Extension,
                    e.default_version.clone(),
                    &source,
                    &run.files[e.files.clone()],
                    take(&mut run.findings[e.files.clone()]),
                    e.install_chain
                        .iter()
                        .map(|&k| run.files[k].path.clone())
                        .collect(),
                ));
                i = e.files.end.max(i + 1);
                exts.next();
            }
            next => {
                let end = next.map_or(run.files.len(), |e| e.files.start);
                outcome.units.push(scan::unit_of_files(
                    "(files)".into(),
                    UnitKind::Unpackaged,
                    None,
                    ".",
                    &run.files[i..end],
                    take(&mut run.findings[i..end]),
                    Vec::new(),
                ));
                i = end;
            }
        }
    }
    outcome
}

/// `extguard scan`: see the `scan` module of the library.
fn scan(args: ScanArgs) -> Result<ExitCode, String> {
    use extguard_analyzer::scan;
    let cfg = config(&CheckArgs {
        ignore: args.ignore.clone(),
        select: args.select.clone(),
        extend_select: args.extend_select.clone(),
        trusted_schema: args.trusted_schema.clone(),
        min_severity: args.min_severity,
        pg_version: args.pg_version,
        config: args.config.clone(),
        // scanned packages are never trusted to suppress their own findings
        untrusted: true,
        ..CheckArgs::default()
    })?;
    if args.jobs == Some(0) {
        return Err("--jobs must be at least 1".into());
    }
    let opts = scan::Options {
        config: cfg,
        limits: scan::Limits {
            max_total_bytes: args.max_unpacked_size,
            max_entries: args.max_entries,
            max_ratio: args.max_ratio,
            ..scan::Limits::default()
        },
        jobs: args.jobs.unwrap_or(0),
        progress: !args.no_progress,
    };
    scan::install_interrupt_handler()?;
    install_panic_hook();
    let workers = scan::workers(opts.jobs)?;
    let mut outcome = workers.install(|| scan::scan_here(&args.paths, &opts));
    if outcome.interrupted {
        eprintln!("extguard: interrupted; temporary files removed");
        return Ok(ExitCode::from(130));
    }
    let format = args.output.format.unwrap_or(Format::Table);
    output::emit(&mut outcome, format, &args.output, None, Some(&workers))?;
    if !args.output.quiet {
        for n in &outcome.notes {
            eprintln!("extguard: note: {n}");
        }
    }
    for e in &outcome.errors {
        eprintln!("extguard: {e}");
    }
    let code = output::exit_code(
        &outcome,
        !outcome.errors.is_empty(),
        args.output.write_baseline.is_some(),
    );
    // The process ends now: freeing a registry's results one allocation at
    // a time (about 0.1 s for 2,000 extensions, on one thread) buys nothing.
    std::mem::forget(outcome);
    Ok(ExitCode::from(code))
}

/// `extguard` with no arguments: the local PostgreSQL's extension directory.
fn default_run() -> Result<ExitCode, String> {
    let out = std::process::Command::new("pg_config").arg("--sharedir").output().map_err(|e| format!("cannot run pg_config: {e} (install PostgreSQL's server development package, or pass paths to `extguard check`)"))?;
    if !out.status.success() {
        return Err("pg_config --sharedir failed".into());
    }
    let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()).join("extension");
    if !dir.is_dir() {
        return Err(format!("{}: no such directory", dir.display()));
    }
    eprintln!("extguard: scanning {}", dir.display());
    check(
        CheckArgs {
            paths: vec![dir],
            ..CheckArgs::default()
        },
        true,
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn readme_rule_table_matches_the_code() {
        let readme = include_str!("../../README.md");
        assert!(
            readme.contains(&super::rules_markdown()),
            "README.md's rule table is out of date: paste the output of `extguard rules --format markdown`"
        );
    }
}
