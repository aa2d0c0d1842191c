//! Output options and reporting shared by `check` and `scan`: both hand
//! their [`Outcome`] here, and every format of [`report`] works for both.

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, ValueEnum};
use codespan_reporting::term::termcolor::{
    BufferedStandardStream, ColorChoice, NoColor, WriteColor,
};
use extguard_analyzer::outcome::{Detail, Outcome};
use extguard_analyzer::report::{self, Format};
use extguard_analyzer::Severity;

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
    /// Directory SARIF and github paths are made relative to [default: the git root, else the current directory].
    #[arg(long, value_name = "DIR")]
    pub base_dir: Option<PathBuf>,
    /// Where the rules' documentation is published: SARIF's helpUri is URL#code
    /// [default: $EXTGUARD_HELP_URI_BASE, else docs/rules.md of the repository in Cargo.toml].
    #[arg(long, value_name = "URL")]
    pub help_uri_base: Option<String>,
    /// Report only findings not in this baseline file (see --write-baseline).
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Write every current finding to FILE as a baseline and exit 0.
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,
}

impl OutputArgs {
    /// What of each finding's context the output prints in `format`,
    /// with `--html` and the baseline options.
    pub fn detail(&self, format: Format) -> Detail {
        let mut d = match self.statistics {
            true => Detail::NONE,
            false => format.detail(),
        };
        if self.html.is_some() {
            d = d.and(Detail::SNIPPETS);
        }
        if self.baseline.is_some() || self.write_baseline.is_some() {
            d = d.and(Detail::FINGERPRINTS);
        }
        d
    }
}

/// Where the report goes: a file (never coloured) or stdout (coloured
/// only for the human format, as `--color` and NO_COLOR say).
fn destination(args: &OutputArgs, format: Format) -> Result<Box<dyn WriteColor>, String> {
    Ok(match &args.output_file {
        Some(p) => {
            // as ruff does: missing parent directories are created
            if let Some(dir) = p.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
            }
            Box::new(NoColor::new(std::io::BufWriter::with_capacity(
                1 << 16,
                std::fs::File::create(p).map_err(|e| format!("{}: {e}", p.display()))?,
            )))
        }
        None if format == Format::Human && !args.statistics => {
            Box::new(BufferedStandardStream::stdout(color_choice(args)))
        }
        None => Box::new(NoColor::new(std::io::BufWriter::with_capacity(
            1 << 16,
            std::io::stdout(),
        ))),
    })
}

fn color_choice(args: &OutputArgs) -> ColorChoice {
    use std::io::IsTerminal;
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    match args.color {
        Color::Always => ColorChoice::Always,
        Color::Never => ColorChoice::Never,
        Color::Auto if std::io::stdout().is_terminal() && !no_color => ColorChoice::Auto,
        Color::Auto => ColorChoice::Never,
    }
}

/// Write the report of `o` in the chosen format, baseline filtering
/// first; `table`: the human format starts with the summary table.
/// Returns notes for stderr.
pub fn emit(
    o: &mut Outcome,
    format: Format,
    args: &OutputArgs,
    table: bool,
    pool: Option<&rayon::ThreadPool>,
) -> Result<Vec<String>, String> {
    if let Some(path) = &args.write_baseline {
        let text =
            serde_json::to_string_pretty(&baseline::document(o)).map_err(|e| e.to_string())?;
        std::fs::write(path, text + "\n").map_err(|e| format!("{}: {e}", path.display()))?;
        return Ok(vec![format!(
            "wrote {} finding(s) to the baseline {}",
            o.findings().count(),
            path.display()
        )]);
    }
    let mut notes = Vec::new();
    if let Some(path) = &args.baseline {
        let fixed = baseline::apply(o, path)?;
        notes.extend(
            fixed
                .iter()
                .map(|f| format!("fixed since the baseline: {f}")),
        );
    }
    let mut out = destination(args, format)?;
    let opts = report::Options {
        quiet: args.quiet,
        table,
        base_dir: match format {
            Format::Sarif | Format::Github => base_dir(args),
            _ => PathBuf::new(),
        },
        help_base: args
            .help_uri_base
            .clone()
            .or_else(|| {
                std::env::var("EXTGUARD_HELP_URI_BASE")
                    .ok()
                    .filter(|s| !s.is_empty())
            })
            .unwrap_or_else(|| report::sarif::DEFAULT_HELP_BASE.to_string()),
        pool,
    };
    let written = if args.statistics {
        report::write_statistics(o, &mut out)
    } else {
        report::write(o, format, &opts, &mut out).map(|n| notes.extend(n))
    };
    if let Err(e) = written.and_then(|_| out.flush()) {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            return Err(format!("writing output: {e}"));
        }
    }
    if let Some(path) = &args.html {
        std::fs::write(path, report::html::page(o))
            .map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(notes)
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
    } else if write_baseline || o.findings().all(|f| f.finding.severity == Severity::Info) {
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

    use extguard_analyzer::outcome::Outcome;
    use extguard_analyzer::report::Summary;
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
                    let key = (
                        f.finding.path.clone(),
                        f.fingerprint.map_or(String::new(), |p| p.to_string()),
                    );
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
