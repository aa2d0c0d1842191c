//! Output options and reporting shared by `check` and `scan`: both hand
//! their [`Outcome`] here, and every format works for both.

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, ValueEnum};
use codespan_reporting::term::termcolor::{ColorChoice, NoColor, StandardStream, WriteColor};
use extguard_analyzer::report::{self, Report};
use extguard_analyzer::scan::{self, Outcome};
use extguard_analyzer::{Finding, Severity, SourceFile};

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq, Debug)]
pub enum Format {
    /// Each finding with its source line (check), or one line per finding (scan).
    Human,
    /// One JSON document (README "JSON output").
    Json,
    /// pgspot 0.9.4's text format.
    Pgspot,
    /// A summary table: per extension, then totals per rule.
    Table,
    /// One JSON object per extension (or group of files), one per line.
    Jsonl,
    /// SARIF 2.1.0 for GitHub code scanning.
    Sarif,
    /// GitHub Actions annotations (workflow commands).
    Github,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq, Debug, Default)]
pub enum Color {
    /// Colour when writing to a terminal and NO_COLOR is not set.
    #[default]
    Auto,
    Always,
    Never,
}

#[derive(Args, Debug, Default, Clone)]
pub struct OutputArgs {
    /// Output format [default: human for check, table for scan].
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Write the report to FILE instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output_file: Option<PathBuf>,
    /// Also write a self-contained HTML report to FILE.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// Print the findings only: no summaries, no notes on stderr.
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Print how many findings each rule has instead of the findings.
    #[arg(long)]
    pub statistics: bool,
    /// Colour of the human format.
    #[arg(long, value_enum, default_value_t = Color::Auto)]
    pub color: Color,
    /// Directory SARIF paths are made relative to [default: the git root, else the current directory].
    #[arg(long, value_name = "DIR")]
    pub base_dir: Option<PathBuf>,
    /// Report only findings not in this baseline file (see --write-baseline).
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Write every current finding to FILE as a baseline and exit 0.
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,
}

/// Where the report goes.
fn destination(args: &OutputArgs) -> Result<Box<dyn Write>, String> {
    Ok(match &args.output_file {
        Some(p) => Box::new(std::io::BufWriter::with_capacity(
            1 << 16,
            std::fs::File::create(p).map_err(|e| format!("{}: {e}", p.display()))?,
        )),
        None => Box::new(std::io::BufWriter::with_capacity(
            1 << 16,
            std::io::stdout(),
        )),
    })
}

fn color_choice(args: &OutputArgs) -> ColorChoice {
    use std::io::IsTerminal;
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    match args.color {
        Color::Always => ColorChoice::Always,
        Color::Never => ColorChoice::Never,
        Color::Auto
            if args.output_file.is_none() && std::io::stdout().is_terminal() && !no_color =>
        {
            ColorChoice::Auto
        }
        Color::Auto => ColorChoice::Never,
    }
}

/// What a check run has besides its outcome: the files' text for the human format.
pub struct Sources<'a> {
    pub files: &'a [SourceFile],
    pub extensions: &'a [report::ExtensionSummary],
    /// Print the per-extension table before the findings.
    pub table: bool,
}

/// Write the report of `o` in the chosen format; baseline filtering first.
pub fn emit(
    o: &mut Outcome,
    format: Format,
    args: &OutputArgs,
    sources: Option<Sources>,
    pool: Option<&rayon::ThreadPool>,
) -> Result<(), String> {
    if let Some(path) = &args.write_baseline {
        let text =
            serde_json::to_string_pretty(&baseline::document(o)).map_err(|e| e.to_string())?;
        std::fs::write(path, text + "\n").map_err(|e| format!("{}: {e}", path.display()))?;
        if !args.quiet {
            eprintln!(
                "extguard: wrote {} finding(s) to the baseline {}",
                o.units.iter().flat_map(|u| u.findings()).count(),
                path.display()
            );
        }
        return Ok(());
    }
    if let Some(path) = &args.baseline {
        let fixed = baseline::apply(o, path)?;
        if !args.quiet {
            for f in &fixed {
                eprintln!("extguard: fixed since the baseline: {f}");
            }
        }
    }
    let mut out = destination(args)?;
    let written = if args.statistics {
        write_statistics(o, &mut out)
    } else {
        match format {
            Format::Json => serde_json::to_writer_pretty(&mut out, &report::json_document(o))
                .map_err(std::io::Error::other)
                .and_then(|_| writeln!(out)),
            Format::Pgspot => report::write_pgspot(o, &mut out),
            Format::Github => report::write_github(o, &mut out),
            Format::Table => out.write_all(scan::table(o).as_bytes()),
            Format::Jsonl => match pool {
                Some(pool) => scan::jsonl(o, &mut out, pool),
                None => scan::workers(1)
                    .map_err(std::io::Error::other)
                    .and_then(|pool| scan::jsonl(o, &mut out, &pool)),
            },
            Format::Sarif => {
                let base = base_dir(args);
                let doc = scan::sarif::document_at(o, &base);
                if let Some(n) = doc.left_out {
                    eprintln!("extguard: SARIF: {n} result(s) left out: GitHub code scanning accepts at most {} per run (the most severe are kept; narrow with --select, or use --format jsonl for all)", scan::sarif::MAX_RESULTS);
                }
                serde_json::to_writer_pretty(&mut out, &doc.log)
                    .map_err(std::io::Error::other)
                    .and_then(|_| writeln!(out))
            }
            Format::Human => {
                out.flush().ok();
                human(o, args, sources)
            }
        }
    };
    if let Err(e) = written.and_then(|_| out.flush()) {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            return Err(format!("writing output: {e}"));
        }
    }
    if let Some(path) = &args.html {
        std::fs::write(path, scan::html::page(o))
            .map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(())
}

fn human(o: &Outcome, args: &OutputArgs, sources: Option<Sources>) -> std::io::Result<()> {
    let mut out: Box<dyn WriteColor> = match &args.output_file {
        Some(p) => Box::new(NoColor::new(std::io::BufWriter::new(
            std::fs::OpenOptions::new().append(true).open(p)?,
        ))),
        None => Box::new(StandardStream::stdout(color_choice(args))),
    };
    match sources {
        Some(s) => {
            if s.table && !args.quiet {
                // the per-extension table of a check run
                let findings = findings_per_file(o);
                let r = Report {
                    files: s.files,
                    findings: &findings,
                    extensions: s.extensions,
                };
                write!(out, "{}", report::extension_table(&r))?;
            }
            let findings = findings_per_file(o);
            let r = Report {
                files: s.files,
                findings: &findings,
                extensions: s.extensions,
            };
            report::write_human(&r, &mut out, args.quiet)?;
        }
        None => {
            // a scan keeps snippets, not whole files: one line per finding
            if !args.quiet {
                write!(out, "{}", scan::table(o))?;
                writeln!(out)?;
            }
            for f in o.units.iter().flat_map(|u| u.findings()) {
                let f = &f.finding;
                writeln!(
                    out,
                    "{}:{}:{}: {} [{}] {}: {}",
                    f.path,
                    f.line,
                    f.column,
                    f.code,
                    f.severity.as_str(),
                    f.title,
                    f.message
                )?;
            }
        }
    }
    out.flush()
}

/// The outcome's findings per file, in file order (check's files are its
/// units' files in the same order).
fn findings_per_file(o: &Outcome) -> Vec<Vec<Finding>> {
    o.units
        .iter()
        .flat_map(|u| &u.files)
        .map(|f| f.findings.iter().map(|s| s.finding.clone()).collect())
        .collect()
}

/// `--statistics`: count, code, title per rule, most frequent first.
fn write_statistics(o: &Outcome, out: &mut dyn Write) -> std::io::Result<()> {
    let mut v: Vec<_> = scan::totals_per_rule(&o.units).into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    for (code, n) in v {
        let title = extguard_analyzer::rules::by_code(code).map_or("", |r| r.title);
        writeln!(out, "{n:>7}  {code}  {title}")?;
    }
    Ok(())
}

/// SARIF's base directory: --base-dir, else the git work tree's root, else
/// the current directory; absolute.
fn base_dir(args: &OutputArgs) -> PathBuf {
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    if let Some(b) = &args.base_dir {
        return std::fs::canonicalize(b).unwrap_or_else(|_| cwd.join(b));
    }
    std::process::Command::new("git")
        .args(["rev-parse", "--show-toplevel"])
        .stderr(std::process::Stdio::null())
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()))
        .filter(|p| p.is_dir())
        .unwrap_or(cwd)
}

/// Exit status of a run: 2 input or internal errors, 1 warnings or errors
/// reported, 0 otherwise (notes, severity info, do not fail a run).
pub fn exit_code(o: &Outcome, io_errors: bool, write_baseline: bool) -> u8 {
    if io_errors || o.internal_error {
        2
    } else if write_baseline
        || o.units
            .iter()
            .flat_map(|u| u.findings())
            .all(|f| f.finding.severity == Severity::Info)
    {
        0
    } else {
        1
    }
}

pub mod baseline {
    //! Baseline files: the findings of a run, matched later by path and
    //! fingerprint (so that edits elsewhere in a file keep them matched).

    use std::collections::HashMap;
    use std::path::Path;

    use extguard_analyzer::report::Summary;
    use extguard_analyzer::scan::Outcome;
    use serde_json::{json, Value};

    pub fn document(o: &Outcome) -> Value {
        let findings: Vec<Value> = o
            .units
            .iter()
            .flat_map(|u| u.findings())
            .map(|f| {
                json!({
                    "path": f.finding.path,
                    "code": f.finding.code,
                    "object": f.finding.object,
                    "line": f.finding.line,
                    "fingerprint": f.fingerprint,
                })
            })
            .collect();
        json!({"version": 1, "tool": "extguard", "findings": findings})
    }

    /// Drop the findings the baseline has (as many of each as it has);
    /// return the baseline entries nothing matched (fixed since).
    pub fn apply(o: &mut Outcome, path: &Path) -> Result<Vec<String>, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let doc: Value = serde_json::from_str(&text)
            .map_err(|e| format!("{}: not a baseline file: {e}", path.display()))?;
        let entries = doc["findings"].as_array().ok_or_else(|| {
            format!(
                "{}: not a baseline file: no \"findings\" list",
                path.display()
            )
        })?;
        let mut left: HashMap<(String, String), Vec<&Value>> = HashMap::new();
        for e in entries {
            let key = (
                e["path"].as_str().unwrap_or("").to_string(),
                e["fingerprint"].as_str().unwrap_or("").to_string(),
            );
            left.entry(key).or_default().push(e);
        }
        for u in &mut o.units {
            for file in &mut u.files {
                file.findings.retain(|f| {
                    let key = (f.finding.path.clone(), f.fingerprint.clone());
                    match left.get_mut(&key) {
                        Some(v) if !v.is_empty() => {
                            v.pop();
                            false
                        }
                        _ => true,
                    }
                });
            }
            u.summary = Summary::of(u.findings().map(|f| &f.finding));
        }
        let mut fixed: Vec<String> = left
            .values()
            .flatten()
            .map(|e| {
                format!(
                    "{}:{}: {} {}",
                    e["path"].as_str().unwrap_or("?"),
                    e["line"],
                    e["code"].as_str().unwrap_or("?"),
                    e["object"].as_str().unwrap_or("")
                )
            })
            .collect();
        fixed.sort();
        Ok(fixed)
    }
}
