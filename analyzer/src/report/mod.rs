//! Output formats: each one file, each a function of an
//! [`Outcome`](crate::outcome::Outcome), the one result model of `check`
//! and `scan`, so every format works for both commands. [`write`] picks
//! one; a new format is a new file and a [`Format`] variant.

pub mod fingerprint;
mod github;
pub mod html;
mod human;
mod json;
mod jsonl;
mod pgspot;
pub mod pgspot_text;
pub mod sarif;
mod table;

use std::path::PathBuf;

use codespan_reporting::term::termcolor::WriteColor;

use crate::outcome::{totals_per_rule, Detail, Outcome};

pub use crate::outcome::Summary;
pub use github::write_github;
pub use human::write_human;
pub use json::{json_document, JSON_VERSION};
pub use jsonl::jsonl;
pub use pgspot::{finding_line as pgspot_line, write_pgspot};
pub use table::table;

/// The output formats.
#[derive(Clone, Copy, clap::ValueEnum, PartialEq, Eq, Debug)]
pub enum Format {
    /// Each finding with its source lines, grouped per extension.
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
    /// A self-contained HTML page.
    Html,
}

impl Format {
    /// What of each finding's context this format prints (the driver
    /// computes nothing else).
    pub fn detail(self) -> Detail {
        match self {
            Format::Human | Format::Html => Detail::SNIPPETS,
            Format::Json | Format::Sarif => Detail::FINGERPRINTS,
            Format::Jsonl => Detail::ALL,
            Format::Pgspot | Format::Table | Format::Github => Detail::NONE,
        }
    }
}

/// What some formats need besides the outcome.
pub struct Options<'a> {
    /// No summaries (human): the findings only.
    pub quiet: bool,
    /// Print the summary table before the findings (human).
    pub table: bool,
    /// SARIF's artifact URIs and GitHub annotations' paths are relative to
    /// this directory (absolute).
    pub base_dir: PathBuf,
    /// Where the rules' documentation is published (SARIF `helpUri`):
    /// each rule's URI is this with `#code` appended.
    pub help_base: String,
    /// Workers that serialise JSON Lines in parallel.
    pub pool: Option<&'a rayon::ThreadPool>,
}

/// Write `o` in `format`; returns notes for stderr (what was left out).
pub fn write(
    o: &Outcome,
    format: Format,
    opts: &Options,
    out: &mut dyn WriteColor,
) -> std::io::Result<Vec<String>> {
    let mut notes = Vec::new();
    match format {
        Format::Human => write_human(o, out, opts.quiet, opts.table)?,
        Format::Json => {
            serde_json::to_writer_pretty(&mut *out, &json_document(o))?;
            writeln!(out)?;
        }
        Format::Pgspot => write_pgspot(o, out)?,
        Format::Github => write_github(o, &opts.base_dir, out)?,
        Format::Table => out.write_all(table(o).as_bytes())?,
        Format::Jsonl => match opts.pool {
            Some(pool) => jsonl(o, out, pool)?,
            None => {
                let pool = rayon::ThreadPoolBuilder::new()
                    .num_threads(1)
                    .build()
                    .map_err(std::io::Error::other)?;
                jsonl(o, out, &pool)?
            }
        },
        Format::Sarif => {
            let doc = sarif::document_at(o, &opts.base_dir, &opts.help_base);
            if let Some(n) = doc.left_out {
                notes.push(format!("SARIF: {n} result(s) left out: GitHub code scanning accepts at most {} per run (the most severe are kept; narrow with --select, or use --format jsonl for all)", sarif::MAX_RESULTS));
            }
            serde_json::to_writer_pretty(&mut *out, &doc.log)?;
            writeln!(out)?;
        }
        Format::Html => out.write_all(html::page(o).as_bytes())?,
    }
    Ok(notes)
}

/// `--statistics`: count, code, title per rule, most frequent first.
pub fn write_statistics(o: &Outcome, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    let mut v: Vec<_> = totals_per_rule(&o.units).into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    for (code, n) in v {
        let title = crate::rules::by_code(code).map_or("", |r| r.title);
        writeln!(out, "{n:>7}  {code}  {title}")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::driver::{self, Mode};
    use crate::Config;
    use clap::ValueEnum;
    use codespan_reporting::term::termcolor::NoColor;

    fn outcome(paths: &[PathBuf], detail: Detail) -> Outcome {
        let config = Config {
            detail,
            ..Config::default()
        };
        driver::run(paths, &driver::Options::new(config, Mode::Check)).unwrap()
    }

    fn written(o: &Outcome, format: Format) -> Vec<u8> {
        let opts = Options {
            quiet: false,
            table: true,
            base_dir: PathBuf::from(env!("CARGO_MANIFEST_DIR")),
            help_base: sarif::DEFAULT_HELP_BASE.to_string(),
            pool: None,
        };
        let mut out = NoColor::new(Vec::new());
        write(o, format, &opts, &mut out).unwrap();
        out.into_inner()
    }

    #[test]
    fn every_format_prints_the_same_from_only_the_detail_it_asks_for() {
        let dir = tempfile::tempdir().unwrap();
        // snippets of long lines (cut, shifted), CRLF line ends, a last line without one
        let long = format!(
            "SELECT 1;\r\nCREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT {}abs(1) + 2 $$;\r\n\r\nSELECT lower('x')",
            "1 + ".repeat(120)
        );
        std::fs::write(dir.path().join("long.sql"), long).unwrap();
        let root = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../corpus"));
        let paths = [
            root.join("rules"),
            root.join("extensions"),
            root.join("plpgsql"),
            dir.path().to_path_buf(),
        ];
        let full = outcome(&paths, Detail::ALL);
        assert!(full.findings().count() > 100);
        assert!(full
            .findings()
            .any(|f| f.snippet.as_ref().is_some_and(|s| s.column_offset > 0)));
        for &format in Format::value_variants() {
            let lean = outcome(&paths, format.detail());
            assert_eq!(
                String::from_utf8_lossy(&written(&lean, format)),
                String::from_utf8_lossy(&written(&full, format)),
                "{format:?}"
            );
            let d = format.detail();
            assert!(lean
                .findings()
                .all(|f| f.snippet.is_some() == d.snippets
                    && f.fingerprint.is_some() == d.fingerprints));
        }
    }
}
