//! The `extguard` command line.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};
use codespan_reporting::term::termcolor::{ColorChoice, StandardStream};
use extguard_analyzer::analysis::analyze_file;
use extguard_analyzer::report::{self, Report, Summary};
use extguard_analyzer::{rules, Config, Finding, Severity, SourceFile, State};
use rayon::prelude::*;

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
}

#[derive(Clone, Copy, ValueEnum)]
enum RulesFormat {
    Text,
    Markdown,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum Format {
    Human,
    Json,
    Pgspot,
}

#[derive(Args, Default)]
struct CheckArgs {
    /// Files, directories or - for stdin (default: stdin).
    paths: Vec<PathBuf>,
    /// Output format [default: human].
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// Do not report this code (repeatable).
    #[arg(long, value_name = "CODE")]
    ignore: Vec<String>,
    /// Report only these codes (repeatable).
    #[arg(long, value_name = "CODE")]
    select: Vec<String>,
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
    /// Lowest severity to report: info, warning or error.
    #[arg(long, value_name = "LEVEL")]
    min_severity: Option<Severity>,
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
    cfg.select.extend(args.select.iter().cloned());
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
    if let Some(s) = args.min_severity {
        cfg.min_severity = s;
    }
    for code in cfg.ignore.iter().chain(&cfg.select) {
        if rules::by_code(code).is_none() {
            return Err(format!("unknown rule code '{code}' (see `extguard rules`)"));
        }
    }
    Ok(cfg)
}

/// Expand the paths: directories are searched recursively for *.sql (sorted).
fn collect_inputs(paths: &[PathBuf], errors: &mut Vec<String>) -> Vec<(String, Option<PathBuf>)> {
    let mut out = Vec::new();
    if paths.is_empty() {
        out.push(("<stdin>".to_string(), None));
    }
    for p in paths {
        if p.as_os_str() == "-" {
            out.push(("<stdin>".to_string(), None));
        } else if p.is_dir() {
            let mut found = Vec::new();
            walk_dir(p, &mut found, errors, 0);
            found.sort();
            out.extend(
                found
                    .into_iter()
                    .map(|f| (f.display().to_string(), Some(f))),
            );
        } else {
            out.push((p.display().to_string(), Some(p.clone())));
        }
    }
    out
}

fn walk_dir(dir: &Path, out: &mut Vec<PathBuf>, errors: &mut Vec<String>, depth: usize) {
    if depth > 64 {
        errors.push(format!(
            "{}: directory nesting too deep (symlink cycle?)",
            dir.display()
        ));
        return;
    }
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => return errors.push(format!("{}: {e}", dir.display())),
    };
    for e in entries.flatten() {
        let p = e.path();
        let Ok(ft) = e.file_type() else { continue };
        if ft.is_dir() {
            walk_dir(&p, out, errors, depth + 1);
        } else if p.extension().is_some_and(|x| x == "sql") {
            out.push(p);
        }
    }
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

/// Analyse one file, turning a panic into an internal-error finding.
fn analyze_isolated(file: &SourceFile, cfg: &Config, state: &mut State) -> (Vec<Finding>, bool) {
    let snapshot = state.clone();
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        analyze_file(file, cfg, state)
    })) {
        Ok(f) => (f, false),
        Err(p) => {
            *state = snapshot;
            let msg = p
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| p.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "panic".into());
            let (line, column) = (1, 1);
            let f = Finding {
                code: rules::EG003.code,
                severity: Severity::Error,
                title: rules::EG003.title,
                message: format!("internal error while analysing this file: {msg}"),
                path: file.path.clone(),
                line,
                column,
                end_line: line,
                end_column: column,
                object: None,
                span: extguard_analyzer::span::Span::new(0, 0),
            };
            (vec![f], true)
        }
    }
}

fn check(args: CheckArgs, summary_by_extension: bool) -> Result<ExitCode, String> {
    let cfg = config(&args)?;
    let format = args
        .format
        .or_else(|| {
            cfg.format
                .as_deref()
                .and_then(|f| Format::from_str(f, true).ok())
        })
        .unwrap_or(Format::Human);
    let mut io_errors = Vec::new();
    let inputs = collect_inputs(&args.paths, &mut io_errors);
    let mut files = Vec::new();
    for (name, path) in &inputs {
        match read_input(path) {
            Ok(bytes) => files.push(SourceFile::new(name.clone(), &bytes)),
            Err(e) => io_errors.push(format!("{name}: {e}")),
        }
    }
    // Quiet the default panic message: a panic becomes an EG003 finding.
    std::panic::set_hook(Box::new(|_| {}));
    let results: Vec<(Vec<Finding>, bool)> = if cfg.append {
        let mut state = State::new(cfg.trusted_schema.iter().cloned());
        files
            .iter()
            .map(|f| analyze_isolated(f, &cfg, &mut state))
            .collect()
    } else {
        files
            .par_iter()
            .map(|f| {
                let mut state = State::new(cfg.trusted_schema.iter().cloned());
                analyze_isolated(f, &cfg, &mut state)
            })
            .collect()
    };
    let internal_error = results.iter().any(|r| r.1);
    let findings: Vec<Vec<Finding>> = results.into_iter().map(|r| r.0).collect();
    let rep = Report {
        files: &files,
        findings: &findings,
    };
    let stdout = std::io::stdout();
    if summary_by_extension {
        print_extension_summary(&rep);
    }
    let write_result = match format {
        Format::Json => {
            let mut out = stdout.lock();
            serde_json::to_writer_pretty(&mut out, &report::json_document(&rep))
                .map_err(std::io::Error::other)
                .and_then(|_| writeln!(out))
        }
        Format::Pgspot => report::write_pgspot(&rep, &mut stdout.lock()),
        Format::Human => {
            let choice = if std::io::stdout().is_terminal() {
                ColorChoice::Auto
            } else {
                ColorChoice::Never
            };
            let mut out = StandardStream::stdout(choice);
            report::write_human(&rep, &mut out)
        }
    };
    if let Err(e) = write_result {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            return Err(format!("writing output: {e}"));
        }
    }
    for e in &io_errors {
        eprintln!("extguard: {e}");
    }
    if !io_errors.is_empty() || internal_error {
        return Ok(ExitCode::from(2));
    }
    Ok(if findings.iter().all(Vec::is_empty) {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Per extension (file name up to `--`): files, errors, warnings, most frequent codes.
fn print_extension_summary(rep: &Report) {
    #[derive(Default)]
    struct Row {
        files: usize,
        sum: Summary,
        codes: BTreeMap<&'static str, usize>,
    }
    let mut rows: BTreeMap<String, Row> = BTreeMap::new();
    for (file, fs) in rep.files.iter().zip(rep.findings) {
        let name = Path::new(&file.path)
            .file_stem()
            .map(|s| s.to_string_lossy().to_string())
            .unwrap_or_default();
        let ext = name.split("--").next().unwrap_or(&name).to_string();
        let row = rows.entry(ext).or_default();
        row.files += 1;
        let s = Summary::of(fs);
        row.sum.errors += s.errors;
        row.sum.warnings += s.warnings;
        row.sum.parse_errors += s.parse_errors;
        for f in fs {
            *row.codes.entry(f.code).or_default() += 1;
        }
    }
    println!(
        "{:<28} {:>5} {:>7} {:>8}  top codes",
        "extension", "files", "errors", "warnings"
    );
    for (ext, r) in &rows {
        let mut top: Vec<_> = r.codes.iter().collect();
        top.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        let top: Vec<String> = top
            .iter()
            .take(3)
            .map(|(c, n)| format!("{c}×{n}"))
            .collect();
        println!(
            "{:<28} {:>5} {:>7} {:>8}  {}",
            ext,
            r.files,
            r.sum.errors,
            r.sum.warnings,
            top.join(" ")
        );
    }
    println!();
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
        assert!(readme.contains(&super::rules_markdown()), "README.md's rule table is out of date: paste the output of `extguard rules --format markdown`");
    }
}
