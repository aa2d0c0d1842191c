//! `extguard pgspot ARGS`: pgspot 0.9.4's command line, so that a CI step
//! running `pgspot ...` can run `extguard pgspot ...` unchanged.
//!
//! Same options and meanings, pgspot's rules only (PS codes and unknown
//! languages), the same finding lines (`CODE: Title: object at line N`),
//! the same per-file and `TOTAL:` counters and the same exit status (0
//! clean, 1 anything reported or a file that could not be analysed, 2 a
//! usage error). Line numbers are extguard's (the offending token; pgspot
//! gives the line where the statement's text begins, comments before it
//! included), findings come in file order, and `--explain`/`--version`
//! print extguard's own text. Files are plain scripts (no extension
//! awareness, no extguard.toml, no `-- extguard: ignore` comments), as for
//! pgspot.

use std::ffi::OsString;
use std::io::{Read, Write};
use std::process::ExitCode;

use clap::Args;
use extguard_analyzer::analysis::analyze_file;
use extguard_analyzer::{rules, Config, Finding, Severity, SourceFile, State};

#[derive(Args, Debug, Default)]
#[command(
    about = "pgspot 0.9.4's command line: Spot vulnerabilities in PostgreSQL SQL scripts",
    disable_version_flag = true,
    infer_long_args = true
)]
pub struct PgspotArgs {
    /// show program's version number and exit
    #[arg(long)]
    version: bool,
    /// append files before checking
    #[arg(short = 'a', long)]
    append: bool,
    /// whitelist functions without explicit search_path
    #[arg(long, value_name = "PROC")]
    proc_without_search_path: Vec<String>,
    /// only print number of errors, warnings and unknowns
    #[arg(long)]
    summary_only: bool,
    /// Analyze PLpgSQL code (default)
    #[arg(long, overrides_with = "no_plpgsql")]
    plpgsql: bool,
    /// Do not analyze PLpgSQL code
    #[arg(long, overrides_with = "plpgsql")]
    no_plpgsql: bool,
    /// Describe an error/warning code
    #[arg(long, value_name = "EXPLAIN", overrides_with = "explain")]
    explain: Option<String>,
    /// Ignore error or warning code
    #[arg(long, value_name = "IGNORE")]
    ignore: Vec<String>,
    /// Ignore one or more unknown procedural languages
    #[arg(long, value_name = "IGNORE_LANG")]
    ignore_lang: Vec<String>,
    /// Specify one or more sql-accepting functions
    #[arg(long, value_name = "SQL_FN")]
    sql_accepting: Vec<String>,
    /// file to check for vulnerabilities
    #[arg(value_name = "FILE")]
    files: Vec<OsString>,
}

/// pgspot's three counters (its fourth, fatal, only decides the exit status).
#[derive(Default, Clone, Copy)]
struct Counter {
    errors: usize,
    warnings: usize,
    unknowns: usize,
    fatals: usize,
}

impl Counter {
    fn add(&mut self, o: Counter) {
        self.errors += o.errors;
        self.warnings += o.warnings;
        self.unknowns += o.unknowns;
        self.fatals += o.fatals;
    }
    fn is_clean(&self) -> bool {
        self.errors + self.warnings + self.unknowns + self.fatals == 0
    }
}

impl std::fmt::Display for Counter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Errors: {} Warnings: {} Unknown: {}",
            self.errors, self.warnings, self.unknowns
        )
    }
}

/// What pgspot reports of one file: its finding lines in order, and the
/// error that stopped it (a syntax error), if any.
struct FileOutcome {
    lines: Vec<String>,
    counter: Counter,
    fatal: Option<String>,
}

pub fn run(args: PgspotArgs) -> Result<ExitCode, String> {
    if args.version {
        println!(
            "extguard {} (pgspot 0.9.4 command line)",
            env!("CARGO_PKG_VERSION")
        );
        return Ok(ExitCode::SUCCESS);
    }
    if args.files.is_empty() {
        if let Some(code) = &args.explain {
            return Ok(explain(code));
        }
    }
    let cfg = Config {
        proc_without_search_path: args.proc_without_search_path.clone(),
        sql_accepting: args.sql_accepting.clone(),
        ignore_lang: args
            .ignore_lang
            .iter()
            .map(|l| l.to_ascii_lowercase())
            .collect(),
        append: args.append,
        plpgsql: !args.no_plpgsql,
        inline_ignores: false,
        pgspot_text: true,
        ..Config::default()
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut total = Counter::default();
    let mut state = State::new(std::iter::empty::<String>());
    let written = (|| -> std::io::Result<()> {
        if args.files.is_empty() {
            let mut bytes = Vec::new();
            std::io::stdin().read_to_end(&mut bytes)?;
            let o = analyse(&SourceFile::new("<stdin>", &bytes), &cfg, &mut state, &args);
            if !args.summary_only {
                for l in &o.lines {
                    writeln!(out, "{l}")?;
                }
            }
            if let Some(e) = &o.fatal {
                // pgspot itself stops with a traceback here
                eprintln!("extguard pgspot: <stdin>: {e}");
            }
            writeln!(out, "{}", o.counter)?;
            let mut c = o.counter;
            c.fatals += usize::from(o.fatal.is_some());
            total.add(c);
            return Ok(());
        }
        let many = args.files.len() > 1;
        let linebreak = if args.summary_only { "" } else { "\n" };
        for name in &args.files {
            let shown = name.to_string_lossy();
            if many {
                write!(out, "{shown}: {linebreak}")?;
            }
            let mut counter = Counter::default();
            let fatal = match std::fs::read(name) {
                Err(e) => Some(format!("{shown}: {e}")),
                Ok(bytes) => {
                    let file = SourceFile::new(shown.to_string(), &bytes);
                    if file.invalid_utf8_at.is_some() {
                        Some(format!("{shown}: the file is not valid UTF-8"))
                    } else {
                        let mut fresh = State::new(std::iter::empty::<String>());
                        let st = if args.append { &mut state } else { &mut fresh };
                        let o = analyse(&file, &cfg, st, &args);
                        if !args.summary_only {
                            for l in &o.lines {
                                writeln!(out, "{l}")?;
                            }
                        }
                        counter = o.counter;
                        o.fatal
                    }
                }
            };
            // With --append pgspot counts every finding into the run's
            // total only: each file's own line shows zeros.
            let shown_counter = if args.append {
                Counter::default()
            } else {
                counter
            };
            match &fatal {
                Some(e) => writeln!(out, "{linebreak} {shown_counter} {linebreak} {e}")?,
                None => writeln!(out, "{linebreak} {shown_counter} {linebreak}")?,
            }
            counter.fatals += usize::from(fatal.is_some());
            total.add(counter);
        }
        if many {
            writeln!(out, "TOTAL: {total}")?;
        }
        Ok(())
    })();
    if let Err(e) = written.and_then(|_| out.flush()) {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            return Err(format!("writing output: {e}"));
        }
    }
    Ok(if total.is_clean() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// `--explain CODE`: extguard's documentation of a pgspot code.
fn explain(code: &str) -> ExitCode {
    match rules::by_code(code).filter(|r| r.code.starts_with("PS") && r.code == code) {
        Some(r) => {
            println!("{}: {}\n\n{}", r.code, r.title, r.documentation());
            ExitCode::SUCCESS
        }
        None => {
            println!("Unknown error or warning: {code}");
            ExitCode::from(1)
        }
    }
}

/// Analyse one file as pgspot would report it.
fn analyse(file: &SourceFile, cfg: &Config, state: &mut State, args: &PgspotArgs) -> FileOutcome {
    let findings = analyze_file(file, cfg, state);
    // pgspot parses a whole script before looking at it: a statement that
    // does not parse leaves the file without findings. A body that does not
    // parse stops the analysis there.
    let syntax = findings.iter().find(|f| f.is_parse_error());
    let (kept, fatal): (Vec<&Finding>, Option<String>) = match syntax {
        Some(err) => {
            let top_level = file
                .statements
                .iter()
                .find(|s| s.start <= err.span.start && err.span.start < s.end.max(s.start + 1))
                .is_none_or(|s| {
                    extguard_analyzer::parse::parse(&file.prepared(s.start, s.end)).is_err()
                });
            let index = file.text[..err.span.start.min(file.text.len())]
                .chars()
                .count();
            let kept = if top_level {
                Vec::new()
            } else {
                findings
                    .iter()
                    .filter(|f| f.span.start < err.span.start)
                    .collect()
            };
            // pglast's message: a statement's error with its offset, a
            // PL/pgSQL body's without
            let fatal = match err.message.strip_prefix("PL/pgSQL body does not parse: ") {
                Some(m) => m.to_string(),
                None => format!("{}, at index {index}", err.message),
            };
            (kept, Some(fatal))
        }
        None => (findings.iter().collect(), None),
    };
    let mut counter = Counter::default();
    let mut lines = Vec::new();
    for f in kept {
        if f.code == rules::EG004.code {
            counter.unknowns += 1;
            lines.push(f.message.clone());
            continue;
        }
        if !f.code.starts_with("PS") || args.ignore.iter().any(|i| i == f.code) {
            continue;
        }
        match f.severity {
            Severity::Error => counter.errors += 1,
            _ => counter.warnings += 1,
        }
        lines.push(extguard_analyzer::report::pgspot_line(f));
    }
    FileOutcome {
        lines,
        counter,
        fatal,
    }
}
