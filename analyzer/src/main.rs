//! The `extguard` command line.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};
use extguard_analyzer::driver::{self, Mode};
use extguard_analyzer::report::Format;
use extguard_analyzer::{rules, Config, Severity};

mod isolation_cmd;
#[path = "cli/output.rs"]
mod output;
#[path = "cli/pgspot.rs"]
mod pgspot_cmd;

use output::OutputArgs;

/// The analyzer allocates and frees whole parse trees (millions of small
/// boxes on a large package) while libpg_query mallocs and frees its memory
/// contexts in between; glibc's allocator spent about a third of the CPU
/// time on that mix (consolidating and unlinking chunks), mimalloc a
/// fraction of it. libpg_query itself keeps the system allocator.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's `mi_option_purge_delay` (the same place in its option list in
/// versions 2 and 3, which the mimalloc crate builds).
const MI_OPTION_PURGE_DELAY: std::os::raw::c_int = 15;

unsafe extern "C" {
    /// From the mimalloc library the mimalloc crate links.
    fn mi_option_set(option: std::os::raw::c_int, value: std::os::raw::c_long);
}

/// How long mimalloc keeps memory it has freed before returning it to the
/// system (its default is 10 ms). A file's trees and findings are freed
/// when its analysis ends and the next file allocates as much again, which
/// faulted the returned pages in anew. On the Debian corpus half a second
/// saves about 10 % of `check`'s CPU time (1 thread); peak RSS of two
/// workers goes from about 137 to 162-173 MiB (each keeps what it freed for
/// that long; never returning memory made it 182-185 MiB).
const PURGE_DELAY_MS: std::os::raw::c_long = 500;

/// Set [`PURGE_DELAY_MS`] (before the first file is read).
fn keep_freed_memory() {
    // SAFETY: mi_option_set only stores the value of an option that exists
    // (checked by mimalloc against its option count); any thread may call it.
    unsafe { mi_option_set(MI_OPTION_PURGE_DELAY, PURGE_DELAY_MS) }
}

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
    /// Scan an extension registry: directories, PGXN .zip and .trunk, Trunk .tar.gz, .deb, .rpm, container images (.tar, OCI layouts), pg_tle packages.
    Scan(ScanArgs),
    /// What a new version of an extension changes for security: findings new and gone
    /// (by fingerprint), SECURITY DEFINER and C functions, libraries, grants, event triggers,
    /// and the control file's trusted/superuser/schema (EG011). OLD and NEW: directories or packages.
    Diff(DiffArgs),
    /// pgspot 0.9.4's command line (a drop-in for `pgspot ARGS` in CI scripts).
    Pgspot(pgspot_cmd::PgspotArgs),
    /// Check the isolation this process runs in (run it in the server's container, as its user); exit 1 if violated.
    Isolation(isolation_cmd::IsolationArgs),
    /// Print an allow-list setting (supautils, pgextwlist, RDS) from a policy written by
    /// `extguard scan --write-policy`: the extensions whose verdicts allow it, with reasons.
    Policy {
        /// The policy file.
        file: PathBuf,
        /// The setting to print.
        #[arg(long, value_enum)]
        emit: extguard_analyzer::policy::Target,
    },
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
    /// Directory trees, packages (.zip, .tar.gz/.tgz, .deb, .trunk, .rpm, .tar, OCI layout directories, pg_tle .json; those inside directories are scanned too) and SQL files.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    #[command(flatten)]
    output: OutputArgs,
    #[command(flatten)]
    analysis: AnalysisArgs,
    /// Also write a policy to FILE: every extension version's verdict and the sha256 of its
    /// control file, scripts and shared libraries (docs/policy.md).
    #[arg(long, value_name = "FILE")]
    write_policy: Option<PathBuf>,
    /// Directory where shared libraries the packages name are looked for too (repeatable)
    /// [default: the package's own files, and PREFIX/lib/postgresql/N/lib beside PREFIX/share/postgresql/N/extension].
    #[arg(long, value_name = "DIR", requires = "write_policy")]
    libdir: Vec<PathBuf>,
}

#[derive(Args)]
struct DiffArgs {
    /// The old version: a directory or a package (any archive `scan` reads).
    old: PathBuf,
    /// The new version.
    new: PathBuf,
    #[command(flatten)]
    output: OutputArgs,
    #[command(flatten)]
    analysis: AnalysisArgs,
}

#[derive(Clone, Copy, ValueEnum)]
enum RulesFormat {
    Text,
    /// The rule table of the README.
    Markdown,
    /// Every rule's documentation: docs/rules.md.
    Docs,
}

#[derive(Args, Default)]
struct CheckArgs {
    /// Files, directories, archives or - for stdin (default: stdin).
    paths: Vec<PathBuf>,
    #[command(flatten)]
    output: OutputArgs,
    #[command(flatten)]
    analysis: AnalysisArgs,
}

/// The analysis options of `check` and `scan` (a scan refuses `--append`).
#[derive(Args, Default)]
struct AnalysisArgs {
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
    /// Carry one analysis state across all files, in order (check only).
    #[arg(long)]
    append: bool,
    /// Do not analyse PL/pgSQL bodies and DO blocks.
    #[arg(long)]
    no_plpgsql: bool,
    /// Globs of paths skipped when searching directories and archives;
    /// replaces the defaults (check: .git, test, expected, results,
    /// tmp_check; scan: none). Repeatable.
    #[arg(long, value_name = "GLOB")]
    exclude: Vec<String>,
    /// Globs skipped on top of --exclude (or the defaults). Repeatable.
    #[arg(long, value_name = "GLOB")]
    extend_exclude: Vec<String>,
    /// The input is not yours (a package to review): `-- extguard: ignore`
    /// comments in it are not obeyed, and each is reported (EG007). Always so for scan.
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
    /// Worker threads [default: all cores].
    #[arg(long, short = 'j', value_name = "N")]
    jobs: Option<usize>,
    /// Largest total size one archive may unpack to, in bytes [default: 1 GiB].
    #[arg(long, value_name = "BYTES")]
    max_unpacked_size: Option<u64>,
    /// Most entries one archive may have [default: 100000].
    #[arg(long, value_name = "N")]
    max_entries: Option<u64>,
    /// Highest ratio of unpacked size to archive size, checked past 4 MiB unpacked [default: 200].
    #[arg(long, value_name = "N")]
    max_ratio: Option<u64>,
    /// Of a multi-platform container image, read only this platform's
    /// image (`linux/amd64`, `linux/arm64/v8`) [default: every platform].
    #[arg(long, value_name = "OS/ARCH[/VARIANT]")]
    platform: Option<String>,
    /// No progress bar (it is drawn only when stderr is a terminal anyway).
    #[arg(long)]
    no_progress: bool,
}

fn main() -> ExitCode {
    keep_freed_memory();
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Command::Rules { format }) => print_rules(format),
        Some(Command::Explain { code }) => explain(&code),
        Some(Command::Check(args)) => {
            run(args.paths, args.output, args.analysis, Mode::Check, false)
        }
        Some(Command::Scan(args)) => {
            let policy = args.write_policy.map(|f| (f, args.libdir));
            run_with(
                args.paths,
                args.output,
                args.analysis,
                Mode::Scan,
                true,
                policy,
            )
        }
        Some(Command::Policy { file, emit }) => extguard_analyzer::policy::load(&file).map(|p| {
            print!("{}", extguard_analyzer::policy::emit(&p, emit));
            ExitCode::SUCCESS
        }),
        Some(Command::Diff(args)) => run(
            vec![args.old, args.new],
            args.output,
            args.analysis,
            Mode::Diff,
            false,
        ),
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
        RulesFormat::Docs => out.push_str(&rules::docs_markdown()),
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
fn config(args: &AnalysisArgs, mode: Mode) -> Result<Config, String> {
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
    if mode != Mode::Check {
        if cfg.append {
            return Err("--append carries one analysis state across files, which only `check` does: a scan analyses each package on its own".into());
        }
        // scanned packages are never trusted to suppress their own findings
        cfg.inline_ignores = false;
        // nor to hide SQL in a directory named like a test
        cfg.exclude.get_or_insert_with(Vec::new);
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
            extguard_analyzer::driver::panic_message(info.payload())
        );
    }));
}

/// `check` and `scan`: one driver, one outcome, one set of reports.
/// `table`: the human format starts with the summary table (a scan's, or
/// a run that found extensions).
fn run(
    paths: Vec<PathBuf>,
    output: OutputArgs,
    analysis: AnalysisArgs,
    mode: Mode,
    table: bool,
) -> Result<ExitCode, String> {
    run_with(paths, output, analysis, mode, table, None)
}

/// [`run`], and with `policy` (a file and library directories) write a
/// policy of the extensions found.
fn run_with(
    paths: Vec<PathBuf>,
    output: OutputArgs,
    analysis: AnalysisArgs,
    mode: Mode,
    table: bool,
    policy: Option<(PathBuf, Vec<PathBuf>)>,
) -> Result<ExitCode, String> {
    let cfg = config(&analysis, mode)?;
    if policy.is_some() {
        let off: Vec<&str> = extguard_analyzer::verdict::CODES
            .iter()
            .copied()
            .filter(|c| !cfg.enabled(c))
            .collect();
        if !off.is_empty() || cfg.min_severity > Severity::Info {
            return Err(format!("--write-policy needs every rule the verdicts read: drop --select/--ignore/--min-severity (or the configuration's) that turn off {}", if off.is_empty() { "info findings".to_string() } else { off.join(", ") }));
        }
    }
    let format = output
        .format
        .or_else(|| {
            cfg.format
                .as_deref()
                .and_then(|f| Format::from_str(f, true).ok())
        })
        .unwrap_or(match mode {
            Mode::Check | Mode::Diff => Format::Human,
            Mode::Scan => Format::Table,
        });
    if analysis.jobs == Some(0) {
        return Err("--jobs must be at least 1".into());
    }
    let defaults = driver::Limits::default();
    let opts = driver::Options {
        config: Config {
            detail: output.detail(format),
            ..cfg
        },
        mode,
        limits: driver::Limits {
            max_total_bytes: analysis
                .max_unpacked_size
                .unwrap_or(defaults.max_total_bytes),
            max_entries: analysis.max_entries.unwrap_or(defaults.max_entries),
            max_ratio: analysis.max_ratio.unwrap_or(defaults.max_ratio),
            platform: analysis.platform.clone(),
            ..defaults
        },
        jobs: analysis.jobs.unwrap_or(0),
        progress: !analysis.no_progress,
        digests: policy.as_ref().map(|(_, libdirs)| libdirs.clone()),
    };
    // Ctrl-C removes the temporary directories of unpacked archives; a
    // check of files and directories only stops as usual.
    if mode != Mode::Check || paths.iter().any(|p| driver::ArchiveKind::of(p).is_some()) {
        driver::install_interrupt_handler()?;
    }
    install_panic_hook();
    let workers = driver::workers(opts.jobs)?;
    let mut outcome = workers.install(|| match (mode, paths.as_slice()) {
        (Mode::Diff, [old, new]) => {
            // each side is read as a scan reads it
            let opts = driver::Options {
                mode: Mode::Scan,
                ..opts.clone()
            };
            extguard_analyzer::diff::run(old, new, &opts)
        }
        _ => driver::run_here(&paths, &opts),
    });
    if outcome.interrupted {
        eprintln!("extguard: interrupted; temporary files removed");
        return Ok(ExitCode::from(130));
    }
    if let Some((file, _)) = &policy {
        let p = extguard_analyzer::policy::from_outcome(&outcome);
        let text = serde_json::to_string_pretty(&p).map_err(|e| e.to_string())? + "\n";
        std::fs::write(file, text).map_err(|e| format!("{}: {e}", file.display()))?;
    }
    let table = table
        || outcome
            .units
            .iter()
            .any(|u| u.kind == extguard_analyzer::outcome::UnitKind::Extension);
    let notes = output::emit(&mut outcome, format, &output, table, Some(&workers))?;
    if !output.quiet {
        for n in notes.iter().chain(&outcome.notes) {
            eprintln!("extguard: note: {n}");
        }
    }
    for e in &outcome.errors {
        eprintln!("extguard: {e}");
    }
    let code = output::exit_code(
        &outcome,
        !outcome.errors.is_empty(),
        output.write_baseline.is_some(),
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
    run(
        vec![dir],
        OutputArgs::default(),
        AnalysisArgs::default(),
        Mode::Check,
        true,
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn docs_rules_md_is_generated_from_the_rules_and_has_every_anchor() {
        let docs = include_str!("../../docs/rules.md");
        assert!(
            docs == extguard_analyzer::rules::docs_markdown(),
            "docs/rules.md is out of date: run `extguard rules --format docs > docs/rules.md`"
        );
        // every SARIF helpUri's fragment is the GitHub anchor of a heading
        for r in extguard_analyzer::rules::ALL {
            let heading = format!("\n## {}\n", r.code);
            assert_eq!(docs.matches(&heading).count(), 1, "{}", r.code);
            assert_eq!(
                extguard_analyzer::rules::anchor(r.code),
                github_anchor(&heading[4..])
            );
        }
    }

    /// GitHub's anchor of a Markdown heading: lower case, punctuation
    /// dropped, spaces as hyphens.
    fn github_anchor(heading: &str) -> String {
        heading
            .trim()
            .to_lowercase()
            .chars()
            .filter(|c| c.is_alphanumeric() || *c == ' ' || *c == '-' || *c == '_')
            .map(|c| if c == ' ' { '-' } else { c })
            .collect()
    }

    #[test]
    fn readme_rule_table_matches_the_code() {
        let readme = include_str!("../../README.md");
        assert!(
            readme.contains(&super::rules_markdown()),
            "README.md's rule table is out of date: paste the output of `extguard rules --format markdown`"
        );
    }
}
